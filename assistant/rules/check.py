"""The citation check: each rule's section must still state the rule's numbers and names.

Every block of the rules file names `source: {document, section}`. `check_rules` finds that
section in the knowledge folder (the document by its title or its path, the section by its
heading or heading path) and checks that the section's text states every number the rule
holds (band boundaries, cut-offs, windows, prices; "50%" states 0.5 and 50, "$1-2M" states
1,000,000 and 2,000,000) and every name it defines (band, level, quadrant, module and field
names), plus any phrase listed in `source.states`. A problem is reported, never raised:
the service starts and says so in /readyz; the tests fail on any problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import LoaderError
from assistant.rules.models import Rules, Source
from ingest.loaders import load_document

PROSE = {".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf", ".docx"}
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(?:-|–|to)\s*\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?))?"
    r"\s*(%|percent\b|[kKmM]\b|million\b|thousand\b)?"
)
_SCALE = {"%": 0.01, "percent": 0.01, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}


@dataclass(frozen=True)
class Problem:
    rule: str = field(metadata={"doc": "the rules-file key, e.g. health.bands"})
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} (cites {self.source}): {self.message}"


@dataclass(frozen=True)
class Claim:
    """What one rule says, and where it says it is stated."""

    rule: str
    source: Source
    numbers: tuple[float, ...] = ()
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]  # (document title, heading, sub-heading, ...)
    text: str


@dataclass
class Document:
    title: str
    source: str  # path under the knowledge folder
    sections: list[Section]


def claims(rules: Rules) -> Iterator[Claim]:
    """Every cited rule with the numbers and names it states."""
    h = rules.health
    equal = len({c.weight for c in h.components}) == 1
    yield Claim(
        "health.components",
        h.sources.components,
        (h.scale_max,) + (() if equal else tuple(c.weight for c in h.components)),
        tuple(c.label for c in h.components),
    )
    yield Claim("health.formula", h.sources.formula)
    yield Claim(
        "health.bands",
        h.sources.bands,
        (*(b.min for b in h.bands[1:]), h.healthy_from),
        tuple(b.name for b in h.bands),
    )
    yield Claim(
        "health.trend", h.sources.trend, (h.trend_points, h.trend_months, h.escalation_days)
    )
    lic = rules.licenses
    yield Claim(
        "licenses.levels",
        lic.sources.levels,
        tuple(level.min_unused for level in lic.levels if level.min_unused > 0),
        tuple(level.name for level in lic.levels),
    )
    yield Claim("licenses.over_deployed", lic.sources.over_deployed, (), (lic.over_deployed,))
    yield Claim("product.modules", rules.product.source, (), tuple(rules.product.modules))
    yield Claim("support.severe", rules.support.source, (), tuple(rules.support.severe))
    ex = rules.expansion
    yield Claim("expansion.penetration", ex.sources.penetration, (ex.penetration.low_below,))
    quadrants = tuple(q.name for q in ex.quadrants)
    yield Claim("expansion.quadrants", ex.sources.quadrants, (), quadrants)
    if ex.escalate is not None and ex.sources.escalate is not None:
        esc = ex.escalate
        yield Claim(
            "expansion.escalate", ex.sources.escalate, (esc.renews_within_months,), (esc.quadrant,)
        )
    for window in rules.renewal.windows:
        yield Claim(f"renewal.windows.{window.key}", window.source, (window.start, window.end))
    nps = rules.surveys.nps
    yield Claim(
        "surveys.nps",
        nps.source,
        tuple(v for r in (nps.promoters, nps.passives, nps.detractors) for v in (r.min, r.max)),
    )
    csat = rules.surveys.csat
    yield Claim(
        "surveys.csat",
        csat.source,
        tuple(v for p in csat.points for v in (p.at_least, p.points)),
    )
    follow = rules.surveys.follow_up
    yield Claim("surveys.follow_up", follow.source, (follow.csat_at_most, follow.business_days))
    q = rules.qualification
    yield Claim("qualification", q.source, (), (q.name, *(f.label for f in q.fields)))
    for item in q.fields:
        if item.source is not None:
            yield Claim(f"qualification.fields.{item.key}", item.source, (), (item.label,))
    if rules.staffing is not None:
        s = rules.staffing
        yield Claim("staffing", s.source, (s.arr_per_lead_min, s.arr_per_lead_max), (s.role,))
    if rules.blocks is not None:
        b = rules.blocks
        yield Claim("blocks", b.source, (b.hours, b.rate, b.price))
    if rules.cadence is not None:
        yield Claim(
            "cadence", rules.cadence.source, (), tuple(m.name for m in rules.cadence.meetings)
        )
    if rules.formulas.ltv is not None:
        yield Claim("formulas.ltv", rules.formulas.ltv.source)
    for signal in rules.signals:
        yield Claim(f"signals.{signal.id}", signal.source)
    for named in rules.names:
        yield Claim(f"names.{named.concept}", named.source, (), (named.name,))


def check_rules(rules: Rules, knowledge_dir: Path) -> list[Problem]:
    """Every claim whose section is missing or no longer states its numbers and names."""
    documents = load_documents(knowledge_dir)
    problems: list[Problem] = []
    for claim in claims(rules):
        problems.extend(_check(claim, documents))
    return problems


def load_documents(knowledge_dir: Path) -> list[Document]:
    documents: list[Document] = []
    for path in sorted(knowledge_dir.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in PROSE:
            continue
        relative = path.relative_to(knowledge_dir).as_posix()
        try:
            loaded = load_document(path, relative)
        except LoaderError:
            continue  # ingestion reports unreadable files; here they just cite nothing
        found = list(sections(loaded.title, loaded.text))
        documents.append(Document(loaded.title, relative, found))
    return documents


def sections(title: str, text: str) -> Iterator[Section]:
    """Each heading's section (its own text and its sub-sections), by heading path."""
    lines = text.splitlines()
    heads: list[tuple[int, int, str]] = []  # (line index, level, heading)
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match:
            heads.append((index, len(match.group(1)), match.group(2).strip()))
    yield Section((title,), text)
    stack: list[tuple[int, str]] = []
    for position, (index, level, heading) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        end = next((i for i, lv, _ in heads[position + 1 :] if lv <= level), len(lines))
        names = [h for _, h in stack]
        if names and names[0].lower() == title.lower():
            names = names[1:]
        if names:
            yield Section((title, *names), "\n".join(lines[index:end]))


