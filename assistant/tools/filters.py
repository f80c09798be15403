"""Portfolio filters shared by `list_accounts` and `renewals_due`: owners, bands, score
thresholds, renewal dates, segment, quadrant, module risk, support incidents of given
severities, NPS; sort and top-N.

Band, quadrant, level and module values are checked against the business rules when the
tool runs (a clear tool error lists the valid names), so a customer's rules file with
other names works without a code change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self, TypeVar

from pydantic import BaseModel, Field, model_validator

from assistant.errors import InvalidInputError
from assistant.rules.models import Rules
from assistant.store.accounts import Account, HealthSnapshot, License
from assistant.tools.base import ToolContext, ToolInput
from assistant.tools.dates import window_start
from assistant.tools.licenses import known_module, risk_levels

Segment = Literal["enterprise", "mid_market", "smb"]
SortKey = Literal["name", "arr", "health", "renewal_date", "incidents", "nps"]
Trend = Literal["declining", "stable", "improving"]
Row = TypeVar("Row")
SURVEY_MONTHS = 12  # the NPS window without a date, as survey_trend's default


class PortfolioFilters(ToolInput):
    csm: str | None = Field(default=None, description="only accounts this CSM manages")
    account_exec: str | None = Field(default=None, description="only this account executive's")
    partner: str | None = Field(default=None, description="only accounts this partner works")
    segment: Segment | None = Field(default=None, description="only accounts of this segment")
    bands: list[str] | None = Field(
        default=None, description="only these health bands, e.g. [red, orange] for at risk"
    )
    health_below: int | None = Field(
        default=None, ge=0, le=1000, description="latest overall score below this"
    )
    health_at_least: int | None = Field(
        default=None, ge=0, le=1000, description="latest overall score at least this"
    )
    renewal_from: dt.date | None = Field(default=None, description="renewing on or after")
    renewal_to: dt.date | None = Field(default=None, description="renewing on or before")
    quadrant: str | None = Field(default=None, description="only this expansion-2x2 quadrant")
    trend: Trend | None = Field(
        default=None, description="only accounts whose score trend is this (the rules' window)"
    )
    partnered: bool | None = Field(
        default=None, description="true: only accounts a partner works; false: only direct ones"
    )
    license_risk: str | None = Field(
        default=None, description="accounts with any module at this license risk level"
    )
    module: str | None = Field(
        default=None, description="accounts licensing this module (with license_risk: that module)"
    )
    incident_severities: list[str] | None = Field(
        default=None,
        description="only accounts with a support incident of one of these severities (e.g. "
        "[sev1]) since incidents_since",
    )
    incidents_since: dt.date | None = Field(
        default=None, description="incidents from this date (default: the rules' window)"
    )
    nps_below: int | None = Field(
        default=None,
        ge=-100,
        le=101,
        description="only accounts whose NPS since surveys_since is below this (0: negative)",
    )
    detractors: bool | None = Field(
        default=None, description="true: only accounts with an NPS detractor since surveys_since"
    )
    surveys_since: dt.date | None = Field(
        default=None, description="survey answers from this date (default: the last 12 months)"
    )
    sort: SortKey | None = Field(
        default=None,
        description="name, arr, health, renewal_date, incidents (of incident_severities, or "
        "all) or nps",
    )
    descending: bool = Field(default=False, description="sort high to low / latest first")
    limit: int | None = Field(default=None, ge=1, le=500, description="at most this many")

    @property
    def reads_incidents(self) -> bool:
        """Filtered or sorted by support incidents (the rows then carry the counts)."""
        return self.incident_severities is not None or self.sort == "incidents"

    @property
    def reads_surveys(self) -> bool:
        """Filtered or sorted by NPS (the rows then carry the NPS and detractors)."""
        return self.nps_below is not None or bool(self.detractors) or self.sort == "nps"

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        low, high = self.health_at_least, self.health_below
        if low is not None and high is not None and low >= high:
            raise ValueError(f"health_at_least {low} must be below health_below {high}")
        start, end = self.renewal_from, self.renewal_to
        if start is not None and end is not None and start > end:
            raise ValueError(f"renewal_from {start} is after renewal_to {end}")
        return self


class PortfolioRow(BaseModel):
    """What every portfolio result carries per account."""

    account_id: str
    name: str
    segment: str
    arr: int
    renewal_date: dt.date
    days_to_renewal: int
    csm: str
    account_exec: str
    partner: str | None
    overall: int | None = Field(description="latest overall health score")
    band: str | None
    trend: str | None = Field(description="trend of the overall score over the rules' window")
    quadrant: str | None = Field(description="expansion 2x2 quadrant")
    incidents: int | None = Field(
        default=None, description="incidents of the severities asked for, in their window"
    )
    incidents_since: dt.date | None = Field(default=None, description="start of that window")
    nps: int | None = Field(default=None, description="NPS in the survey window, when asked")
    detractors: int | None = Field(default=None, description="detractors in that window")


@dataclass(frozen=True)
class Placed:
    account: Account
    latest: HealthSnapshot | None
    history: list[HealthSnapshot]
    licenses: list[License]


def _names(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().lower()


def owner_matches(wanted: str, name: str | None) -> bool:
    """Case-insensitive: the whole name, or whole words of it ("maya" for "Maya Chen")."""
    if not name:
        return False
    want, have = _names(wanted), _names(name)
    return want == have or re.search(rf"(?<!\w){re.escape(want)}(?!\w)", have) is not None


def _owner(accounts: Sequence[Account], wanted: str | None, field: str, role: str) -> list[Account]:
    if wanted is None:
        return list(accounts)
    kept = [a for a in accounts if owner_matches(wanted, getattr(a, field))]
    if not kept:
        known = sorted({str(getattr(a, field)) for a in accounts if getattr(a, field)})
        raise InvalidInputError(
            f"no account you may see has {role} '{wanted}'; {role}s: {', '.join(known)}"
        )
    return kept


def check_names(rules: Rules, filters: PortfolioFilters) -> tuple[list[str] | None, str | None]:
    """The rules' own spelling of the bands and the quadrant given (errors list the valid)."""
    bands: list[str] | None = None
    if filters.bands is not None:
        bands = []
        for name in filters.bands:
            band = rules.band(name)
            if band is None:
                raise InvalidInputError(
                    f"unknown health band '{name}'; bands: {', '.join(rules.band_names)}"
                )
            bands.append(band.name)
    quadrant = None
    if filters.quadrant is not None:
        quadrant = next(
            (q for q in rules.quadrant_names if q.lower() == filters.quadrant.strip().lower()),
            None,
        )
        if quadrant is None:
            raise InvalidInputError(
                f"unknown quadrant '{filters.quadrant}'; quadrants: "
                f"{', '.join(rules.quadrant_names)}"
            )
    return bands, quadrant


