"""Customer voice and support: NPS/CSAT trend, and support incidents by severity."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from assistant.principal import Principal
from assistant.store.accounts import Survey
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult
from assistant.tools.dates import add_months, window_start

ONE_DAY = dt.timedelta(days=1)


class SurveyInput(ToolInput):
    account_id: AccountId
    months: int = Field(default=12, ge=1, le=36, description="window in months")
    period_months: int = Field(default=6, ge=1, le=12, description="length of each period")


class Response(BaseModel):
    date: dt.date
    kind: str
    score: float
    respondent: str


class Period(BaseModel):
    start: dt.date
    end: dt.date = Field(description="last day of the period (inclusive)")
    nps: int | None
    nps_responses: int
    csat_average: float | None = Field(description="2 decimals")
    csat_responses: int


class SurveyTrend(ToolResult):
    account_id: str
    name: str
    window_start: dt.date
    nps: int | None
    promoters: int
    passives: int
    detractors: int
    nps_responses: int
    csat_average: float | None
    csat_responses: int
    latest_csat: float | None
    periods: list[Period]
    responses: list[Response]


def _nps_scores(rows: list[Survey]) -> list[int]:
    return [int(r.score) for r in rows if r.kind == "nps"]


def _csat(rows: list[Survey]) -> list[float]:
    return [r.score for r in rows if r.kind == "csat"]


def _average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def survey_trend(ctx: ToolContext, args: SurveyInput, principal: Principal) -> SurveyTrend:
    """NPS and CSAT of one account over the last N months (default 12): NPS (% promoters
    minus % detractors, by the survey guide's ranges) with the counts, the average and
    latest CSAT (1-5), the same figures per period (default 6 months) to show the trend,
    and every response."""
    account_id = principal.require(args.account_id)
    today = ctx.clock()
    account = ctx.store.account(account_id)
    rules = ctx.rules
    start = window_start(today, args.months)
    rows = ctx.store.surveys(account_id, start, today)
    scores = _nps_scores(rows)
    csat = _csat(rows)
    categories = [rules.surveys.nps.category(s) for s in scores]
    periods: list[Period] = []
    count = -(-args.months // args.period_months)  # ceil: the last period ends today
    for n in range(count):
        begin = add_months(start, n * args.period_months)
        last = n == count - 1
        end = today if last else add_months(begin, args.period_months) - ONE_DAY
        inside = [r for r in rows if begin <= r.date <= end]
        periods.append(
            Period(
                start=begin,
                end=end,
                nps=rules.nps(_nps_scores(inside)),
                nps_responses=len(_nps_scores(inside)),
                csat_average=_average(_csat(inside)),
                csat_responses=len(_csat(inside)),
            )
        )
    return SurveyTrend(
        as_of=max((r.date for r in rows), default=today),
        source=["surveys"],
        account_id=account_id,
        name=account.name,
        window_start=start,
        nps=rules.nps(scores),
        promoters=categories.count("promoter"),
        passives=categories.count("passive"),
        detractors=categories.count("detractor"),
        nps_responses=len(scores),
        csat_average=_average(csat),
        csat_responses=len(csat),
        latest_csat=csat[-1] if csat else None,
        periods=periods,
        responses=[
            Response(date=r.date, kind=r.kind, score=r.score, respondent=r.respondent) for r in rows
        ],
    )


class IncidentInput(ToolInput):
    account_id: AccountId
    months: int | None = Field(
        default=None, ge=1, le=24, description="window in months (default: the rules' window)"
    )


class IncidentMonth(BaseModel):
    month: dt.date
    counts: dict[str, int]


class IncidentSummary(ToolResult):
    account_id: str
    name: str
    window_start: dt.date
    months: int
    by_severity: dict[str, int]
    total: int
    sev1_sev2: int = Field(description="incidents of the severe severities (e.g. sev1 + sev2)")
    previous_sev1_sev2: int = Field(description="severe incidents in the N months before")
    rising: bool = Field(description="more severe incidents than in the N months before")
    monthly: list[IncidentMonth]


def support_incidents(
    ctx: ToolContext, args: IncidentInput, principal: Principal
) -> IncidentSummary:
    """Support incidents of one account in the last N months (default: the rules' incident
    window, e.g. 3) by severity (e.g.
    sev1 to sev4), per month, and whether the severe ones (e.g. sev1 + sev2) are rising
    against the N months before."""
    account_id = principal.require(args.account_id)
    today = ctx.clock()
    account = ctx.store.account(account_id)
    severities, severe_ones = ctx.rules.support.severities, ctx.rules.support.severe
    span = args.months or ctx.rules.support.incident_window_months
    start = window_start(today, span)
    rows = ctx.store.incidents(account_id, add_months(start, -span), today)
    current = [r for r in rows if r.month >= start]
    by_severity = {s: sum(r.count for r in current if r.severity == s) for s in severities}
    previous = sum(r.count for r in rows if r.month < start and r.severity in severe_ones)
    severe = sum(by_severity[s] for s in severe_ones)
    months = sorted({r.month for r in current})
    monthly = [
        IncidentMonth(
            month=m,
            counts={
                s: sum(r.count for r in current if r.month == m and r.severity == s)
                for s in severities
            },
        )
        for m in months
    ]
    return IncidentSummary(
        as_of=max(months, default=today),
        source=["incidents"],
        account_id=account_id,
        name=account.name,
        window_start=start,
        months=span,
        by_severity=by_severity,
        total=sum(by_severity.values()),
        sev1_sev2=severe,
        previous_sev1_sev2=previous,
        rising=severe > previous,
        monthly=monthly,
    )
