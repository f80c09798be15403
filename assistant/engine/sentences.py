"""Splitting chunk text into quotable sentences."""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*+•✓✔]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])|(?<=[。！？])")
_MARKUP = re.compile(r"\*\*|__|`")


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk: lines first (bullets, table rows), then sentence boundaries."""
    sentences: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or _TABLE_RULE.match(line) or line.startswith("#"):
            continue
        line = _MARKUP.sub("", _BULLET.sub("", line))
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            line = " | ".join(cell for cell in cells if cell)
        sentences.extend(part.strip() for part in _BOUNDARY.split(line) if part.strip())
    return sentences