def check_severities(rules: Rules, filters: PortfolioFilters) -> list[str] | None:
    """The rules' spelling of the severities asked for (an error lists the valid ones)."""
    if filters.incident_severities is None:
        return None
    known = {s.lower(): s for s in rules.support.severities}
    chosen = []
    for name in filters.incident_severities:
        severity = known.get(name.strip().lower())
        if severity is None:
            raise InvalidInputError(
                f"unknown incident severity '{name}'; severities: "
                f"{', '.join(rules.support.severities)}"
            )
        chosen.append(severity)
    return chosen


def top(rows: list[Row], limit: int | None) -> list[Row]:
    """The first `limit` rows (all of them without a limit)."""
    return rows[:limit] if limit is not None else rows


def totals(rows: Sequence[PortfolioRow], shown: Sequence[PortfolioRow]) -> dict[str, Any]:
    """What a portfolio result says of its rows: how many it lists (`shown`, after the
    top-N cut) of how many matched (`rows`), their ARR and mean health."""
    return {
        "count": len(shown),
        "matched": len(rows),
        "total_arr": sum(r.arr for r in shown),
        "average_health": average_health(shown),
    }


def average_health(rows: Sequence[PortfolioRow]) -> float | None:
    """The mean latest overall score of the rows that have one (1 decimal); None without."""
    scores = [r.overall for r in rows if r.overall is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def extra_sources(args: PortfolioFilters) -> list[str]:
    """The tables a filter reads beyond accounts and health snapshots."""
    sources = []
    if args.license_risk is not None or args.module is not None:
        sources.append("licenses")
    if args.reads_incidents:
        sources.append("incidents")
    if args.reads_surveys:
        sources.append("surveys")
    return sources


def select_accounts(
    ctx: ToolContext, accounts: Sequence[Account], filters: PortfolioFilters
) -> list[PortfolioRow]:
    """Filter, sort and cut `accounts` as `filters` say; every row with band, trend and
    quadrant (and the incident count or NPS when those filter)."""
    return top(matching(ctx, accounts, filters), filters.limit)


def matching(
    ctx: ToolContext, accounts: Sequence[Account], filters: PortfolioFilters
) -> list[PortfolioRow]:
    """Every account `filters` keep, sorted, before the top-N cut."""
    rules, today = ctx.rules, ctx.clock()
    bands, quadrant = check_names(rules, filters)
    severities = check_severities(rules, filters)
    levels = risk_levels(rules, [filters.license_risk] if filters.license_risk else None)
    module = known_module(rules, filters.module)
    chosen = _owner(accounts, filters.csm, "csm", "CSM")
    chosen = _owner(chosen, filters.account_exec, "account_exec", "account executive")
    chosen = _owner(chosen, filters.partner, "partner", "partner")
    chosen = [
        a
        for a in chosen
        if filters.segment in (None, a.segment)
        and (filters.partnered is None or bool(a.partner) == filters.partnered)
        and (filters.renewal_from is None or a.renewal_date >= filters.renewal_from)
        and (filters.renewal_to is None or a.renewal_date <= filters.renewal_to)
    ]
    ids = [a.id for a in chosen]
    histories = ctx.store.health_histories(
        ids, window_start(today, rules.health.trend_months), today
    )
    latest = ctx.store.latest_health(ids, today)
    licenses: dict[str, list[License]] = {}
    if levels is not None or module is not None:
        for lic in ctx.store.licenses(ids):
            licenses.setdefault(lic.account_id, []).append(lic)
    rows: list[PortfolioRow] = []
    for account in chosen:
        row = _row(rules, account, latest.get(account.id), histories.get(account.id, []), today)
        if not _keep(row, filters, bands, quadrant):
            continue
        if levels is not None or module is not None:
            held = [lic for lic in licenses.get(account.id, []) if module in (None, lic.module)]
            if not held or (
                levels is not None
                and not any(rules.license_risk(x.licensed, x.active) in levels for x in held)
            ):
                continue
        rows.append(row)
    if filters.reads_incidents:  # "the most incidents" without severities: of any severity
        if severities is None:
            severities = list(rules.support.severities)
        rows = _with_incidents(ctx, rows, severities, filters.incidents_since)
    if filters.reads_surveys:
        rows = _with_nps(ctx, rows, filters)
    return _sorted(rows, filters)


def _with_incidents(
    ctx: ToolContext, rows: list[PortfolioRow], severities: list[str], since: dt.date | None
) -> list[PortfolioRow]:
    today = ctx.clock()
    since = since or window_start(today, ctx.rules.support.incident_window_months)
    counts: dict[str, int] = {}
    # incidents are counted per month: a window from mid-month counts that whole month
    first = since.replace(day=1)
    for incident in ctx.store.incidents_of([r.account_id for r in rows], first, today):
        if incident.severity in severities and incident.count > 0:
            counts[incident.account_id] = counts.get(incident.account_id, 0) + incident.count
    return [
        row.model_copy(update={"incidents": counts[row.account_id], "incidents_since": first})
        for row in rows
        if row.account_id in counts
    ]


def _with_nps(
    ctx: ToolContext, rows: list[PortfolioRow], filters: PortfolioFilters
) -> list[PortfolioRow]:
    rules, today = ctx.rules, ctx.clock()
    since = filters.surveys_since or window_start(today, SURVEY_MONTHS)
    scores: dict[str, list[int]] = {}
    for survey in ctx.store.surveys_of([r.account_id for r in rows], since, today):
        if survey.kind == "nps":
            scores.setdefault(survey.account_id, []).append(int(survey.score))
    kept = []
    for row in rows:
        answers = scores.get(row.account_id, [])
        nps = rules.nps(answers)
        detractors = sum(1 for s in answers if rules.surveys.nps.category(s) == "detractor")
        if filters.nps_below is not None and (nps is None or nps >= filters.nps_below):
            continue
        if filters.detractors and not detractors:
            continue
        kept.append(row.model_copy(update={"nps": nps, "detractors": detractors}))
    return kept


def _row(
    rules: Rules,
    account: Account,
    latest: HealthSnapshot | None,
    history: list[HealthSnapshot],
    today: dt.date,
) -> PortfolioRow:
    overall = latest.overall if latest is not None else None
    return PortfolioRow(
        account_id=account.id,
        name=account.name,
        segment=account.segment,
        arr=account.arr,
        renewal_date=account.renewal_date,
        days_to_renewal=(account.renewal_date - today).days,
        csm=account.csm,
        account_exec=account.account_exec,
        partner=account.partner,
        overall=overall,
        band=rules.band_for(overall).name if overall is not None else None,
        trend=rules.trend_direction(history[0].overall, history[-1].overall) if history else None,
        quadrant=rules.quadrant_for(overall, account.arr, account.employees)
        if overall is not None
        else None,
    )


def _keep(
    row: PortfolioRow,
    filters: PortfolioFilters,
    bands: list[str] | None,
    quadrant: str | None,
) -> bool:
    if bands is not None and row.band not in bands:
        return False
    if quadrant is not None and row.quadrant != quadrant:
        return False
    if filters.trend is not None and row.trend != filters.trend:
        return False
    if filters.health_below is not None and (
        row.overall is None or row.overall >= filters.health_below
    ):
        return False
    return filters.health_at_least is None or (
        row.overall is not None and row.overall >= filters.health_at_least
    )


def sort_value(row: PortfolioRow, key: str) -> str | int | None:
    """The value a row sorts by under `key`; None when the row has none (it sorts last)."""
    values: dict[str, str | int | None] = {
        "name": row.name.lower(),
        "arr": row.arr,
        "health": row.overall,
        "renewal_date": row.renewal_date.toordinal(),
        "incidents": row.incidents,
        "nps": row.nps,
    }
    return values[key]


def _sorted(rows: list[PortfolioRow], filters: PortfolioFilters) -> list[PortfolioRow]:
    if filters.sort is not None:
        key = filters.sort
        present = [r for r in rows if sort_value(r, key) is not None]
        absent = [r for r in rows if sort_value(r, key) is None]
        present.sort(key=lambda r: sort_value(r, key) or 0, reverse=filters.descending)
        rows = present + absent  # no value sorts last either way
    elif filters.descending:
        rows = rows[::-1]
    return rows
