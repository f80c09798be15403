"""Checks that every figure an answer states is a value of the tool result it cites."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from assistant.engine.account_desk import GUIDANCE_HEADING
from assistant.engine.types import ChatResponse

DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
IDS = re.compile(r"\b(?:ACC|OPP)-\d+\b", re.I)
NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?(?![\w])")
MARKER = re.compile(r"\[T(\d+)\]")


def as_number(token: str) -> float:
    return float(token.strip("$%+").replace("$", "").replace(",", ""))


def leaves(value: Any) -> Iterator[Any]:
    """The scalar values nested in dicts and lists (booleans and None left out)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not (isinstance(item, bool) or item is None):
            yield item


def values_of(value: Any) -> tuple[set[float], set[str]]:
    """Every number in a tool result (numeric leaves and numbers inside texts) and dates."""
    numbers: set[float] = set()
    dates: set[str] = set()
    for item in leaves(value):
        if isinstance(item, int | float):
            numbers.add(float(item))
        else:
            text = str(item)
            dates.update(DATE.findall(text))
            numbers.update(abs(as_number(t)) for t in NUMBER.findall(DATE.sub(" ", text)))
    return numbers, dates


def stated_figures(response: ChatResponse) -> list[tuple[str, set[int]]]:
    """(paragraph, cited tool numbers) for each paragraph of the figures part; a paragraph
    without a marker (a table under its cited title) belongs to the one before."""
    body = response.answer.split(GUIDANCE_HEADING)[0]
    out: list[tuple[str, set[int]]] = []
    for paragraph in (p for p in body.split("\n\n") if p.strip()):
        cited = {int(n) for n in MARKER.findall(paragraph)}
        out.append((paragraph, cited or (out[-1][1] if out else set())))
    return out


def assert_figures_match(response: ChatResponse) -> int:
    """Assert; returns how many figures were checked."""
    checked = 0
    for paragraph, cited in stated_figures(response):
        assert cited, f"paragraph without a tool citation: {paragraph!r}"
        numbers: set[float] = set()
        dates: set[str] = set()
        for n in cited:
            call = response.tool_calls[n - 1]
            found_numbers, found_dates = values_of([call.result, call.arguments])
            numbers |= found_numbers
            dates |= found_dates
        text = MARKER.sub(" ", paragraph)
        for date in DATE.findall(text):
            assert date in dates, f"{date} is not in the cited result: {paragraph!r}"
            checked += 1
        text = IDS.sub(" ", DATE.sub(" ", text))
        for token in NUMBER.findall(text):
            value = as_number(token)
            assert value in numbers or abs(value) in numbers, (
                f"{token} is not in the cited result: {paragraph!r}"
            )
            checked += 1
    return checked
