"""Readability of a draft's customer-facing text: the share of its sentences that are whole
sentences written for the reader, not pasted list fragments or raw figures.

The sections a draft marks `customer_facing` (the template's `audience: customer`) are cut
out of its Markdown by their headings (a section runs to the next heading of its level or
higher). Each paragraph sentence, each bullet and each table cell (after the row label)
is one unit; evidence markers ([n], [Tn]) and bold marks are removed first, and a unit that
is a flagged gap ("Needs input: ...") is not prose and is left out (draft completeness
scores those). A unit is a whole sentence when it starts with a capital letter, a digit or
a quote, ends with . ? or !, and has at least `MIN_WORDS` words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_WORDS = 4
_MARKERS = re.compile(r"\s*\[T?\d+\]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"“])")
_GAP = "Needs input:"


def sections_text(markdown: str, titles: Iterable[str]) -> list[str]:
    """The lines under each heading whose text is one of `titles`."""
    wanted = {t.strip() for t in titles}
    lines: list[str] = []
    level: int | None = None
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            depth = len(heading.group(1))
            if level is not None and depth <= level:
                level = None
            if level is None and heading.group(2).strip() in wanted:
                level = depth
            continue
        if level is not None and line.strip():
            lines.append(line.strip())
    return lines


def units(lines: Iterable[str]) -> list[str]:
    """Sentences, bullets and table cells, markers and bold marks removed."""
    out: list[str] = []
    for line in lines:
        if re.fullmatch(r"\|[\s|:-]+\|", line):
            continue  # a table's rule line
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            parts = cells[1:] if len(cells) > 1 else cells
            if parts in (["Value"], ["Item", "Value"]):
                continue
            pieces = parts
        elif re.match(r"^(?:[-*]|\d+\.)\s+", line):
            pieces = [re.sub(r"^(?:[-*]|\d+\.)\s+", "", line)]
        else:
            pieces = _SENTENCE.split(_MARKERS.sub("", line.replace("**", "")))
        for piece in pieces:
            text = _MARKERS.sub("", piece.replace("**", "")).strip()
            if text and not text.startswith(_GAP):
                out.append(text)
    return out


def whole_sentence(text: str) -> bool:
    return (
        bool(re.match(r"^[A-Z0-9\"“]", text))
        and text.rstrip('”")').endswith((".", "?", "!"))
        and len(text.split()) >= MIN_WORDS
    )


def readability(markdown: str, titles: Iterable[str]) -> float | None:
    """Share of whole sentences among the customer-facing units; None without any."""
    found = units(sections_text(markdown, titles))
    if not found:
        return None
    return sum(1 for u in found if whole_sentence(u)) / len(found)


def fragments(markdown: str, titles: Iterable[str]) -> list[str]:
    """The units that are not whole sentences (reported with a case's score)."""
    return [u for u in units(sections_text(markdown, titles)) if not whole_sentence(u)]
