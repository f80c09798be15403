"""An answer as a list of claims: its sentences, each with the citation markers covering it.

Markers: `[n]` cites the n-th knowledge chunk of the response, `[Tn]` its n-th tool call;
`[1, 2]` and `[1][2]` cite several. A marker covers the sentences written since the previous
marker (so `A. B. [1]` attributes both sentences to chunk 1, and the table rows above a
`[T1]` line to tool call 1). Two layouts refine this:
- a line ending in a marker and a colon (`Renewals due [T1]:`) introduces the list or table
  lines below it: each of them is covered by that marker;
- a line starting with a marker (`[T1] health_score(...) as of ...`, `- [2] Guide > Bands`)
  is a footnote naming the source, not a claim.
Text after the last marker is uncited. Not claims either: Markdown headings (`#` lines, a
line that is all bold), table header rows, the sections `Sources`, `References` and `Needs
input`, text flagged "Needs input" (a draft's request for input, also as a table cell),
questions (a clarifying "Which one do you mean?") and sentences without a content word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval.text import tokenize
from ingest.sentences import split_sentences

MARKER_GROUP = re.compile(r"(?:\s*\[T?\d+(?:\s*,\s*T?\d+)*\])+")
_ONE_MARKER = re.compile(r"T?\d+")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]+(\*\*|__)\s*:?\s*$")
_LEADING_PUNCTUATION = re.compile(r"^[\s.,;:!?)\]]+")
_FOOTNOTE = re.compile(r"^\s*(?:[-*+•]\s+)?\[T?\d+(?:\s*,\s*T?\d+)*\]")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_NOT_CLAIMS_SECTION = re.compile(r"^\s*#{1,6}\s*(needs input|sources|references)\b", re.I)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}.*\|")
_NEEDS_INPUT = re.compile(r"^[\W_]*needs input\b", re.I)
_INTRO = re.compile(r"(\[T?\d+(?:\s*,\s*T?\d+)*\])\s*:\s*$")
_LIST_LINE = re.compile(r"^\s*(?:[-*+•]\s|\d+[.)]\s|\|)")


@dataclass(frozen=True)
class Claim:
    text: str
    markers: tuple[str, ...] = ()  # "1" for chunk [1], "T2" for tool call [T2]

    @property
    def chunk_markers(self) -> tuple[str, ...]:
        return tuple(m for m in self.markers if not m.startswith("T"))


def strip_markers(answer: str) -> str:
    return MARKER_GROUP.sub("", answer)


def _without_flags(line: str) -> str:
    """A piece of a table row without its empty cells, its "Needs input" cells and the label
    cells before them (what is left of `| Sponsor | **Needs input:** name them` is nothing)."""
    if "|" not in line:
        return line
    kept: list[str] = []
    for cell in (cell.strip() for cell in line.split("|")):
        if _NEEDS_INPUT.match(cell):
            kept.clear()
        elif cell:
            kept.append(cell)
    return f"| {' | '.join(kept)} |" if kept else ""


def _sentences(segment: str) -> list[str]:
    sentences: list[str] = []
    for line in segment.splitlines():
        if _BOLD_LINE.match(line):
            continue
        for sentence in split_sentences(_without_flags(line)):
            text = _LEADING_PUNCTUATION.sub("", sentence).strip()
            if text and not text.endswith("?") and not _NEEDS_INPUT.match(text) and tokenize(text):
                sentences.append(text)
    return sentences


def _layout(answer: str) -> str:
    """Drop what is not a claim (footnotes, table headers, sections listing sources or
    needed input); give each list or table line below an intro line its marker."""
    lines = answer.splitlines()
    kept: list[str] = []
    marker: str | None = None
    skipping = False
    for n, line in enumerate(lines):
        if _HEADING.match(line):
            skipping = bool(_NOT_CLAIMS_SECTION.match(line))
        following = lines[n + 1] if n + 1 < len(lines) else ""
        if skipping or _FOOTNOTE.match(line) or ("|" in line and _TABLE_RULE.match(following)):
            continue
        if marker is not None and _LIST_LINE.match(line):
            kept.append(f"{line.rstrip()} {marker}")
            continue
        if line.strip():
            intro = _INTRO.search(line)
            marker = intro.group(1) if intro else None
        kept.append(line)
    return "\n".join(kept)


def split_claims(answer: str) -> list[Claim]:
    """The claims of `answer`, in order (see the module docstring for the conventions)."""
    answer = _layout(answer)
    claims: list[Claim] = []
    position = 0
    for match in MARKER_GROUP.finditer(answer):
        markers = tuple(dict.fromkeys(_ONE_MARKER.findall(match.group())))
        claims.extend(Claim(s, markers) for s in _sentences(answer[position : match.start()]))
        position = match.end()
    claims.extend(Claim(s) for s in _sentences(answer[position:]))
    return claims
