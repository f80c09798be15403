"""The success plan of an account, filled section by section as its template names them
(knowledge/templates/success_plan.yaml): snapshot, lifecycle stage, objectives, milestones,
risks, cadence, owners and verified outcomes."""

from __future__ import annotations

from assistant.charts import ChartSpec, health_trend, license_bars
from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, known, needed
from assistant.drafts.facts import (
    EXPANSION,
    HEALTH,
    INCIDENTS,
    LICENSES,
    OPPORTUNITY,
    OUTCOMES,
    OVERVIEW,
    SURVEYS,
    AccountFacts,
    gather,
    partner_text,
)
from assistant.drafts.lifecycle import StageFacts, derive_stage
from assistant.drafts.models import (
    CadenceItem,
    ComponentScore,
    Frequency,
    HealthTrend,
    LicenseLine,
    Owner,
    Snapshot,
    Stage,
    SuccessPlan,
    VerifiedOutcome,
)
from assistant.drafts.plan_parts import milestones, objectives
from assistant.drafts.plan_risks import risks

FREQUENCIES: tuple[Frequency, ...] = ("weekly", "monthly", "quarterly", "bi-annual", "annual")
NO_HEALTH = "no health snapshot is recorded: record the monthly health components"


def build_success_plan(ctx: Context, account_id: str) -> SuccessPlan:
    f = gather(ctx, account_id)
    stage, stage_field = lifecycle(ctx, f)
    return SuccessPlan(
        title=ctx.template.title.format(account=f.overview.name),
        sections=ctx.template.titles,
        generated_on=ctx.today,
        account_id=f.overview.account_id,
        snapshot=snapshot(ctx, f),
        lifecycle_stage=stage_field,
        objectives=objectives(ctx, f, stage),
        milestones=milestones(ctx, f),
        risks=risks(ctx, f),
        cadence=cadence(ctx),
        owners=owners(ctx, f),
        verified_outcomes=[
            known(
                VerifiedOutcome(
                    date=r.date, outcome=r.outcome, metric=r.metric, verified_by=r.verified_by
                ),
                tools=[OUTCOMES],
            )
            for r in f.outcomes
        ]
        or [needed("no verified outcome is recorded yet", tools=[OUTCOMES])],
        outcomes_to_pursue=to_pursue(ctx, f),
        charts=charts(ctx, f),
        citations=ctx.ledger.citations,
        tool_calls=ctx.ledger.calls,
    )


def charts(ctx: Context, f: AccountFacts) -> list[ChartSpec]:
    """The health trend (when snapshots are recorded) and license utilization (when licenses
    are), the same charts the web UI draws, from the same tools."""
    registry, principal, account_id = ctx.ledger.registry, ctx.principal, f.overview.account_id
    out: list[ChartSpec] = []
    if f.health is not None:
        out.append(health_trend(registry, principal, account_id, f.health.trend.months))
    if f.licenses:
        out.append(license_bars(registry, principal, account_id))
    return out


def snapshot(ctx: Context, f: AccountFacts) -> Snapshot:
    o, h, v = f.overview, f.health, f.voice

    missing = needed(NO_HEALTH, tools=[HEALTH])
    return Snapshot(
        account_name=known(o.name, tools=[OVERVIEW]),
        industry=known(o.industry, tools=[OVERVIEW]),
        segment=known(o.segment, tools=[OVERVIEW]),
        arr=known(o.arr, tools=[OVERVIEW]),
        renewal_date=known(o.renewal_date, tools=[OVERVIEW]),
        days_to_renewal=known(o.days_to_renewal, tools=[OVERVIEW]),
        health_score=known(h.overall, tools=[HEALTH]) if h else missing,
        health_band=known(h.band, tools=[HEALTH], citations=ctx.cite("snapshot", "bands"))
        if h
        else missing,
        health_trend=known(
            HealthTrend(
                from_month=h.trend.from_month,
                from_score=h.trend.from_score,
                to_month=h.trend.to_month,
                to_score=h.trend.to_score,
                direction=h.trend.direction,
                months=h.trend.months,
            ),
            tools=[HEALTH],
        )
        if h
        else missing,
        components=[
            known(ComponentScore(component=c, score=s), tools=[HEALTH])
            for c, s in h.components.items()
        ]
        if h
        else [missing],
        licenses=[
            known(
                LicenseLine(
                    module=m.module,
                    licensed=m.licensed,
                    active=m.active,
                    unused_share_pct=m.unused_share_pct,
                    risk=m.risk,
                ),
                tools=[LICENSES],
            )
            for m in f.licenses
        ]
        or [needed("no license counts are recorded", tools=[LICENSES])],
        nps=known(v.nps, tools=[SURVEYS])
        if v.nps is not None
        else needed("no NPS response in the last 12 months", tools=[SURVEYS]),
        nps_responses=known(v.nps_responses, tools=[SURVEYS]),
        csat_average=known(v.csat_average, tools=[SURVEYS])
        if v.csat_average is not None
        else needed("no CSAT response in the last 12 months", tools=[SURVEYS]),
        sev1_sev2_last_3_months=known(
            f.incidents.sev1_sev2,
            tools=[INCIDENTS],
            note=f"{f.incidents.previous_sev1_sev2} in the 3 months before",
        ),
    )


