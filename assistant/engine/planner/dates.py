"""Date windows in a message, relative to the settings clock: "the next two months", "in 3
weeks", "this quarter", "Q1", "before March", "by 2027-03-01", "in June", "next year", "by
the end of the year".

Calendar arithmetic is python-dateutil's (`relativedelta`, its parser for explicit dates);
this module only finds the phrase. A named month or quarter means the next one to come
(with today in November, "Q1" and "March" are next year's).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

import numpy as np
from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from assistant.engine.number_words import NUMBER_WORDS
from assistant.engine.planner.plan import DateRange

_COUNT = rf"(\d{{1,4}}|{'|'.join(NUMBER_WORDS)})"
_UNIT = r"(days?|weeks?|months?|quarters?|years?)"
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = rf"({'|'.join(sorted(_MONTHS, key=len, reverse=True))})\.?"
_I = re.I

# "within 3 working days": weekdays (numpy's business-day calendar, Monday to Friday)
AHEAD = re.compile(
    rf"\b(?:next|within|coming|upcoming|in|over)\s+(?:the\s+)?(?:next\s+)?{_COUNT}\s+"
    rf"((?:business|working)\s+)?{_UNIT}\b",
    _I,
)
# "in the next month", "within a week": one unit from today (as "the next two months" is two);
# a bare "next month" / "this quarter" is the calendar unit
ROLLING_ONE = re.compile(
    r"\b(?:(?:in|within|over|during)\s+the\s+(?:next|coming)|within\s+(?:a|one|the))\s+"
    r"(week|month|quarter|year)\b",
    _I,
)
AHEAD_ONE = re.compile(r"\b(?:the\s+)?(next|this|coming)\s+(week|month|quarter|year)\b", _I)
# "before the end of the year", "by year-end", "by the end of this quarter": from today to
# the end of the current calendar unit
UNIT_END = re.compile(
    r"\b(?:by|before|until|till|through)\s+(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?"
    r"(year|quarter|month)\b|\b(?:by\s+|before\s+)?(?:the\s+)?(year|quarter|month)[- ]end\b",
    _I,
)
QUARTER = re.compile(r"\bq([1-4])(?:\s*(?:of\s+)?(\d{4}))?\b", _I)
ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
BOUND = re.compile(
    rf"\b(before|by|until|till|through|after|from|since|in)\s+"
    rf"(?:the\s+)?(?:(end|start|beginning)\s+of\s+)?"  # "before the end of March"
    rf"({_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})\b",
    _I,
)
# "the last month", "the past 2 quarters": a window back from today
LOOK_BACK = re.compile(rf"\b(?:last|past|previous)\s+(?:{_COUNT}\s+)?{_UNIT}\b", _I)
# "by the end of Q1": from today to the quarter's end, not the whole quarter
UNTIL_QUARTER = re.compile(r"\b(?:by|before|until|till|through)\s+(?:the\s+)?(?:end\s+of\s+)?$", _I)


def _count(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token.lower()]


def _span(unit: str, count: int) -> relativedelta:
    unit = unit.lower().rstrip("s")
    if unit == "quarter":
        return relativedelta(months=3 * count)
    return relativedelta(**{f"{unit}s": count})


def _business_days(today: dt.date, count: int) -> dt.date:
    """The day `count` weekdays after `today`."""
    moved = np.busday_offset(np.datetime64(today, "D"), count, roll="backward")
    return dt.date.fromisoformat(str(moved))


def _quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * (quarter - 1) + 1, 1)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _upcoming_month(today: dt.date, month: int) -> dt.date:
    """The first day of the next `month` to come (this month counts as to come)."""
    year = today.year if month >= today.month else today.year + 1
    return dt.date(year, month, 1)


def _explicit(text: str, today: dt.date) -> tuple[dt.date, bool]:
    """A date named in words or ISO; whether it names a whole month (no day)."""
    words = text.lower().rstrip(".")
    month_only = re.fullmatch(rf"{_MONTH}(?:,?\s+(\d{{4}}))?", words, _I)
    if month_only:
        month = _MONTHS[month_only.group(1).lower()]
        if month_only.group(2):
            return dt.date(int(month_only.group(2)), month, 1), True
        return _upcoming_month(today, month), True
    default = dt.datetime(today.year, today.month, 1)
    parsed = date_parser.parse(text, default=default).date()
    if parsed < today and not re.search(r"\d{4}", text):
        parsed = parsed.replace(year=parsed.year + 1)
    return parsed, False


def parse_window(message: str, today: dt.date) -> DateRange | None:
    """The date window the message names, or None."""
    found = UNIT_END.search(message)
    if found:
        unit = (found.group(1) or found.group(2)).lower()
        return DateRange(
            today, _calendar_unit(today, "this", unit, found.group(0)).end, found.group(0)
        )
    found = AHEAD.search(message)
    if found:
        count, unit = _count(found.group(1)), found.group(3)
        if found.group(2) and unit.lower().startswith("day"):
            end = _business_days(today, count)
        else:
            end = today + _span(unit, count)
        return DateRange(today, end, found.group(0))
    found = QUARTER.search(message)
    if found:
        quarter = int(found.group(1))
        year = int(found.group(2)) if found.group(2) else today.year
        start = _quarter_start(year, quarter)
        if not found.group(2) and start + relativedelta(months=3) <= today:
            start = _quarter_start(year + 1, quarter)
        end = start + relativedelta(months=3, days=-1)
        if UNTIL_QUARTER.search(message[: found.start()]):
            return DateRange(today, end, found.group(0))
        return DateRange(max(start, today), end, found.group(0))
    found = ROLLING_ONE.search(message)
    if found:
        return DateRange(today, today + _span(found.group(1), 1), found.group(0))
    found = AHEAD_ONE.search(message)
    if found:
        which, unit = found.group(1).lower(), found.group(2).lower()
        return _calendar_unit(today, which, unit, found.group(0))
    found = BOUND.search(message)
    if found:
        try:
            day, whole_month = _explicit(found.group(3), today)
        except (ValueError, OverflowError):
            return None
        word, edge = found.group(1).lower(), (found.group(2) or "").lower()
        if edge == "end":  # "before / by the end of March": through its last day
            day, whole_month = _month_end(day), False
            if word == "before":
                word = "by"
            elif word in ("after", "from", "since"):
                day += dt.timedelta(days=1)
        elif edge:  # "by the start of March": its first day
            whole_month = False
        if word in ("before",):
            return DateRange(today, day - dt.timedelta(days=1), found.group(0))
        if word in ("by", "until", "till", "through"):
            return DateRange(today, _month_end(day) if whole_month else day, found.group(0))
        if word == "in":
            if not whole_month:
                return None
            return DateRange(max(day, today), _month_end(day), found.group(0))
        if word == "after" and whole_month:  # "after June": from the first day of July
            day = _month_end(day) + dt.timedelta(days=1)
        elif word == "after" and not edge:  # "after 2027-06-15": from the day after
            day += dt.timedelta(days=1)
        return DateRange(max(day, today), day + relativedelta(years=1), found.group(0))
    found = ISO.search(message)
    if found:
        day = dt.date.fromisoformat(found.group(1))
        return DateRange(min(day, today), max(day, today), found.group(0))
    return None


def _calendar_unit(today: dt.date, which: str, unit: str, phrase: str) -> DateRange:
    if unit == "week":
        start = today - dt.timedelta(days=today.weekday())
        if which == "next":
            start += dt.timedelta(days=7)
        return DateRange(max(start, today), start + dt.timedelta(days=6), phrase)
    if unit == "month":
        start = today.replace(day=1) + relativedelta(months=1 if which == "next" else 0)
        return DateRange(max(start, today), _month_end(start), phrase)
    if unit == "quarter":
        quarter = (today.month - 1) // 3 + 1
        start = _quarter_start(today.year, quarter) + relativedelta(
            months=3 if which == "next" else 0
        )
        return DateRange(max(start, today), start + relativedelta(months=3, days=-1), phrase)
    start = dt.date(today.year + (1 if which == "next" else 0), 1, 1)
    return DateRange(max(start, today), dt.date(start.year, 12, 31), phrase)


def months_back(message: str) -> int | None:
    """ "over the last 6 months" -> 6, "the last month" -> 1, "the past quarter" -> 3, "the
    last 45 days" -> 2 (a look-back window of the trend and incident tools, whole months)."""
    found = LOOK_BACK.search(message)
    if found is None:
        return None
    count = _count(found.group(1)) if found.group(1) else 1
    unit = found.group(2).lower().rstrip("s")
    if unit == "month":
        return count
    months = {"day": count / 30, "week": count * 7 / 30, "quarter": count * 3, "year": count * 12}
    return max(1, math.ceil(months[unit] - 1e-9))


