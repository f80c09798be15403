"""Splitting chunk text into quotable sentences, with their character spans.

Ingestion embeds each sentence in context (mean of the chunk's token vectors over the
sentence's span); the grounded composer quotes the same sentences, and the eval's claim
splitter reads answers with them, so all three use this module.

Text is first cut into blocks by its layout: a paragraph (its hard-wrapped lines are one
paragraph: a line break is a wrap when the next line's first word would not have fitted on
the line before, as a text editor wraps), a list item (with its wrapped continuation lines),
a table row, a key-value record line (`key: value; key: value`), a fenced code line.
Headings and table rules are not sentences. Inside a block, sentence boundaries come from
sentencex (Wikimedia's rule-based segmenter: abbreviations, decimals, initials, quotes and
about 300 languages, no model, no dependencies), so "e.g." or "4.2" never ends a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sentencex import segment

_BULLET = re.compile(r"^\s*(?:[-*+•✓✔]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RECORD = re.compile(r"^[^:;]{1,60}: [^;]*(?:; [^:;]{1,60}: [^;]*)+$")
_MARKUP = re.compile(r"\*\*|__|`")
_MIN_WRAP_WIDTH = 40  # paragraphs narrower than this are never treated as wrapped
_FULL_LINE = 0.75  # a line this share of the paragraph's width long is a full line
_TERMINAL = ".!?:;。！？"
LANGUAGE = "en"  # sentencex falls back to generic rules for text in other languages

Span = tuple[int, int, str]


@dataclass
class _Block:
    kind: str  # paragraph | item | row | line
    lines: list[tuple[int, int]]  # (start, end) of each line's text in the source


_HARD_BREAK = "  "  # two trailing spaces


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) without line endings."""
    found: list[tuple[int, int, str]] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        found.append((offset, offset + len(line), line))
        offset += len(raw)
    return found


def _wraps(previous: str, following: str, width: int) -> bool:
    """Whether the break between two lines of one paragraph is a soft wrap: the line before
    is full (the first word of `following` would not have fitted after it within the
    paragraph's width, or it fills most of that width), or it stops mid-sentence and the
    next line goes on in lower case."""
    if width < _MIN_WRAP_WIDTH or not following.strip():
        return False
    before = previous.rstrip()
    first_word = following.split(maxsplit=1)[0]
    if len(before) + 1 + len(first_word) > width or len(before) >= _FULL_LINE * width:
        return True
    return before[-1:] not in _TERMINAL and first_word[:1].islower()


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    fenced = False
    lines = _lines(text)
    for start, end, line in lines:
        stripped = line.strip()
        if _FENCE.match(line):
            fenced, current = not fenced, None
            continue
        if fenced:
            if stripped:
                blocks.append(_Block("line", [(start, end)]))
            continue
        if not stripped or stripped.startswith("#") or _TABLE_RULE.match(stripped):
            current = None
            continue
        if stripped.startswith("|"):
            blocks.append(_Block("row", [(start, end)]))
            current = None
        elif _BULLET.match(line):
            current = _Block("item", [(start, end)])
            blocks.append(current)
        elif _RECORD.match(stripped):
            blocks.append(_Block("line", [(start, end)]))
            current = None
        elif current is not None and current.kind in ("paragraph", "item"):
            current.lines.append((start, end))
        else:
            current = _Block("paragraph", [(start, end)])
            blocks.append(current)
        if line.endswith(_HARD_BREAK):
            # a Markdown hard break ends the block: the header splitter writes one where the
            # source had a blank line ("- last item.  \nThe next paragraph.")
            current = None
    return [piece for block in blocks for piece in _unwrapped(text, block)]


def _unwrapped(text: str, block: _Block) -> list[_Block]:
    """A block of several lines, split where a break is a hard one (a short line that ends
    before the paragraph's width, such as an address or a line-per-fact list)."""
    if len(block.lines) == 1:
        return [block]
    width = max(end - start for start, end in block.lines)
    pieces = [_Block(block.kind, [block.lines[0]])]
    for (a, b), (c, d) in zip(block.lines, block.lines[1:], strict=False):
        if _wraps(text[a:b], text[c:d], width):
            pieces[-1].lines.append((c, d))
        else:
            pieces.append(_Block("paragraph", [(c, d)]))
    return pieces


