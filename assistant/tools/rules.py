"""The business rules as the knowledge base states them, and the date windows tools use.

- Health Scoring Guide: bands (below 40 red, 40-59 orange, 60-79 yellow, 80+ green), the
  overall score (rounded unweighted mean of five components), healthy from 60, and the
  trend (latest score against the oldest in the window; a change of 5 or more points).
- License Compliance Guide: unused share = (licensed - active) / licensed; High from 50%,
  Medium from 25%, Low under 25%; active above licensed is over-deployment (a compliance
  issue, never High risk, no negative unused share).
- Expansion Targeting Playbook: ARR per employee below $150 is low penetration; crossed with
  healthy/unhealthy it gives Expand, Advocate, Fix adoption, Save.
- CSAT and NPS Guide: promoters 9-10, passives 7-8, detractors 0-6; NPS = % promoters -
  % detractors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

Band = Literal["red", "orange", "yellow", "green"]
Risk = Literal["High", "Medium", "Low", "over-deployed"]
Direction = Literal["improving", "declining", "stable"]
Quadrant = Literal["Expand", "Advocate", "Fix adoption", "Save"]

HEALTHY_FROM = 60
TREND_POINTS = 5
PENETRATION_THRESHOLD = 150


def health_band(score: int) -> Band:
    if score < 40:
        return "red"
    if score < 60:
        return "orange"
    if score < 80:
        return "yellow"
    return "green"


def is_healthy(score: int) -> bool:
    return score >= HEALTHY_FROM


def overall_score(components: Sequence[int]) -> int:
    return round(sum(components) / len(components))


def trend_direction(oldest: int, latest: int) -> Direction:
    change = latest - oldest
    if change <= -TREND_POINTS:
        return "declining"
    if change >= TREND_POINTS:
        return "improving"
    return "stable"


def unused_share(licensed: int, active: int) -> float | None:
    """Unused share of licenses (0..1); None when over-deployed (it is never negative)."""
    if active > licensed:
        return None
    return (licensed - active) / licensed


def license_risk(licensed: int, active: int) -> Risk:
    share = unused_share(licensed, active)
    if share is None:
        return "over-deployed"
    if share >= 0.5:
        return "High"
    if share >= 0.25:
        return "Medium"
    return "Low"


def low_penetration(arr: int, employees: int) -> bool:
    return arr / employees < PENETRATION_THRESHOLD


def quadrant(health: int, arr: int, employees: int) -> Quadrant:
    low = low_penetration(arr, employees)
    if is_healthy(health):
        return "Expand" if low else "Advocate"
    return "Fix adoption" if low else "Save"


def nps(scores: Sequence[int]) -> int | None:
    """Net Promoter Score, rounded to a whole number; None without responses."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100 * (promoters - detractors) / len(scores))


# date windows ------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, when negative) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def window_start(today: dt.date, months: int) -> dt.date:
    """Start of "the last N months" as of `today`: the first day of the month N months back.

    With today 2026-11-01 and 12 months the window is 2025-11-01 .. 2026-11-01, i.e. the
    twelve monthly snapshots November 2025 to October 2026 (plus November 2026 if recorded).
    """
    return add_months(today, -months)