def find_section(source: Source, documents: Iterable[Document]) -> Section | str:
    """The cited section, or why it cannot be found."""
    wanted = source.document.strip().lower()
    docs = [
        d
        for d in documents
        if d.title.lower() == wanted or d.source.lower() == wanted.removeprefix("./")
    ]
    if not docs:
        return f"no document titled or at '{source.document}' in the knowledge folder"
    parts = [p.strip().lower() for p in source.section.split(">") if p.strip()]
    for document in docs:
        for section in document.sections:
            path = [p.lower() for p in section.path]
            if parts and path[-len(parts) :] == parts:
                return section
    headings = sorted({" > ".join(s.path[1:]) for d in docs for s in d.sections if len(s.path) > 1})
    return f"'{source.document}' has no section '{source.section}'; its sections: " + "; ".join(
        headings[:20]
    )


def stated_numbers(text: str) -> set[float]:
    found: set[float] = set()
    for match in _NUMBER.finditer(text):
        suffix = (match.group(3) or "").lower()
        scale = _SCALE.get(suffix, 1.0)
        for raw in (match.group(1), match.group(2)):
            if raw is None:
                continue
            value = float(raw.replace(",", ""))
            found.update({value, round(value * scale, 6)})
    return found


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "").replace("_", " ")).lower()


def _check(claim: Claim, documents: list[Document]) -> Iterator[Problem]:
    where = str(claim.source)
    section = find_section(claim.source, documents)
    if isinstance(section, str):
        yield Problem(claim.rule, where, section)
        return
    numbers = stated_numbers(section.text)
    missing = [n for n in claim.numbers if not any(abs(n - m) < 1e-9 for m in numbers)]
    if missing:
        shown = ", ".join(f"{n:g}" for n in missing)
        yield Problem(
            claim.rule,
            where,
            f"the section no longer states {shown}; update the rules file or the document",
        )
    text = _normal(section.text)
    absent = [
        t
        for t in (*claim.terms, *claim.source.states)
        if _normal(t) not in text and _normal(t).replace("-", " ") not in text.replace("-", " ")
    ]
    if absent:
        yield Problem(
            claim.rule,
            where,
            f"the section no longer names {', '.join(repr(t) for t in absent)}; update the "
            "rules file or the document",
        )
