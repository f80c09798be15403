"""The success plan's risks: each fires on a documented rule over the tool results, and its
mitigation is quoted from the knowledge base through the template's `risks` lookups
(knowledge/templates/success_plan.yaml), found by their question when a heading differs.

    health band at risk                  red_escalate + levers (lowest band) or
                                         at_risk_plan + at_risk_escalate
    declining trend                      trend
    High license risk module             high_license
    over-deployed module                 over_deployed
    rising sev1/sev2 incidents           incidents + experts
    NPS detractor / low CSAT             detractor
    escalated quadrant near renewal      save_quadrant (rules: expansion.escalate)
    no verified outcome                  outcome

Then the rules file's signals: each signal whose condition holds for the account says so in
the risk it belongs to ("orange for 5 months in a row (the rule: 3): the rule 'Escalate the
account' applies"), citing the section the rule comes from; a signal no risk covers gets
its own row, its mitigation found by the signal's question.
"""

from __future__ import annotations

from assistant.drafts.context import Context, shift_months
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
from assistant.drafts.rule_signals import apply_signals


def risks(ctx: Context, f: AccountFacts) -> list[RiskItem]:
    o = f.overview
    csm = known(o.csm, tools=[OVERVIEW], note="CSM")
    pair = known(
        f"{o.account_exec} and {o.csm}", tools=[OVERVIEW], note="account executive and CSM"
    )
    out: list[RiskItem] = []
    topics: list[str] = []

    def add(
        risk: Evidenced[str], mitigation: Evidenced[str], owner: Evidenced[str], topic: str = ""
    ) -> None:
        out.append(RiskItem(risk=risk, mitigation=mitigation, owner=owner))
        topics.append(topic)

    h = f.health
    if h is not None and not h.healthy:
        if h.band == f.rules.health.bands[0].name:  # the lowest band: escalate
            mitigation = _join(
                ctx, ctx.guide("risks", "red_escalate"), ctx.guide("risks", "levers")
            )
        else:
            mitigation = _join(
                ctx, ctx.guide("risks", "at_risk_plan"), ctx.guide("risks", "at_risk_escalate")
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
            "health",
        )
    if h is not None and h.trend.direction == "declining":
        add(
            known(
                f"Overall health fell from {h.trend.from_score} ({h.trend.from_month.isoformat()}) "
                f"to {h.trend.to_score} ({h.trend.to_month.isoformat()}): a declining trend",
                tools=[HEALTH],
            ),
            ctx.guide("risks", "trend"),
            csm,
            "trend",
        )
    for m in f.high_risk:
        add(
            known(license_text(m), tools=[LICENSES]),
            ctx.guide("risks", "high_license"),
            csm,
            f"license:{m.risk}",
        )
    for m in f.over_deployed:
        add(
            known(license_text(m), tools=[LICENSES]),
            ctx.guide("risks", "over_deployed"),
            pair,
            f"license:{m.risk}",
        )
    inc = f.incidents
    if inc.rising and inc.sev1_sev2 > 0:
        add(
            known(
                f"{inc.sev1_sev2} sev1/sev2 incidents in the last {inc.months} months, up from "
                f"{inc.previous_sev1_sev2} in the {inc.months} months before",
                tools=[INCIDENTS],
            ),
            _join(ctx, ctx.guide("risks", "incidents"), ctx.guide("risks", "experts")),
            csm,
            "incidents",
        )
    if f.warning("alarming_survey_answers") and h is not None:
        count = next(c.value for c in h.churn_indicators
                     if c.name == "alarming_survey_answers")  # fmt: skip
        add(
            known(
                f"{count} NPS detractor or low CSAT response(s) in the last six months",
                tools=[HEALTH],
            ),
            ctx.guide("risks", "detractor"),
            csm,
            "survey",
        )
    p, esc = f.placement, f.rules.expansion.escalate
    if (
        p is not None
        and esc is not None
        and p.quadrant.lower() == esc.quadrant.lower()
        and o.renewal_date <= shift_months(ctx.today, esc.renews_within_months)
    ):
        add(
            known(
                f"{p.quadrant} quadrant (health {p.overall}, ARR per employee "
                f"${p.arr_per_employee:,.2f}) with the renewal {o.days_to_renewal} days away "
                f"(the rule: within {esc.renews_within_months} months)",
                tools=[EXPANSION, OVERVIEW],
            ),
            ctx.guide("risks", "save_quadrant"),
            pair,
            "quadrant",
        )
    if not f.outcomes:
        add(
            known("No verified outcome is recorded for the account", tools=[OUTCOMES]),
            ctx.guide("risks", "outcome"),
            csm,
            "outcome",
        )
    return apply_signals(ctx, f, out, topics, csm)


def _join(ctx: Context, first: Evidenced[str], second: Evidenced[str]) -> Evidenced[str]:
    parts = [e for e in (first, second) if e.value is not None]
    if len(parts) == 2 and str(parts[1].value) in str(parts[0].value):
        parts = parts[:1]  # both lookups found the same guidance: quote it once
    if not parts:
        return first
    return known(
        " ".join(str(e.value) for e in parts),
        citations=[n for e in parts for n in e.citations],
        tools=[t for e in parts for t in e.tools],
    )