def lifecycle(ctx: Context, f: AccountFacts) -> tuple[Stage, Evidenced[Stage]]:
    o = f.overview
    facts = StageFacts(
        days_to_renewal=o.days_to_renewal,
        contract_start=o.contract_start,
        active_users=sum(m.active for m in f.licenses),
        quadrant=f.placement.quadrant if f.placement else None,
        trend=f.health.trend.direction if f.health else None,
        verified_outcomes=len(f.outcomes),
        expand_quadrant=next(
            (q.name for q in ctx.rules.expansion.quadrants if q.healthy and q.low_penetration),
            None,
        ),
    )
    numbers = ctx.template.section("lifecycle").stages
    stage, reason = derive_stage(facts, ctx.today, numbers)
    note = f"lifecycle rule: {reason}; the CRM records '{o.stage}'"
    if o.stage != stage:
        note += ": the two differ, confirm the stage with the CSM"
    return stage, known(
        stage,
        tools=[OVERVIEW, LICENSES, EXPANSION, OUTCOMES] + ([HEALTH] if f.health else []),
        citations=ctx.cite("lifecycle", stage),
        note=note,
    )


def cadence(ctx: Context) -> list[CadenceItem]:
    return [
        CadenceItem(
            frequency=frequency,
            activities=ctx.guide("cadence", frequency, missing=f"agree the {frequency} meetings"),
        )
        for frequency in FREQUENCIES
    ]


def owners(ctx: Context, f: AccountFacts) -> list[Owner]:
    o = f.overview
    partner = partner_text(o)
    if partner is None:
        partner_name = known(
            "none: sold and managed directly",
            tools=[OVERVIEW],
            citations=ctx.cite("owners", "direct"),
        )
        duty = ctx.guide("owners", "direct")
    else:
        partner_name = known(partner, tools=[OVERVIEW])
        role = "sales_agent" if o.partner_role == "sales_agent" else "cs_manager"
        duty = ctx.guide("owners", role)
    sponsor = next((x.meddicc["economic_buyer"] for x in f.opportunities
                    if x.meddicc.get("economic_buyer")), None)  # fmt: skip
    sponsor_note = "name the customer's executive sponsor"
    if sponsor:
        sponsor_note += f" (an open opportunity names the economic buyer: {sponsor.rstrip('.')})"
    side = ctx.cite("owners", "customer_side")
    return [
        Owner(role="CSM", name=known(o.csm, tools=[OVERVIEW]),
              responsibility=ctx.guide("owners", "csm")),
        Owner(role="Account executive", name=known(o.account_exec, tools=[OVERVIEW]),
              responsibility=ctx.guide("owners", "account_exec")),
        Owner(role="Partner", name=partner_name, responsibility=duty),
        Owner(role="Engagement lead",
              name=needed("name the engagement lead when services are part of the contract",
                          citations=ctx.cite("owners", "engagement_lead")),
              responsibility=ctx.guide("owners", "services_lead")),
        Owner(role="Customer executive sponsor",
              name=needed(sponsor_note, tools=[OPPORTUNITY] if sponsor else [],
                          citations=side),
              responsibility=ctx.guide("owners", "sponsor")),
        Owner(role="Customer project lead and technical owners",
              name=needed("name the project lead and the technical owners", citations=side),
              responsibility=ctx.guide("owners", "customer_side")),
    ]  # fmt: skip


def to_pursue(ctx: Context, f: AccountFacts) -> list[Evidenced[str]]:
    cites = ctx.cite("to_pursue", "verify")
    pursued = [
        known(f"{x.id} ({x.service}): {x.meddicc['metrics']}", tools=[OPPORTUNITY],
              citations=cites)
        for x in f.opportunities
        if x.meddicc.get("metrics")
    ]  # fmt: skip
    return pursued or [
        needed(
            "agree a target outcome with its baseline metric and date with the customer",
            tools=[OPPORTUNITY],
            citations=cites,
        )
    ]
