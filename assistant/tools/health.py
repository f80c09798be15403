"""Health score: the components, overall, band, trend, and the churn indicators.

Every threshold, window and name comes from the business rules (`ctx.rules`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.rules.models import Direction, Rules
from assistant.store.accounts import HealthSnapshot
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult
from assistant.tools.dates import add_months, window_start


class HealthInput(ToolInput):
    account_id: AccountId
    months: int | None = Field(
        default=None, ge=2, le=36, description="trend window in months (the rules' default)"
    )


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
    direction: Direction
    points: list[MonthScore]


class ChurnIndicator(BaseModel):
    name: str
    value: int | str | None
    warning: bool
    rule: str = Field(description="the documented rule the warning follows")
    warning_text: str = Field(description="what the warning says, in a sentence part")


class HealthScore(ToolResult):
    account_id: str
    name: str
    month: dt.date = Field(description="month of the latest snapshot")
    components: dict[str, int]
    overall: int
    band: str = Field(description="the band of the rules the overall score falls in")
    colour: str = Field(description="the band's display colour")
    healthy: bool = Field(description="at or above the rules' healthy_from")
    healthy_from: int
    weakest_component: str
    months_in_band: int = Field(
        default=1,
        description="the latest monthly snapshots in a row in this band (within the window)",
    )
    trend: Trend
    churn_indicators: list[ChurnIndicator]


def trend_of(rules: Rules, history: list[HealthSnapshot], months: int) -> Trend:
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


def months_in_band(rules: Rules, history: list[HealthSnapshot]) -> int:
    """How many of the latest snapshots in a row fall in the latest one's band."""
    band = rules.band_for(history[-1].overall).name
    count = 0
    for snapshot in reversed(history):
        if rules.band_for(snapshot.overall).name != band:
            break
        count += 1
    return count


def health_score(ctx: ToolContext, args: HealthInput, principal: Principal) -> HealthScore:
    """Health score of one account: its components, the overall score, its band (the
    rules' bands), the trend over the last N months (latest against oldest; the rules'
    points make it improving or declining) and the churn indicators."""
    rules = ctx.rules
    months = args.months or rules.health.trend_months
    account_id = principal.require(args.account_id)
    today = ctx.clock()
    account = ctx.store.account(account_id)
    history = ctx.store.health(account_id, window_start(today, months), today)
    if not history:
        raise NotFoundError(f"{account.name} ({account_id}) has no health snapshot recorded")
    latest = history[-1]
    keys = rules.component_keys
    components = {c: int(getattr(latest, c)) for c in keys}
    trend = trend_of(rules, history, months)
    indicators = churn_indicators(ctx, account_id, today, latest.overall, trend)
    days = (account.renewal_date - today).days
    indicators.insert(2, _renewal_escalation(rules, trend.direction, days))
    band = rules.band_for(latest.overall)
    return HealthScore(
        as_of=latest.month,
        source=["health_snapshots", "accounts", "licenses", "surveys", "incidents"],
        account_id=account_id,
        name=account.name,
        month=latest.month,
        components=components,
        overall=latest.overall,
        band=band.name,
        colour=band.colour,
        healthy=rules.is_healthy(latest.overall),
        healthy_from=rules.health.healthy_from,
        weakest_component=min(keys, key=lambda c: (components[c], c)),
        months_in_band=months_in_band(rules, history),
        trend=trend,
        churn_indicators=indicators,
    )


def churn_indicators(
    ctx: ToolContext, account_id: str, today: dt.date, overall: int, trend: Trend
) -> list[ChurnIndicator]:
    store, rules = ctx.store, ctx.rules
    window = rules.support.incident_window_months
    severe_ones = rules.support.severe
    recent_start = window_start(today, window)
    incidents = store.incidents(account_id, add_months(recent_start, -window), today)
    severe = [i for i in incidents if i.severity in severe_ones]
    recent = sum(i.count for i in severe if i.month >= recent_start)
    before = sum(i.count for i in severe if i.month < recent_start)
    top = rules.licenses.levels[0].name
    high = [
        lic.module
        for lic in store.licenses([account_id])
        if rules.license_risk(lic.licensed, lic.active) == top
    ]
    follow = rules.surveys.follow_up
    alert_months = follow.alert_window_months
    surveys = store.surveys(account_id, window_start(today, alert_months), today)
    alarming = [s for s in surveys if rules.alarming_survey(s.kind, s.score)]
    unhealthy = "/".join(b.name for b in rules.health.bands if not b.healthy)
    severe_names = " and ".join(severe_ones)
    detractors = rules.surveys.nps.detractors
    cut = rules.licenses.levels[0].min_unused
    return [
        ChurnIndicator(
            name="declining_trend",
            value=trend.direction,
            warning=trend.direction == "declining",
            rule="a declining trend counts as a warning even if the account is healthy",
            warning_text=f"the trend is {trend.direction}",
        ),
        ChurnIndicator(
            name="at_risk",
            value=overall,
            warning=not rules.is_healthy(overall),
            rule=f"below {rules.health.healthy_from} ({unhealthy}) is at risk and needs a "
            "documented risk plan",
            warning_text=f"the score of {overall} is below {rules.health.healthy_from} (at "
            "risk: a documented risk plan is needed)",
        ),
        ChurnIndicator(
            name="severe_incidents_rising",
            value=recent,
            warning=recent > before,
            rule=f"a rising count of {severe_names} incidents is an early warning ({before} "
            f"in the {window} months before)",
            warning_text=f"{recent} {'/'.join(severe_ones)} incidents in the last {window} "
            "months, rising",
        ),
        ChurnIndicator(
            name="high_risk_license_modules",
            value=", ".join(high) if high else "none",
            warning=bool(high),
            rule=f"modules with {round(100 * cut)}% or more of licenses unused ({top} license "
            "risk)",
            warning_text=f"{top} license risk on {', '.join(high) if high else 'none'}",
        ),
        ChurnIndicator(
            name="alarming_survey_answers",
            value=len(alarming),
            warning=bool(alarming),
            rule=f"an NPS detractor ({detractors.min}-{detractors.max}) or a CSAT answer of "
            f"{follow.csat_at_most:g} or less triggers a CSM call within "
            f"{follow.business_days} business days",
            warning_text=f"{len(alarming)} NPS detractor or low CSAT response(s) in the last "
            f"{alert_months} months (a CSM call is due within {follow.business_days} business "
            "days)",
        ),
    ]


def _renewal_escalation(rules: Rules, direction: str, days_to_renewal: int) -> ChurnIndicator:
    limit = rules.health.escalation_days
    due = 0 <= days_to_renewal <= limit
    return ChurnIndicator(
        name="declining_near_renewal",
        value=days_to_renewal,
        warning=due and direction == "declining",
        rule=f"a declining trend on an account that renews within {limit} days is escalated "
        "in the monthly portfolio review",
        warning_text=f"declining with the renewal {days_to_renewal} days away (escalate in the "
        "monthly portfolio review)",
    )
