"""Which of the rules file's signals apply to an account, said in the success plan's risks.

A signal's condition (`rules.yaml` `signals[].when`) is checked on the account's facts from
the tools (`assistant.rules.signals`). Each signal that holds is stated in the risk it
belongs to, with the account's own figures against the rule's ("orange for 5 months in a
row (the rule: 3 or more): the rule 'Escalate the account' applies"), and cites the section
the rules file names for it. A signal no risk covers gets its own row, its mitigation found
by the signal's question.
"""

from __future__ import annotations

import re

from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, known
from assistant.drafts.facts import EXPANSION, HEALTH, INCIDENTS, LICENSES, SURVEYS, AccountFacts
from assistant.drafts.models import RiskItem
from assistant.rules.models import Condition, Signal
from assistant.rules.signals import AccountFacts as SignalFacts
from assistant.rules.signals import active_signals

GUIDES = frozenset({"playbook", "guide"})


def signal_facts(f: AccountFacts) -> SignalFacts:
    h, rules = f.health, f.rules
    sev1 = rules.support.severities[0]
    return SignalFacts(
        account_id=f.overview.account_id,
        band=h.band if h else None,
        overall=h.overall if h else None,
        trend=h.trend.direction if h else None,
        days_to_renewal=f.overview.days_to_renewal,
        license_risks=tuple(m.risk for m in f.licenses),
        sev1_incidents=f.incidents.by_severity.get(sev1, 0),
        nps=f.voice.nps,
        quadrant=f.placement.quadrant if f.placement else None,
        months_in_band=h.months_in_band if h else None,
    )


def topics_of(condition: Condition) -> list[str]:
    """The risks a signal's condition speaks about, most specific first."""
    topics: list[str] = []
    if condition.license_risk_in:
        topics += [f"license:{level}" for level in condition.license_risk_in]
    if condition.trend is not None:
        topics.append("trend")
    if condition.sev1_incidents_at_least is not None:
        topics.append("incidents")
    if condition.nps_below is not None:
        topics.append("survey")
    if condition.quadrant_in:
        topics.append("quadrant")
    if (
        condition.band_in
        or condition.healthy is not None
        or condition.months_in_band_at_least is not None
        or condition.days_to_renewal_below is not None
    ):
        topics.append("health")
    return topics


def why(signal: Signal, facts: SignalFacts) -> str:
    """The account's figures against the rule's, one part per condition."""
    c, parts = signal.when, []
    if c.months_in_band_at_least is not None:
        parts.append(
            f"{facts.band} for {facts.months_in_band} months in a row (the rule: "
            f"{c.months_in_band_at_least} or more)"
        )
    elif c.band_in:
        parts.append(f"health band {facts.band}")
    if c.healthy is not None:
        parts.append(f"health score {facts.overall}")
    if c.trend is not None:
        parts.append(f"{facts.trend} trend")
    if c.days_to_renewal_below is not None:
        parts.append(
            f"renewal in {facts.days_to_renewal} days (the rule: within {c.days_to_renewal_below})"
        )
    if c.license_risk_in:
        wanted = {n.lower() for n in c.license_risk_in}
        levels = sorted({r for r in facts.license_risks if r.lower() in wanted})
        parts.append(f"{', '.join(levels)} license risk")
    if c.sev1_incidents_at_least is not None:
        parts.append(f"{facts.sev1_incidents} incident(s) of the top severity")
    if c.nps_below is not None:
        parts.append(f"NPS {facts.nps} (the rule: below {c.nps_below})")
    if c.quadrant_in:
        parts.append(f"{facts.quadrant} quadrant")
    if c.qualification_gaps_at_least is not None:
        parts.append(f"{facts.qualification_gaps} qualification gap(s)")
    return ", ".join(parts)


def _tools(condition: Condition) -> list[str]:
    tools: list[str] = []
    if condition.band_in or condition.healthy is not None or condition.trend is not None:
        tools.append(HEALTH)
    if condition.months_in_band_at_least is not None:
        tools.append(HEALTH)
    if condition.license_risk_in:
        tools.append(LICENSES)
    if condition.sev1_incidents_at_least is not None:
        tools.append(INCIDENTS)
    if condition.nps_below is not None:
        tools.append(SURVEYS)
    if condition.quadrant_in:
        tools.append(EXPANSION)
    return list(dict.fromkeys(tools))


def _rule_cites(ctx: Context, signal: Signal) -> list[int]:
    states = signal.source.states or []
    must = re.escape(states[0]) if states else None
    quotes = ctx.knowledge.pick(
        ctx.principal, signal.source.section, must=must, limit=1, doc_types=None
    )
    return [ctx.ledger.cite(quotes[0].chunk)] if quotes else []


def apply_signals(
    ctx: Context,
    f: AccountFacts,
    risks: list[RiskItem],
    topics: list[str],
    owner: Evidenced[str],
) -> list[RiskItem]:
    """The risks with each applying signal stated in its risk (or as a row of its own)."""
    facts = signal_facts(f)
    out = list(risks)
    for signal in active_signals(f.rules, facts):
        wanted = topics_of(signal.when)
        applies = f"{why(signal, facts)}: the rule '{signal.guidance.action}' applies"
        cites = _rule_cites(ctx, signal)
        tools = _tools(signal.when)
        at = next((topics.index(t) for t in wanted if t in topics), None)
        if at is not None:
            item = out[at]
            risk = item.risk
            text = f"{str(risk.value).rstrip('.')}. {applies[:1].upper()}{applies[1:]}."
            out[at] = item.model_copy(
                update={
                    "risk": known(
                        text,
                        tools=list(dict.fromkeys([*risk.tools, *tools])),
                        citations=[*risk.citations, *cites],
                        note=risk.note,
                    )
                }
            )
            continue
        quotes = ctx.knowledge.search(ctx.principal, signal.guidance.query, 1, GUIDES)
        mitigation = ctx.ledger.quoted(quotes, missing=f"{signal.guidance.action}: say how")
        out.append(
            RiskItem(
                risk=known(
                    f"{applies[:1].upper()}{applies[1:]}.",
                    tools=tools or [HEALTH],
                    citations=cites,
                ),
                mitigation=mitigation,
                owner=owner,
            )
        )
        topics.append(wanted[0] if wanted else signal.id)
    return out
