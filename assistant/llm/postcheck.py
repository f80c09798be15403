"""The post-check of a model's answer: it may cite only what it was given, and its figures
should come from what it was given.

- `CitationFilter` drops every marker `[n]` whose chunk the model was never given, as the
  text streams (it holds back an unfinished `[` and trailing spaces, so a marker is never
  split across pieces and the filtered pieces join to the filtered whole).
- `unsupported_numbers` flags each number in the answer that appears in neither a tool
  result, a cited chunk nor the question (rounding and "85%" for 0.85 are tolerated). Of a
  tool result's list of records (the rows of `list_accounts`, say), only the records the
  answer names count: after a long list almost any integer would otherwise be "supported".
- `enforce_numbers` then removes each sentence holding such a number, or marks it
  (`ASSISTANT_LLM_UNSUPPORTED_NUMBERS=remove|mark|flag`); a list item or table row is one
  sentence, so no structure is cut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# `[1]`, `[1, 2]`; not an index in a path (`risks[0].owner`) nor a link text (`[1](url)`)
MARKER = re.compile(r"[ \t]*\[(\d+(?:\s*[,;]\s*\d+)*)\](?!\.\w|\()")
_MAX_MARKER = 24  # an unclosed "[" held back longer than this is not a marker
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_LIST_ITEM = re.compile(r"^\s*\d+[.)]\s", re.M)
_NUMBER = re.compile(
    r"(?<![\w.,\-/\[])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%|\s?[kKmM]\b|\s?bn\b)?(?!\w)"
)
_SCALE = {"k": 1e3, "m": 1e6, "bn": 1e9}


def cited(text: str) -> list[int]:
    """The chunk numbers cited in the text, in order of first mention."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            if int(part) not in seen:
                seen.append(int(part))
    return seen


class CitationFilter:
    def __init__(self, known: set[int]) -> None:
        self.known = known  # the caller adds chunks as the model is given them
        self.dropped: list[int] = []
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of the text so far that can be released, with unknown markers dropped."""
        self._held += text
        cut = len(self._held.rstrip())
        bracket = self._held.rfind("[", 0, cut)
        # hold an unclosed "[", or a marker too close to the end: the two characters after
        # it decide whether it is one (`[0].kpi` is an index, `[1](url)` a link)
        closed = self._held.find("]", bracket) if bracket != -1 else -1
        if bracket != -1 and cut - bracket < _MAX_MARKER and (closed == -1 or cut - closed < 3):
            cut = bracket
        while cut > 0 and self._held[cut - 1] in " \t":
            cut -= 1
        ready, self._held = self._held[:cut], self._held[cut:]
        return self._clean(ready)

    def flush(self) -> str:
        ready, self._held = self._held, ""
        return self._clean(ready)

    def _clean(self, text: str) -> str:
        def keep(match: re.Match[str]) -> str:
            numbers = [int(p) for p in re.split(r"\s*[,;]\s*", match.group(1))]
            valid = [n for n in numbers if n in self.known]
            self.dropped += [n for n in numbers if n not in self.known]
            if not valid:
                return ""
            lead = match.group()[: match.group().index("[")]
            return f"{lead}[{', '.join(map(str, valid))}]"

        return MARKER.sub(keep, text)


def _values(text: str) -> list[tuple[str, float]]:
    """(as written, value) of each number in the text, in order; a date is one number."""
    text = _LIST_ITEM.sub(" ", MARKER.sub(" ", text))
    found = [
        (m.start(), m.group(), float(m.group().replace("-", ""))) for m in _DATE.finditer(text)
    ]
    for match in _NUMBER.finditer(_DATE.sub(lambda m: " " * len(m.group()), text)):
        whole, decimals, unit = match.groups()
        value = float(whole.replace(",", "") + (decimals or ""))
        suffix = (unit or "").strip().lower()
        if suffix in _SCALE:
            value *= _SCALE[suffix]
        found.append((match.start(), match.group().strip(), value))
    return [(written, value) for _, written, value in sorted(found)]


_FREE_LIST = 3  # a list of this many records or fewer counts whole


def _json_numbers(value: Any, answer: str | None = None) -> Iterable[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, str):
        yield from (v for _, v in _values(value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_numbers(item, answer)
    elif isinstance(value, list):
        records = answer is not None and len(value) > _FREE_LIST
        for item in value:
            if records and isinstance(item, dict) and not _named(item, str(answer)):
                continue
            yield from _json_numbers(item, answer)


def _named(record: dict[str, Any], answer: str) -> bool:
    """Whether the answer names the record (one of its ids or names)."""
    return any(
        isinstance(v, str) and len(v) >= 3 and re.search(r"[A-Za-z]", v) and v.lower() in answer
        for v in record.values()
    )


def support(texts: Iterable[str], results: Iterable[Any], answer: str | None = None) -> set[float]:
    """Every number in the texts and in the (JSON) tool results; with `answer`, only the
    records of a long list that the answer names."""
    numbers = {v for text in texts for _, v in _values(text)}
    lowered = answer.lower() if answer is not None else None
    numbers.update(v for result in results for v in _json_numbers(result, lowered))
    return numbers


def _supported(value: float, written: str, numbers: set[float]) -> bool:
    candidates = [value]
    if written.endswith("%"):
        candidates.append(value / 100)
    for candidate in candidates:
        for known in numbers:
            if abs(candidate - known) <= max(0.01, 0.005 * abs(known)):
                return True
            if 0 < abs(known) <= 1 and abs(candidate - known * 100) <= 0.5:
                return True  # 0.85 written as 85 (%)
    return False


def unsupported_numbers(answer: str, numbers: set[float]) -> list[str]:
    flagged: list[str] = []
    for written, value in _values(answer):
        if not _supported(value, written, numbers) and written not in flagged:
            flagged.append(written)
    return flagged


MARK = "_(unverified figure)_"  # the figure itself is not repeated: `check` names it
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*_(\[\"'])")
_STRUCTURED = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|\||#)")


def enforce_numbers(text: str, numbers: set[float], policy: str) -> tuple[str, list[str]]:
    """(the text with each sentence holding an unsupported number removed or marked, those
    numbers). A list item, table row or heading is one unit; prose lines split into
    sentences. `flag` changes nothing."""
    flagged = unsupported_numbers(text, numbers)
    if not flagged or policy == "flag":
        return text, flagged
    lines: list[str] = []
    for line in text.split("\n"):
        units = [line] if _STRUCTURED.match(line) else _SENTENCE.split(line)
        kept: list[str] = []
        for unit in units:
            bad = unsupported_numbers(unit, numbers)
            if not bad:
                kept.append(unit)
            elif policy == "mark":
                kept.append(f"{unit.rstrip()} {MARK}")
        if kept or not line.strip():
            lines.append(" ".join(kept) if len(units) > 1 else (kept[0] if kept else ""))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), flagged


def dumps(result: Any) -> str:
    return json.dumps(result, ensure_ascii=False, default=str)