THIS_UNIT = re.compile(r"\b(?:this|the current)\s+(week|month|quarter|year)\b", _I)
SINCE = re.compile(
    rf"\bsince\s+(?:the\s+)?(?:start\s+of\s+)?({_MONTH}(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})\b",
    _I,
)


def look_back(message: str, today: dt.date) -> dt.date | None:
    """The first day of a past window the message names: "in the last month" (a month
    before today), "the past 2 quarters", "this quarter" (its first day), "since March" (the
    last 1 March before today); None when it names none. For figures already recorded
    (incidents, surveys), where a renewal window looks ahead."""
    if found := LOOK_BACK.search(message):
        count = _count(found.group(1)) if found.group(1) else 1
        back: dt.date = today - _span(found.group(2), count)
        return back
    if found := THIS_UNIT.search(message):
        unit = found.group(1).lower()
        if unit == "week":
            return today - dt.timedelta(days=today.weekday())
        if unit == "month":
            return today.replace(day=1)
        if unit == "quarter":
            return _quarter_start(today.year, (today.month - 1) // 3 + 1)
        return dt.date(today.year, 1, 1)
    if found := SINCE.search(message):
        words = found.group(1).lower().rstrip(".")
        if ISO.fullmatch(words):
            return min(dt.date.fromisoformat(words), today)
        month = re.match(_MONTH, words, _I)
        year = re.search(r"\d{4}", words)
        if month is None:
            return None
        number = _MONTHS[month.group(1).lower()]
        start = dt.date(int(year.group(0)) if year else today.year, number, 1)
        if start > today and not year:
            start = start.replace(year=start.year - 1)
        return min(start, today)
    return None
