"""Numeric consistency: every number an answer states must appear in its evidence.

Numbers are compared by value, not by spelling: `1,200`, `1200` and `1200.0` are one value;
`16%` also matches `0.16`; `420k` also matches `420000` (k, m/million, bn/billion). Citation
markers (`[2]`, `[T1]`) are not numbers of the answer, nor are digits inside a word or name
(`sev1`, `Q3`, `2x2`, `3rd`). A date `2027-01-15` is the numbers 2027, 1 and 15, on both
sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from assistant.evaluation.claims import strip_markers

_NUMBER = re.compile(
    r"(?<![\w.])(?>(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?)"
    r"(?:\s?(?P<unit>%|percent\b|k\b|K\b|thousand\b|m\b|M\b|million\b|bn\b|billion\b))?"
    r"(?![A-Za-z])"
)
_SCALE = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}


@dataclass(frozen=True)
class Number:
    text: str  # as written
    values: frozenset[str]  # canonical values it may stand for


def canonical(value: Decimal) -> str:
    """`Decimal('1200.0')` -> '1200'; `Decimal('0.160')` -> '0.16'."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def numbers(text: str) -> list[Number]:
    """The numbers in `text` (citation markers removed), with the values each may stand for."""
    found: list[Number] = []
    for match in _NUMBER.finditer(strip_markers(text)):
        try:
            value = Decimal(match["int"].replace(",", "") + (match["frac"] or ""))
        except InvalidOperation:  # pragma: no cover - the pattern only admits digits
            continue
        values = {canonical(value)}
        unit = (match["unit"] or "").lower()
        if unit in ("%", "percent"):
            values.add(canonical(value / 100))
        elif unit in _SCALE:
            values.add(canonical(value * _SCALE[unit]))
        found.append(Number(match.group().strip(), frozenset(values)))
    return found


def number_values(texts: Iterable[str]) -> set[str]:
    """Every value any number in `texts` may stand for."""
    return {value for text in texts for number in numbers(text) for value in number.values}


def unsupported_numbers(answer: str, evidence: Iterable[str]) -> list[str]:
    """The numbers of `answer` found in none of the evidence texts, as written."""
    known = number_values(evidence)
    return [n.text for n in numbers(answer) if not n.values & known]


def numeric_consistency(answer: str, evidence: Iterable[str]) -> float | None:
    """1.0 when every number of the answer appears in the evidence, else 0.0; None (not
    applicable) when the answer states no number."""
    if not numbers(answer):
        return None
    return 0.0 if unsupported_numbers(answer, evidence) else 1.0
