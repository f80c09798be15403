"""The shipped corpus's own vocabulary, derived from knowledge/ itself, and a scanner that
finds it in product code.

What counts as naming the corpus (each list is derived, never typed in):
- company: capitalised words that are not sentence-initial and occur in at least half of
  the guidance documents (playbooks, guides, one-pagers): the vendor's and product's name.
- accounts: every account name in accounts/accounts.csv, and its first word.
- titles: the `title:` of every document's front matter.
- headings: every Markdown heading. A heading of three words or more is matched as a phrase
  anywhere in the text; a shorter one ("Bands", "Growth pods") only where a string literal
  is that heading, i.e. where code uses it as a section key.

`GENERIC` is the allow-list: ordinary English words that the derivation picks up but that
code uses in their everyday sense (a colour, a number word, a job term). It holds single
words only; a phrase is never allowed.
"""

from __future__ import annotations

import ast
import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import frontmatter

GENERIC = frozenset(
    {
        # first words of account names that are ordinary English
        "blue", "adventure", "wide", "fourth", "graphic", "consolidated", "quantum", "datum",
        "lakeside", "meridian",
        # capitalised in most documents, but ordinary words ("Data", "Platform")
        "data", "platform",
        # one- or two-word headings that name an ordinary concept, not the corpus
        "support", "health", "licenses", "metrics", "outcome", "code", "description",
        "documentation", "engagement", "infrastructure", "strategy", "competition", "champion",
        "nps", "goals", "stages", "principles", "responsibilities", "artifacts", "hiring",
        "snapshot", "milestones", "owners", "components", "formula", "trends", "timeline",
        "land", "onboard", "adopt", "expand", "renew", "idc", "cadence", "kickoff", "handover",
        "bands",
    }
)  # fmt: skip
GUIDANCE = ("playbooks", "guides", "one-pagers")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-z]{2,})\b", re.M)


@dataclass(frozen=True)
class Terms:
    words: frozenset[str]  # whole words, case-insensitive
    phrases: frozenset[str]  # phrases, case-insensitive
    keys: frozenset[str]  # short headings: only a string literal equal to one counts


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    term: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.term!r}"


def derive(knowledge: Path) -> Terms:
    words: set[str] = set()
    phrases: set[str] = set()
    keys: set[str] = set()
    docs = sorted(p for p in knowledge.rglob("*.md") if "accounts" not in p.parts)
    guidance = [p for p in docs if p.parent.name in GUIDANCE]
    seen: Counter[str] = Counter()
    for path in guidance:
        body = frontmatter.load(str(path)).content
        seen.update({w.lower() for w in _CAPITALISED.findall(body)})
    words |= {w for w, n in seen.items() if n * 2 >= len(guidance)}
    with (knowledge / "accounts" / "accounts.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            phrases.add(row["name"].lower())
            words.add(row["name"].split()[0].lower())
    for path in docs:
        post = frontmatter.load(str(path))
        if post.metadata.get("title"):
            phrases.add(str(post.metadata["title"]).lower())
        for heading in _HEADING.findall(post.content):
            text = heading.strip().lower()
            (phrases if len(text.split()) >= 3 else keys).add(text)
    return Terms(
        words=frozenset(w for w in words if w not in GENERIC),
        phrases=frozenset(phrases),
        keys=frozenset(k for k in keys if k not in GENERIC),
    )


def _literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@lru_cache
def _patterns(terms: Terms) -> tuple[re.Pattern[str], ...]:
    def alternation(items: frozenset[str]) -> str:
        return "|".join(re.escape(t) for t in sorted(items, key=len, reverse=True))

    return (
        re.compile(rf"(?<![\w-])({alternation(terms.words)})(?![\w-])"),
        re.compile(rf"(?<!\w)({alternation(terms.phrases)})(?!\w)"),
    )


def scan(path: Path, root: Path, terms: Terms) -> list[Hit]:
    """Every place in one file that names the corpus (see the module docstring)."""
    text = path.read_text(encoding="utf-8")
    rel = str(path.relative_to(root))
    hits: list[Hit] = []
    lowered = text.lower()
    for pattern in _patterns(terms):
        for match in pattern.finditer(lowered):
            hits.append(Hit(rel, lowered.count("\n", 0, match.start()) + 1, match.group(1)))
    if path.suffix == ".py":
        for line, value in _literals(text):
            key = value.strip().lower()
            tail = key.rsplit(">", 1)[-1].strip()
            if key in terms.keys or (">" in key and tail in terms.keys):
                hits.append(Hit(rel, line, value.strip()))
    return sorted(set(hits), key=lambda h: (h.line, h.term))


def product_files(root: Path) -> list[Path]:
    found = []
    for folder in ("assistant", "ingest", "prompts"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(path)
    return found
