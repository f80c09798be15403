"""Comparing figures: against a previous report (regressions) and against another engine
(ratios). Plain functions over summary dicts, as report.json stores them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NOT_COMPARED = frozenset({"cases", "failed_cases"})


def lower_is_better(name: str) -> bool:
    return name.endswith("_ms")


def gated(name: str) -> bool:
    """Whether a regression of this figure fails the run: scores yes, latencies no (they
    depend on the machine; they are reported, and suites may set a latency threshold)."""
    return name not in NOT_COMPARED and not lower_is_better(name)


@dataclass(frozen=True)
class Delta:
    current: float
    baseline: float
    delta: float  # current - baseline
    regressed: bool  # worse by more than the tolerance, and gated


def deltas(
    current: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float
) -> dict[str, Delta]:
    """Figure by figure (those both have a number for): the change and whether it regressed."""
    result: dict[str, Delta] = {}
    for name in current:
        value, before = _number(current.get(name)), _number(baseline.get(name))
        if name in NOT_COMPARED or value is None or before is None:
            continue
        change = value - before
        worse = change > 0 if lower_is_better(name) else change < -tolerance
        result[name] = Delta(value, before, change, worse and gated(name))
    return result


def regressions(found: Mapping[str, Delta]) -> list[str]:
    return [name for name, delta in found.items() if delta.regressed]


def ratios(ours: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, float | None]:
    """ours / other for each figure both have; None when the other's is 0."""
    result: dict[str, float | None] = {}
    for name in ours:
        value, theirs = _number(ours.get(name)), _number(other.get(name))
        if name in NOT_COMPARED or value is None or theirs is None:
            continue
        result[name] = None if theirs == 0 else value / theirs
    return result


def case_regressions(
    current: Mapping[str, float], baseline: Mapping[str, float], tolerance: float
) -> list[str]:
    """The metrics of one case that dropped by more than the tolerance."""
    return [
        name
        for name, value in current.items()
        if name in baseline and float(baseline[name]) - float(value) > tolerance
    ]


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
