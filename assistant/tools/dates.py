"""Calendar arithmetic the tools share: month steps and "the last N months" windows."""

from __future__ import annotations

import datetime as dt


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
