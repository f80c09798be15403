"""The success plan's objectives (stage KPIs with today's baselines) and its milestones,
dated relative to today and to the renewal date."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant.drafts.context import Context, add_business_days, shift_months
from assistant.drafts.evidence import Evidenced, known, needed
from assistant.drafts.facts import (
    HEALTH,
    LICENSES,
    OPPORTUNITY,
    OUTCOMES,
    OVERVIEW,
    SURVEYS,
    AccountFacts,
    human,
    money,
)
from assistant.drafts.models import DateWindow, Milestone, Objective, Stage
from assistant.drafts.templates import MEASURE_NAMES, Measure
from assistant.engine.types import ToolCall
from assistant.rules.models import Window

MILESTONE_DATES = "milestone_dates"  # the recorded date arithmetic of the milestones

TARGET_NOTE = "agree the target with the customer (each objective has a baseline, a target "
TARGET_NOTE += "and a date)"


def _opportunities(f: AccountFacts) -> Evidenced[str]:
    if not f.opportunities:
        return needed("no open services opportunity is recorded", tools=[OPPORTUNITY])
    text = "; ".join(
        f"{o.id} {o.service} {money(o.amount)} ({human(o.stage)})" for o in f.opportunities
    )
    return known(f"open: {text}", tools=[OPPORTUNITY])


def _voice(f: AccountFacts) -> Evidenced[str]:
    v = f.voice
    if v.nps is None and v.csat_average is None:
        return needed("no NPS or CSAT response in the last 12 months", tools=[SURVEYS])
    parts = []
    if v.nps is not None:
        parts.append(f"NPS {v.nps} from {v.nps_responses} response(s)")
    if v.csat_average is not None:
        parts.append(f"CSAT average {v.csat_average} from {v.csat_responses} response(s)")
    return known(", ".join(parts) + " (last 12 months)", tools=[SURVEYS])


def _outcomes(f: AccountFacts) -> Evidenced[str]:
    if not f.outcomes:
        return needed("no verified outcome is recorded yet", tools=[OUTCOMES])
    last = f.outcomes[-1]
    return known(
        f"latest verified outcome {last.date.isoformat()}: {last.outcome} ({last.metric})",
        tools=[OUTCOMES],
    )


def _active(f: AccountFacts) -> Evidenced[str]:
    if not f.licenses:
        return needed("no license counts are recorded", tools=[LICENSES])
    text = "; ".join(f"{m.module} {m.active:,} of {m.licensed:,}" for m in f.licenses)
    return known(f"active of licensed users: {text}", tools=[LICENSES])


def _feature(f: AccountFacts, component: str | None = None) -> Evidenced[str]:
    if not f.licenses:
        return needed("no license counts are recorded", tools=[LICENSES])
    text = "; ".join(
        f"{m.module} {m.unused_share_pct}% unused" if m.unused_share_pct is not None
        else f"{m.module} over-deployed"
        for m in f.licenses
    )  # fmt: skip
    if f.health is None or component not in f.health.components:
        return known(text, tools=[LICENSES])
    value = f.health.components[component]
    return known(f"{text}; {component} component {value}", tools=[LICENSES, HEALTH])


def _component(f: AccountFacts, component: str | None) -> Evidenced[str]:
    if f.health is None:
        return needed("no health snapshot is recorded", tools=[HEALTH])
    if component not in f.health.components:
        return needed(f"the health components hold no '{component}'", tools=[HEALTH])
    return known(f"{component} component {f.health.components[component]}", tools=[HEALTH])


def _footprint(f: AccountFacts) -> Evidenced[str]:
    if not f.licenses:
        return needed("no license counts are recorded", tools=[LICENSES])
    text = "; ".join(f"{m.module} {m.licensed:,}" for m in f.licenses)
    return known(f"licensed users: {text}", tools=[LICENSES])


def _adjacent(f: AccountFacts) -> Evidenced[str]:
    owned = {m.module for m in f.licenses}
    modules = f.rules.modules
    free = [m for m in modules if m not in owned]
    every = f"all {len(modules)} modules are licensed"
    text = f"not licensed yet: {', '.join(free)}" if free else every
    return known(text, tools=[LICENSES])


def _competition(f: AccountFacts) -> Evidenced[str]:
    notes = [f"{o.id}: {o.meddicc['competition']}" for o in f.opportunities
             if o.meddicc.get("competition")]  # fmt: skip
    if not notes:
        return needed("no competitor is recorded in an open opportunity", tools=[OPPORTUNITY])
    return known("; ".join(notes), tools=[OPPORTUNITY])


def _live(f: AccountFacts) -> Evidenced[str]:
    start = f.overview.contract_start.isoformat()
    active = _active(f)
    if active.value is None:
        return known(f"contract started {start}", tools=[OVERVIEW])
    return known(f"contract started {start}; {active.value}", tools=[OVERVIEW, LICENSES])


def _term(f: AccountFacts) -> Evidenced[str]:
    o = f.overview
    return known(
        f"contract {o.contract_start.isoformat()} to {o.renewal_date.isoformat()}",
        tools=[OVERVIEW],
    )


# each measure a template may name (templates.MEASURE_NAMES) -> today's figure from the tools
MEASURES: dict[str, Callable[[AccountFacts, Measure], Evidenced[str]]] = {
    "not_held": lambda _f, m: needed(f"{m.note or m.label} is not in the account data"),
    "open_opportunities": lambda f, _m: _opportunities(f),
    "survey_scores": lambda f, _m: _voice(f),
    "latest_outcome": lambda f, _m: _outcomes(f),
    "active_users": lambda f, _m: _active(f),
    "unused_share": lambda f, m: _feature(f, m.component),
    "health_component": lambda f, m: _component(f, m.component),
    "licensed_users": lambda f, _m: _footprint(f),
    "unlicensed_modules": lambda f, _m: _adjacent(f),
    "competition": lambda f, _m: _competition(f),
    "contract_live": lambda f, _m: _live(f),
    "contract_term": lambda f, _m: _term(f),
}
assert set(MEASURES) == set(MEASURE_NAMES)


def measure_for(ctx: Context, kpi: str) -> Measure | None:
    """The template's first measure whose pattern the KPI sentence matches."""
    measures = ctx.template.section("objectives").measures
    return next((m for m in measures if re.search(m.match, kpi, re.IGNORECASE)), None)


