"""Portfolio filters shared by `list_accounts` and `renewals_due`: owners, bands, score
thresholds, renewal dates, segment, industry, quadrant, module risk, support incidents of
given severities, NPS; sort and top-N; and a breakdown of the kept accounts by an owner, the
segment, the industry, the band or the quadrant ("which CSM has the most red accounts?").

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
GroupKey = Literal["csm", "account_exec", "partner", "segment", "industry", "band", "quadrant"]
GroupSort = Literal["count", "arr", "health"]
Trend = Literal["declining", "stable", "improving"]
Row = TypeVar("Row")
SURVEY_MONTHS = 12  # the NPS window without a date, as survey_trend's default


class PortfolioFilters(ToolInput):
    csm: str | None = Field(default=None, description="CSM name")
    account_exec: str | None = Field(default=None, description="account executive name")
    partner: str | None = Field(default=None, description="partner name")
    segment: Segment | None = Field(default=None, description="segment")
    industry: str | None = Field(default=None, description="industry")
    bands: list[str] | None = Field(default=None, description="health bands")
    health_below: int | None = Field(default=None, ge=0, le=1000, description="health score below")
    health_at_least: int | None = Field(
        default=None, ge=0, le=1000, description="health score at least"
    )
    arr_at_least: int | None = Field(default=None, ge=0, description="ARR (USD) at least")
    arr_below: int | None = Field(default=None, ge=1, description="ARR (USD) below")
    renewal_from: dt.date | None = Field(default=None, description="renewing on or after")
    renewal_to: dt.date | None = Field(default=None, description="renewing on or before")
    quadrant: str | None = Field(default=None, description="expansion quadrant")
    trend: Trend | None = Field(default=None, description="score trend")
    partnered: bool | None = Field(default=None, description="false: direct accounts only")
    license_risk: str | None = Field(
        default=None, description="any module at this license risk level"
    )
    module: str | None = Field(
        default=None, description="licensing this module (with license_risk: its level)"
    )
    incident_severities: list[str] | None = Field(
        default=None, description="with incidents of these severities since incidents_since"
    )
    incidents_since: dt.date | None = Field(default=None, description="default: the rules' window")
    incidents_at_least: int | None = Field(
        default=None, ge=1, description="at least this many incidents"
    )
    nps_below: int | None = Field(
        default=None, ge=-100, le=101, description="NPS below (0: negative)"
    )
    detractors: bool | None = Field(default=None, description="with an NPS detractor")
    surveys_since: dt.date | None = Field(default=None, description="default: 12 months back")
    sort: SortKey | None = Field(default=None, description="incidents: of incident_severities")
    descending: bool = Field(default=False, description="high to low")
    limit: int | None = Field(default=None, ge=1, le=500, description="at most this many")

    @property
    def reads_incidents(self) -> bool:
        """Filtered or sorted by support incidents (the rows then carry the counts)."""
        return (
            self.incident_severities is not None
            or self.sort == "incidents"
            or self.incidents_at_least is not None
        )

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
        floor, ceiling = self.arr_at_least, self.arr_below
        if floor is not None and ceiling is not None and floor >= ceiling:
            raise ValueError(f"arr_at_least {floor} must be below arr_below {ceiling}")
        if start is not None and end is not None and start > end:
            raise ValueError(f"renewal_from {start} is after renewal_to {end}")
        return self


class Breakdown(PortfolioFilters):
    """The filters of a list of accounts (list_accounts, renewals_due), with the pooled NPS
    and a breakdown by group: then `limit` cuts the groups."""

    with_nps: bool | None = Field(default=None, description="true: NPS per account and pooled")
    group_by: GroupKey | None = Field(
        default=None, description="per group of these: count, ARR, mean health"
    )
    group_sort: GroupSort | None = Field(default=None, description="groups by (default count)")
    group_descending: bool | None = Field(default=None, description="false: groups low to high")

    @property
    def reads_surveys(self) -> bool:
        return super().reads_surveys or bool(self.with_nps)


class PortfolioRow(BaseModel):
    """What every portfolio result carries per account."""

    account_id: str
    name: str
    segment: str
    industry: str = ""
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
    promoters: int | None = Field(default=None, description="promoters in that window")
    nps_responses: int | None = Field(default=None, description="NPS answers in that window")


class Group(BaseModel):
    """The accounts kept that share one value of `group_by`."""

    value: str = Field(description="the CSM, partner, segment, industry, band or quadrant")
    count: int
    total_arr: int
    average_health: float | None
    account_ids: list[str]


class PooledNps(BaseModel):
    """The NPS of every answer of the accounts listed, pooled (not a mean of their NPS)."""

    nps: int | None
    responses: int
    promoters: int
    detractors: int


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


def _industry(accounts: Sequence[Account], wanted: str | None) -> list[Account]:
    """The accounts of one industry, named as the data names it (spaces, hyphens and
    underscores alike, any case); an error lists the industries of the accounts at hand."""
    if wanted is None:
        return list(accounts)
    key = _names(re.sub(r"[_-]", " ", wanted))
    kept = [a for a in accounts if _names(re.sub(r"[_-]", " ", a.industry)) == key]
    if not kept:
        known = sorted({a.industry for a in accounts})
        raise InvalidInputError(
            f"no account you may see is in the industry '{wanted}'; industries: "
            f"{', '.join(known) or 'none'}"
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


def totals(
    rows: Sequence[PortfolioRow], shown: Sequence[PortfolioRow], filters: Breakdown
) -> dict[str, Any]:
    """What a portfolio result says of its rows: how many it lists (`shown`, after the
    top-N cut) of how many matched (`rows`), their ARR and mean health, the pooled NPS
    when surveys were read, and the groups when `group_by` breaks them down."""
    return {
        "count": len(shown),
        "matched": len(rows),
        "total_arr": sum(r.arr for r in shown),
        "average_health": average_health(shown),
        "pooled_nps": pooled_nps(shown) if filters.reads_surveys else None,
        "groups": grouped(rows, filters),
    }


def listed(rows: list[PortfolioRow], filters: Breakdown) -> list[PortfolioRow]:
    """The rows a result lists: the top `limit`, or with `group_by` those of the groups
    kept (the limit cuts the groups)."""
    if filters.group_by is None:
        return top(rows, filters.limit)
    kept = {i for g in grouped(rows, filters) or [] for i in g.account_ids}
    return [r for r in rows if r.account_id in kept]


def pooled_nps(rows: Sequence[PortfolioRow]) -> PooledNps:
    responses = sum(r.nps_responses or 0 for r in rows)
    promoters = sum(r.promoters or 0 for r in rows)
    detractors = sum(r.detractors or 0 for r in rows)
    nps = round(100 * (promoters - detractors) / responses) if responses else None
    return PooledNps(nps=nps, responses=responses, promoters=promoters, detractors=detractors)


def group_value(row: PortfolioRow, key: str) -> str:
    value = getattr(row, key)
    return str(value) if value else "none"


def grouped(rows: Sequence[PortfolioRow], filters: Breakdown) -> list[Group] | None:
    """The rows broken down by `group_by`, ordered by `group_sort` (ties by name), the
    first `limit` groups (and any tied with the last of them); None without `group_by`."""
    key = filters.group_by
    if key is None:
        return None
    members: dict[str, list[PortfolioRow]] = {}
    for row in rows:
        if key == "partner" and not row.partner:
            continue  # an account no partner works is in no partner's group
        members.setdefault(group_value(row, key), []).append(row)
    groups = [
        Group(
            value=value,
            count=len(kept),
            total_arr=sum(r.arr for r in kept),
            average_health=average_health(kept),
            account_ids=[r.account_id for r in kept],
        )
        for value, kept in members.items()
    ]
    sort = filters.group_sort or "count"
    descending = filters.group_descending is not False

    def measure(group: Group) -> float:
        if sort == "arr":
            return float(group.total_arr)
        if sort == "health":  # a group with no score sorts last either way
            none = float("-inf") if descending else float("inf")
            return group.average_health if group.average_health is not None else none
        return float(group.count)

    groups.sort(key=lambda g: g.value.lower())
    groups.sort(key=measure, reverse=descending)
    if filters.limit is None or filters.limit >= len(groups):
        return groups
    cut = filters.limit  # a group tied with the last one kept is kept too
    while cut < len(groups) and measure(groups[cut]) == measure(groups[cut - 1]):
        cut += 1
    return groups[:cut]


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
    chosen = _industry(chosen, filters.industry)
    chosen = [
        a
        for a in chosen
        if filters.segment in (None, a.segment)
        and (filters.partnered is None or bool(a.partner) == filters.partnered)
        and (filters.arr_at_least is None or a.arr >= filters.arr_at_least)
        and (filters.arr_below is None or a.arr < filters.arr_below)
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
        if filters.incidents_at_least is not None:
            least = filters.incidents_at_least
            rows = [r for r in rows if (r.incidents or 0) >= least]
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
        promoters = sum(1 for s in answers if rules.surveys.nps.category(s) == "promoter")
        if filters.nps_below is not None and (nps is None or nps >= filters.nps_below):
            continue
        if filters.detractors and not detractors:
            continue
        kept.append(
            row.model_copy(
                update={
                    "nps": nps,
                    "detractors": detractors,
                    "promoters": promoters,
                    "nps_responses": len(answers),
                }
            )
        )
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
        industry=account.industry,
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
