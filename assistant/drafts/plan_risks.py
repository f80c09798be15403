"""The success plan's risks: each fires on a documented rule over the tool results, and its
mitigation is quoted from the playbooks and guides.

    health band red or orange            Escalation and Retention > When to escalate /
                                         Health Scoring > Bands (documented risk plan)
    declining 12-month trend             Health Scoring > Trends
    High license risk module             License Compliance > What to do with High risk
    over-deployed module                 License Compliance > Over-deployment
    rising sev1/sev2 incidents           Escalation and Retention (sev1, SWAT team)
    NPS detractor / CSAT of 2 or less    CSAT and NPS > Using the results
    Save quadrant renewing in 6 months   Escalation and Retention > When to escalate
    no verified outcome                  Verified Outcomes > How a CSM verifies an outcome
"""

from __future__ import annotations

from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, known
from assistant.drafts.facts import (
    EXPANSION,
    HEALTH,
    INCIDENTS,
    LICENSES,
    OUTCOMES,
    OVERVIEW,
    AccountFacts,
    license_text,
)
from assistant.drafts.models import RiskItem

SAVE_WITHIN_DAYS = 183  # "renews within 6 months"
# when a knowledge base lacks the section, the grounded composer answers these instead
Q = {
    "red": "when is an account escalated health score red band orange three months",
    "levers": "retention levers executive alignment for an account at risk",
    "orange": "health score below 60 at risk documented risk plan",
    "trend": "declining health trend warning escalated in the monthly portfolio review",
    "high": "High license risk module adoption plan within 30 days recovery target",
    "over": "over-deployment compliance issue true-up or expansion quote",
    "sev1": "sev1 incidents repeat escalation",
    "swat": "SWAT team senior experts fix a technical problem",
    "detractor": "detractor response or low CSAT answer CSM call within 5 business days",
    "save": "Save quadrant account renews within 6 months escalation",
    "outcome": "how does a CSM verify an outcome with a baseline metric",
}


def risks(ctx: Context, f: AccountFacts) -> list[RiskItem]:
    o = f.overview
    csm = known(o.csm, tools=[OVERVIEW], note="CSM")
    pair = known(
        f"{o.account_exec} and {o.csm}", tools=[OVERVIEW], note="account executive and CSM"
    )
    out: list[RiskItem] = []

    def add(risk: Evidenced[str], mitigation: Evidenced[str], owner: Evidenced[str]) -> None:
        out.append(RiskItem(risk=risk, mitigation=mitigation, owner=owner))

    h = f.health
    if h is not None and not h.healthy:
        if h.band == f.rules.health.bands[0].name:  # the lowest band: escalate
            mitigation = _join(
                ctx,
                ctx.guidance("When to escalate", must=r"red band", limit=1, query=Q["red"]),
                ctx.guidance(
                    "Retention levers", must=r"executive alignment", limit=1, query=Q["levers"]
                ),
            )
        else:
            mitigation = _join(
                ctx,
                ctx.guidance("Bands", must=r"documented risk plan", limit=1, query=Q["orange"]),
                ctx.guidance("When to escalate", must=r"orange", limit=1, query=Q["red"]),
            )
        weakest = h.weakest_component
        add(
            known(
                f"Health score {h.overall} is {h.band}, at risk; weakest "
                f"component: {weakest} {h.components[weakest]}",
                tools=[HEALTH],
            ),
            mitigation,
            csm,
        )
    if h is not None and h.trend.direction == "declining":
        add(
            known(
                f"Overall health fell from {h.trend.from_score} ({h.trend.from_month.isoformat()}) "
                f"to {h.trend.to_score} ({h.trend.to_month.isoformat()}): a declining trend",
                tools=[HEALTH],
            ),
            ctx.guidance(
                "Trends", must=r"counts as a warning|renews within 180 days", query=Q["trend"]
            ),
            csm,
        )
    for m in f.high_risk:
        add(
            known(license_text(m), tools=[LICENSES]),
            ctx.guidance(
                "What to do with High risk modules", must=r"adoption plan|recovery", query=Q["high"]
            ),
            csm,
        )
    for m in f.over_deployed:
        add(
            known(license_text(m), tools=[LICENSES]),
            ctx.guidance("Over-deployment", must=r"compliance issue|true-up", query=Q["over"]),
            pair,
        )
    inc = f.incidents
    if inc.rising and inc.sev1_sev2 > 0:
        add(
            known(
                f"{inc.sev1_sev2} sev1/sev2 incidents in the last {inc.months} months, up from "
                f"{inc.previous_sev1_sev2} in the {inc.months} months before",
                tools=[INCIDENTS],
            ),
            _join(
                ctx,
                ctx.guidance("When to escalate", must=r"sev1", limit=1, query=Q["sev1"]),
                ctx.guidance("Retention levers", must=r"SWAT", limit=1, query=Q["swat"]),
            ),
            csm,
        )
    if f.warning("alarming_survey_answers") and h is not None:
        count = next(c.value for c in h.churn_indicators
                     if c.name == "alarming_survey_answers")  # fmt: skip
        add(
            known(
                f"{count} NPS detractor or low CSAT response(s) in the last six months",
                tools=[HEALTH],
            ),
            ctx.guidance(
                "Using the results", must=r"5 business days", limit=1, query=Q["detractor"]
            ),
            csm,
        )
    p = f.placement
    if p is not None and p.quadrant == "Save" and o.days_to_renewal <= SAVE_WITHIN_DAYS:
        add(
            known(
                f"Save quadrant (health {p.overall}, ARR per employee ${p.arr_per_employee:,.2f}) "
                f"with the renewal {o.days_to_renewal} days away",
                tools=[EXPANSION, OVERVIEW],
            ),
            ctx.guidance("When to escalate", must=r"Save quadrant", limit=1, query=Q["save"]),
            pair,
        )
    if not f.outcomes:
        add(
            known("No verified outcome is recorded for the account", tools=[OUTCOMES]),
            ctx.guidance("How a CSM verifies an outcome", limit=2, query=Q["outcome"]),
            csm,
        )
    return out


def _join(ctx: Context, first: Evidenced[str], second: Evidenced[str]) -> Evidenced[str]:
    parts = [e for e in (first, second) if e.value is not None]
    if not parts:
        return first
    return known(
        " ".join(str(e.value) for e in parts),
        citations=[n for e in parts for n in e.citations],
        tools=[t for e in parts for t in e.tools],
    )