def objectives(ctx: Context, f: AccountFacts, stage: Stage) -> list[Objective]:
    kpis = ctx.find("objectives", "kpis", stage=stage)
    kpis += [q for q in ctx.find("objectives", "stage", stage=stage) if q not in kpis]
    target_cites = ctx.cite("objectives", "target")
    result = []
    for quote in kpis:
        measure = measure_for(ctx, quote.text)
        baseline = (
            MEASURES[measure.measure](f, measure)
            if measure is not None
            else needed("no figure in the account data for this KPI: record the baseline")
        )
        kpi = ctx.ledger.quoted([quote])
        stated = (
            re.search(measure.target, quote.text, re.IGNORECASE)
            if measure and measure.target
            else None
        )
        target = (
            known(stated.group(0), citations=kpi.citations, note="as the playbooks state it")
            if stated is not None
            else needed(TARGET_NOTE, citations=target_cites)
        )
        result.append(
            Objective(
                kpi=kpi,
                baseline=baseline,
                target=target,
                due=_due(ctx, f, stage, measure),
                name=measure.label if measure is not None else None,
            )
        )
    if not result:
        missing = needed(f"no KPIs for the {stage} stage were found in the playbooks")
        result.append(Objective(kpi=missing, baseline=missing, target=missing, due=missing))
    return result


def _due(
    ctx: Context, f: AccountFacts, stage: Stage, measure: Measure | None
) -> Evidenced[dt.date]:
    if measure is not None and measure.due == "signature":
        return known(
            f.overview.contract_start + dt.timedelta(days=measure.due_days),
            tools=[OVERVIEW],
            citations=ctx.cite("objectives", "go_live"),
            note=f"contract start + {measure.due_days} days",
        )
    if stage == "renew" or (measure is not None and measure.due == "renewal"):
        return known(f.overview.renewal_date, tools=[OVERVIEW], note="measured at the renewal")
    return needed("agree the date with the customer")


@dataclass(frozen=True)
class _Step:
    """A milestone window, the rule it is dated by, and where the rule is written."""

    name: str
    start: dt.date
    end: dt.date
    owner: Evidenced[str] | None
    rule: str
    lookup: str  # the template's `milestones` lookup that states the rule
    tools: tuple[str, ...] = ()
    source: tuple[str, str] | None = None  # the rule's own section and sentence pattern


def _edges(window: Window, renewal: dt.date) -> tuple[dt.date, dt.date]:
    """The window's dates: `start` .. `end` months or days before the renewal."""
    if window.unit == "months":
        return shift_months(renewal, -window.start), shift_months(renewal, -window.end)
    return renewal - dt.timedelta(days=window.start), renewal - dt.timedelta(days=window.end)


def _window_step(
    name: str, lookup: str, window: Window, renewal: dt.date, owner: Evidenced[str] | None
) -> _Step:
    """A milestone over a renewal window of the rules, cited by the sentence stating its
    two edges ("12-15 months", "60-90 days")."""
    start, end = _edges(window, renewal)
    a, b = window.end, window.start
    states = rf"\b{a}\b\D{{1,12}}\b{b}\b|\b{b}\b\D{{1,12}}\b{a}\b"
    rule = f"{window.start} to {window.end} {window.unit} before the renewal"
    return _Step(name, start, end, owner, rule, lookup, (), (window.source.section, states))


