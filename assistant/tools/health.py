"""Health score: the five components, overall, band, trend, and the churn indicators."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.store.accounts import HealthSnapshot
from assistant.store.records import COMPONENTS
from assistant.tools import rules
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult

INCIDENT_MONTHS = 3  # sev1/sev2 counts: last 3 months against the 3 before
SURVEY_ALERT_MONTHS = 6  # one NPS wave (NPS is sent twice a year)
ESCALATION_DAYS = 180  # declining trend within 180 days of renewal: escalated


class HealthInput(ToolInput):
    account_id: AccountId
    months: int = Field(default=12, ge=2, le=36, description="trend window in months")


class MonthScore(BaseModel):
    month: dt.date
    overall: int


class Trend(BaseModel):
    months: int
    from_month: dt.date
    from_score: int
    to_month: dt.date
    to_score: int
    change: int
    direction: rules.Direction
    points: list[MonthScore]


class ChurnIndicator(BaseModel):
    name: str
    value: int | str | None
    warning: bool
    rule: str = Field(description="the documented rule the warning follows")


class HealthScore(ToolResult):
    account_id: str
    name: str
    month: dt.date = Field(description="month of the latest snapshot")
    components: dict[str, int]
    overall: int
    band: rules.Band
    healthy: bool = Field(description="60 and above")
    weakest_component: str
    trend: Trend
    churn_indicators: list[ChurnIndicator]


def trend_of(history: list[HealthSnapshot], months: int) -> Trend:
    first, last = history[0], history[-1]
    return Trend(
        months=months,
        from_month=first.month,
        from_score=first.overall,
        to_month=last.month,
        to_score=last.overall,
        change=last.overall - first.overall,
        direction=rules.trend_direction(first.overall, last.overall),
        points=[MonthScore(month=s.month, overall=s.overall) for s in history],
    )


def health_score(ctx: ToolContext, args: HealthInput, principal: Principal) -> HealthScore:
    """Health score of one account: the five components (deployment, adoption, breadth,
    engagement, outcomes), the overall score, its band (below 40 red, 40-59 orange, 60-79
    yellow, 80+ green), the trend over the last N months (latest against oldest; 5 points
    or more is improving/declining) and the churn indicators."""
    account_id = principal.require(args.account_id)
    today = ctx.clock()
    account = ctx.store.account(account_id)
    history = ctx.store.health(account_id, rules.window_start(today, args.months), today)
    if not history:
        raise NotFoundError(f"{account.name} ({account_id}) has no health snapshot recorded")
    latest = history[-1]
    components = {c: int(getattr(latest, c)) for c in COMPONENTS}
    trend = trend_of(history, args.months)
    indicators = churn_indicators(ctx, account_id, today, latest.overall, trend)
    indicators.insert(2, _renewal_escalation(trend.direction, (account.renewal_date - today).days))
    return HealthScore(
        as_of=latest.month,
        source=["health_snapshots", "accounts", "licenses", "surveys", "incidents"],
        account_id=account_id,
        name=account.name,
        month=latest.month,
        components=components,
        overall=latest.overall,
        band=rules.health_band(latest.overall),
        healthy=rules.is_healthy(latest.overall),
        weakest_component=min(COMPONENTS, key=lambda c: (components[c], c)),
        trend=trend,
        churn_indicators=indicators,
    )


def churn_indicators(
    ctx: ToolContext, account_id: str, today: dt.date, overall: int, trend: Trend
) -> list[ChurnIndicator]:
    store = ctx.store
    recent_start = rules.window_start(today, INCIDENT_MONTHS)
    incidents = store.incidents(account_id, rules.add_months(recent_start, -INCIDENT_MONTHS), today)
    severe = [i for i in incidents if i.severity in ("sev1", "sev2")]
    recent = sum(i.count for i in severe if i.month >= recent_start)
    before = sum(i.count for i in severe if i.month < recent_start)
    high = [
        lic.module
        for lic in store.licenses([account_id])
        if rules.license_risk(lic.licensed, lic.active) == "High"
    ]
    surveys = store.surveys(account_id, rules.window_start(today, SURVEY_ALERT_MONTHS), today)
    alarming = [
        s
        for s in surveys
        if (s.kind == "nps" and s.score <= 6) or (s.kind == "csat" and s.score <= 2)
    ]
    return [
        ChurnIndicator(
            name="declining_trend",
            value=trend.direction,
            warning=trend.direction == "declining",
            rule="a declining trend counts as a warning even if the account is yellow or green",
        ),
        ChurnIndicator(
            name="at_risk",
            value=overall,
            warning=not rules.is_healthy(overall),
            rule="below 60 (red or orange) is at risk and needs a documented risk plan",
        ),
        ChurnIndicator(
            name="sev1_sev2_incidents_last_3_months",
            value=recent,
            warning=recent > before,
            rule=f"a rising count of sev1 and sev2 incidents is an early warning ({before} in "
            "the 3 months before)",
        ),
        ChurnIndicator(
            name="high_risk_license_modules",
            value=", ".join(high) if high else "none",
            warning=bool(high),
            rule="modules with 50% or more of licenses unused (High license risk)",
        ),
        ChurnIndicator(
            name="detractor_or_low_csat_last_6_months",
            value=len(alarming),
            warning=bool(alarming),
            rule="an NPS detractor (0-6) or a CSAT answer of 2 or less triggers a CSM call "
            "within 5 business days",
        ),
    ]


def _renewal_escalation(direction: str, days_to_renewal: int) -> ChurnIndicator:
    due = 0 <= days_to_renewal <= ESCALATION_DAYS
    return ChurnIndicator(
        name="declining_within_180_days_of_renewal",
        value=days_to_renewal,
        warning=due and direction == "declining",
        rule="a declining trend on an account that renews within 180 days is escalated in the "
        "monthly portfolio review",
    )
