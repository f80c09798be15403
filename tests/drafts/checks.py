"""Checks every draft must pass: citations resolve to real chunks, and every figure or date a
field states is held by the tool results or the chunks that field cites."""

from __future__ import annotations

import re
from typing import Any

from assistant.drafts.evidence import Evidenced, walk
from assistant.drafts.models import DraftBase
from assistant.drafts.render import show
from assistant.services import Services
from tests.accounts.numbers import DATE, IDS, NUMBER, as_number, leaves

WORD_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


def grounds(value: Any) -> tuple[set[float], set[str]]:
    """Every number and date a tool result holds (also numbers inside texts and names)."""
    numbers: set[float] = set()
    dates: set[str] = set()
    for item in leaves(value):
        if isinstance(item, int | float):
            numbers.update({float(item), abs(float(item))})
        else:
            text = str(item)
            dates.update(DATE.findall(text))
            rest = DATE.sub(" ", text)
            numbers.update(abs(as_number(t)) for t in NUMBER.findall(rest))
            numbers.update(float(t) for t in WORD_NUMBER.findall(rest.replace(",", "")))
    return numbers, dates


def assert_citations_resolve(services: Services, draft: DraftBase) -> None:
    index = services.lexical.index
    ids = [c.chunk_id for c in draft.citations]
    stored = set(services.collection.get(ids=ids)["ids"]) if ids else set()
    assert [c.n for c in draft.citations] == list(range(1, len(ids) + 1))
    for citation in draft.citations:
        chunk = index.get(citation.chunk_id)
        assert chunk is not None, f"citation {citation.n} is no chunk of the index"
        assert citation.chunk_id in stored, f"citation {citation.n} is not in Chroma"
        assert citation.section == chunk.metadata["section"]
        assert citation.source == chunk.metadata["source"]
        assert citation.snippet.rstrip("…") in " ".join(chunk.text.split())


def assert_quotes_are_verbatim(services: Services, draft: DraftBase) -> None:
    """A field citing chunks and no tool quotes them: each sentence is in a cited chunk."""
    index = services.lexical.index
    texts = {c.n: " ".join(index.get(c.chunk_id).text.split()) for c in draft.citations}  # type: ignore[union-attr]
    for path, field in walk(draft):
        if field.needs_input or field.tools or not isinstance(field.value, str):
            continue
        cited = " ".join(texts[n] for n in field.citations)
        plain = re.sub(r"\*\*|`", "", cited)
        for sentence in re.split(r"(?<=[.?!])\s+(?=[A-Z\"])", field.value):
            quoted = sentence.rstrip(".")
            clause = quoted[:1].lower() + quoted[1:]  # one clause of a sentence, capitalised
            assert quoted in plain or clause in plain, f"{path}: {sentence!r} is not quoted"


def assert_figures_grounded(
    services: Services, draft: DraftBase, skip: tuple[str, ...] = ()
) -> int:
    """Every number and date in a field's text (value and note) is held by the results of the
    tools it names or by the chunks it cites. Returns how many figures were checked."""
    index = services.lexical.index
    calls = {c.name: c for c in draft.tool_calls}
    chunks = {c.n: index.get(c.chunk_id) for c in draft.citations}
    checked = 0
    for path, field in walk(draft):
        if any(re.fullmatch(pattern, path) for pattern in skip):
            continue
        numbers, dates = _evidence(field, calls, chunks)
        text = (show(field.value) if field.value is not None else "") + " " + (field.note or "")
        for date in DATE.findall(text):
            assert date in dates, f"{path}: {date} is not in its evidence ({text!r})"
            checked += 1
        for token in NUMBER.findall(IDS.sub(" ", DATE.sub(" ", text))):
            value = abs(as_number(token))
            assert value in numbers, f"{path}: {token} is not in its evidence ({text!r})"
            checked += 1
    return checked


def _evidence(
    field: Evidenced[Any], calls: dict[str, Any], chunks: dict[int, Any]
) -> tuple[set[float], set[str]]:
    sources: list[Any] = []
    for name in field.tools:
        call = calls[name]
        sources += [call.result, call.arguments, call.as_of]
    for n in field.citations:
        sources.append(chunks[n].text)
    return grounds(sources)


def headings(markdown: str) -> list[str]:
    return [line.lstrip("#").strip() for line in markdown.splitlines() if line.startswith("#")]


def template_sections(kind: str) -> tuple[str, ...]:
    """The section titles of a shipped draft template (those without a name to fill in)."""
    from assistant.drafts.templates import default_templates_dir, load_templates

    template = load_templates(default_templates_dir())[kind]  # type: ignore[index]
    return tuple(s.title for s in template.sections if "{" not in s.title)


def internal_wording(draft: DraftBase, markdown: str, framework: tuple[str, ...]) -> list[str]:
    """What of the seller's side shows in the draft's customer-facing sections: the
    worksheet's headings and word, the template's section questions, the notes kept for
    the seller on any field (the rule followed, what to ask), the qualification
    framework's names (`framework`) and the opportunity's id. Empty when nothing does."""
    from assistant.drafts.templates import default_templates_dir, load_templates
    from assistant.evaluation.readability import sections_text

    template = load_templates(default_templates_dir())[draft.kind]
    text = " ".join(sections_text(markdown, [draft.sections[k] for k in draft.customer_facing]))
    banned = ["worksheet", *draft.worksheet_titles.values(), *framework]
    banned += [s.question for s in template.sections if s.audience == "customer"]
    banned += [str(f.note) for _, f in walk(draft) if f.note and len(f.note) > 3]
    opportunity = getattr(draft, "opportunity_id", None)
    if opportunity:
        banned.append(opportunity)
    lowered = text.lower()
    return sorted({b for b in banned if b.lower().rstrip("?.") in lowered})
