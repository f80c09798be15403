"""An answer as a list of claims: its sentences, each with the citation markers covering it.

Markers: `[n]` cites the n-th knowledge chunk of the response, `[Tn]` its n-th tool call;
`[1, 2]` and `[1][2]` cite several. A marker covers the sentences written since the previous
marker (so `A. B. [1]` attributes both sentences to chunk 1, and the table rows above a
`[T1]` line to tool call 1). Two layouts refine this:
- a line ending in a marker and a colon (`Renewals due [T1]:`) introduces the list or table
  lines below it: each of them is covered by that marker;
- a line starting with a marker (`[T1] health_score(...) as of ...`) is a footnote naming the
  source, not a claim.
Text after the last marker is uncited. Markdown headings (`#` lines, a line that is all
bold), questions (a clarifying "Which one do you mean?") and sentences without a content
word are not claims.
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
_FOOTNOTE = re.compile(r"^\s*\[T?\d+(?:\s*,\s*T?\d+)*\]")
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


def _sentences(segment: str) -> list[str]:
    sentences: list[str] = []
    for line in segment.splitlines():
        if _BOLD_LINE.match(line):
            continue
        for sentence in split_sentences(line):
            text = _LEADING_PUNCTUATION.sub("", sentence).strip()
            if text and not text.endswith("?") and tokenize(text):
                sentences.append(text)
    return sentences


def _layout(answer: str) -> str:
    """Drop footnote lines; give each list or table line below an intro line its marker."""
    lines: list[str] = []
    marker: str | None = None
    for line in answer.splitlines():
        if _FOOTNOTE.match(line):
            continue
        if marker is not None and _LIST_LINE.match(line):
            lines.append(f"{line.rstrip()} {marker}")
            continue
        if line.strip():
            intro = _INTRO.search(line)
            marker = intro.group(1) if intro else None
        lines.append(line)
    return "\n".join(lines)


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
