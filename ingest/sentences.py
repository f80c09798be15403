"""Splitting chunk text into quotable sentences, with their character spans.

Ingestion embeds each sentence in context (mean of the chunk's token vectors over the
sentence's span); the grounded composer quotes the same sentences, so both use this module.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*+•✓✔]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])|(?<=[。！？])")
_MARKUP = re.compile(r"\*\*|__|`")

Span = tuple[int, int, str]


def sentence_spans(text: str) -> list[Span]:
    """(start, end, sentence) for each sentence: lines first (bullets, table rows), then
    sentence boundaries; the sentence is cleaned of bullet and emphasis markup."""
    spans: list[Span] = []
    offset = 0
    for raw_line in text.splitlines(keepends=True):
        line_start = offset
        offset += len(raw_line)
        line = raw_line.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or _TABLE_RULE.match(stripped) or stripped.startswith("#"):
            continue
        position = 0
        for part in _BOUNDARY.split(line):
            start = line.find(part, position)
            position = start + len(part)
            sentence = _clean(part)
            if sentence:
                spans.append((line_start + start, line_start + position, sentence))
    return spans


def _clean(part: str) -> str:
    text = _MARKUP.sub("", _BULLET.sub("", part.strip())).strip()
    if text.startswith("|"):
        cells = [cell.strip() for cell in text.strip("|").split("|")]
        text = " | ".join(cell for cell in cells if cell)
    return text


def split_sentences(text: str) -> list[str]:
    return [sentence for _, _, sentence in sentence_spans(text)]