def milestones(ctx: Context, f: AccountFacts) -> list[Milestone]:
    """Dated from today (the clock) and from the renewal date; closed windows are left out."""
    today, o = ctx.today, f.overview
    renewal, signed = o.renewal_date, o.contract_start
    csm = known(o.csm, tools=[OVERVIEW], note="CSM")
    ae = known(o.account_exec, tools=[OVERVIEW], note="account executive")
    partner = known(o.partner, tools=[OVERVIEW], note="partner") if o.partner else None
    days = dt.timedelta
    steps = [
        _Step("Success plan agreed with the customer", today, today + days(14), csm,
              "within 2 weeks of today", "plan_agreed"),
        _Step("Quarterly business review with the executive sponsor", today,
              shift_months(today, 3), csm, "within the next quarter", "qbr"),
    ]  # fmt: skip
    windows = ctx.rules.renewal
    for key, name, lookup, owner in (
        ("portfolio_review", "Portfolio review for the renewal", "portfolio_review", csm),
        ("risk_management", "Renewal risk management", "risk_management", csm),
        ("partner_notice", "Partner prompted about the renewal", "partner_prompt", partner),
    ):
        window = windows.window(key)
        if window is not None:
            steps.append(_window_step(name, lookup, window, renewal, owner))
    risk = windows.window("risk_management")
    if risk is not None:
        _, start = _edges(risk, renewal)  # execution follows risk management
        steps.append(_Step("Renewal execution and signature", start, renewal, ae,
                           f"the last {risk.end} {risk.unit} before the renewal",
                           "execution"))  # fmt: skip
    if f.high_risk:
        names = ", ".join(m.module for m in f.high_risk)
        check = renewal - days(90)
        steps += [
            _Step(f"Adoption plan for the High license risk module(s): {names}", today,
                  today + days(30), csm, "within 30 days of today", "adoption_plan",
                  (LICENSES,)),
            _Step("High license risk modules reviewed for the renewal", check, check, csm,
                  "90 days before the renewal", "license_review", (LICENSES,)),
        ]  # fmt: skip
    follow = ctx.rules.surveys.follow_up
    if f.warning("alarming_survey_answers"):
        n = follow.business_days
        steps.append(_Step("CSM call after a detractor or low CSAT answer", today,
                           add_business_days(today, n), csm, f"within {n} business days of today",
                           "detractor_call", (HEALTH,),
                           (follow.source.section, rf"\b{n} business days")))  # fmt: skip
    if (today - signed).days < 13 * 7:
        steps.append(_Step("Live and engaged", signed, signed + days(30), csm,
                           "within 30 days of signature", "live"))  # fmt: skip
    kept = [s for s in steps if s.owner is not None and s.end >= today]
    # no partner to prompt, or the window has closed: left out. The dates are calendar
    # arithmetic on today, the renewal and the rules' windows: recorded as a calculation
    # with its inputs, so every date a milestone states is held by a result it cites.
    dates = ctx.ledger.record(
        ToolCall(
            name=MILESTONE_DATES,
            arguments={"account_id": o.account_id, "today": today.isoformat(),
                       "renewal_date": renewal.isoformat()},
            result={"milestones": [{"name": s.name, "start": s.start.isoformat(),
                                    "end": s.end.isoformat(), "rule": s.rule} for s in kept]},
            as_of=today.isoformat(),
            source="rules (renewal windows, follow-up), accounts",
        )
    )  # fmt: skip
    out = []
    for step in kept:
        assert step.owner is not None  # kept only with an owner
        status: Literal["upcoming", "in progress", "due"] = (
            "upcoming" if step.start > today else "due" if step.start == step.end else "in progress"
        )
        out.append(
            Milestone(
                name=step.name,
                when=known(
                    DateWindow(start=step.start, end=step.end),
                    tools=(OVERVIEW, dates, *step.tools),
                    citations=_cites(ctx, step),
                    note=step.rule,
                ),
                status=status,
                owner=step.owner,
            )
        )
    out.sort(key=lambda m: (m.when.value.start if m.when.value else today, m.name))
    return out


def _cites(ctx: Context, step: _Step) -> list[int]:
    """The sentence that states a milestone's rule: the rule's own cited section when the
    rules file names it, else the template's lookup (found by its question)."""
    if step.source is not None:
        section, must = step.source
        quotes = ctx.knowledge.pick(ctx.principal, section, must=must, limit=1, doc_types=None)
        if quotes:
            return [ctx.ledger.cite(quotes[0].chunk)]
    return ctx.cite("milestones", step.lookup)