def _joined(text: str, block: _Block) -> tuple[str, list[int]]:
    """The block's lines joined with single spaces, and each character's source offset."""
    parts: list[str] = []
    origin: list[int] = []
    for start, end in block.lines:
        line = text[start:end]
        lead = len(line) - len(line.lstrip())
        body = line.strip()
        if parts:
            parts.append(" ")
            origin.append(start - 1)
        parts.append(body)
        origin.extend(range(start + lead, start + lead + len(body)))
    return "".join(parts), origin


def sentence_spans(text: str) -> list[Span]:
    """(start, end, sentence) for each sentence, in order. The span is where the sentence
    stands in `text` (across the line breaks of a wrapped paragraph); the sentence is on one
    line, cleaned of bullet, emphasis and table markup."""
    return [(start, end, sentence) for start, end, sentence, *_ in _units(text)]


@lru_cache(maxsize=4096)
def _units(text: str) -> tuple[tuple[int, int, str, str, int], ...]:
    """Each sentence's span, text, kind and the number of the block (paragraph, list item,
    row) it stands in (the composer reads the kinds and the blocks of every chunk it scores:
    one parse for both)."""
    spans: list[tuple[int, int, str, str, int]] = []
    for number, block in enumerate(_blocks(text)):
        joined, origin = _joined(text, block)
        whole = block.kind in ("row", "line")
        # a list item's marker ("-", "9.") is no sentence: the splitter would cut "9." off
        marker = _BULLET.match(joined) if block.kind == "item" else None
        position = marker.end() if marker else 0
        pieces = [joined] if whole else list(segment(LANGUAGE, joined[position:]))
        for piece in pieces:
            start = joined.find(piece, position) if piece else -1
            if start < 0:
                continue
            position = start + len(piece)
            body = piece.strip()
            if not body:
                continue
            first = start + (len(piece) - len(piece.lstrip()))
            last = first + len(body) - 1
            sentence = _clean(body, bullet=block.kind == "item" and first == 0)
            if sentence:
                spans.append((origin[first], origin[last] + 1, sentence, block.kind, number))
    return tuple(spans)


def _clean(part: str, bullet: bool) -> str:
    text = _BULLET.sub("", part) if bullet else part
    text = _MARKUP.sub("", text).strip()
    if text.startswith("|"):
        cells = [cell.strip() for cell in text.strip("|").split("|")]
        text = " | ".join(cell for cell in cells if cell)
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    return tuple(sentence for _, _, sentence in sentence_spans(text))


def split_sentences(text: str) -> list[str]:
    return list(_split(text))


def sentence_kinds(text: str) -> tuple[str, ...]:
    """What each sentence of `split_sentences(text)` stands in: `item` (a list item), `row`
    (a table row), `line` (a record or code line) or `paragraph`."""
    return tuple(kind for _, _, _, kind, _ in _units(text))


def sentence_blocks(text: str) -> tuple[int, ...]:
    """The number of the block (paragraph, list item, table row) each sentence of
    `split_sentences(text)` stands in: the sentences of one list item share it."""
    return tuple(number for *_, number in _units(text))


def unwrap(text: str) -> str:
    """`text` with each hard-wrapped paragraph and list item on one line; every other line
    (headings, table rows, records, code, blank lines, short lines) as it was."""
    lines = _lines(text)
    joins: set[int] = set()  # source offsets of line breaks that are soft wraps
    for block in _blocks(text):
        if block.kind in ("paragraph", "item"):
            joins.update(end for (_, end) in block.lines[:-1])
    if not joins:
        return text
    out: list[str] = []
    for _start, end, line in lines:
        piece = line if not out or out[-1].endswith("\n") else line.lstrip()
        out.append(piece)
        newline = text[end : end + 2] if text[end : end + 2] == "\r\n" else text[end : end + 1]
        if end in joins:
            out[-1] = out[-1].rstrip() + " "
        else:
            out.append(newline)
    return "".join(out)
