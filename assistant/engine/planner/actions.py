"""A short dated action list for one account, built from its signals.

The tools give the facts (band, trend, days to renewal, license risks, sev1 incidents, NPS,
qualification gaps, quadrant), each with the marker of the result it comes from; the rules'
signals say which facts call for which guidance; each active signal's guidance query is
searched in the playbooks and guides, and its action is stated with the playbook's sentence,
that chunk's citation and the tool result it rests on. An action is dated by the time its
playbook sentence gives ("within 30 days") or else by the renewal date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.engine.account_names import AccountName
from assistant.engine.planner.dates import parse_window
from assistant.engine.planner.execute import Run
from assistant.engine.planner.signals import marks_of
from assistant.engine.types import Citation
from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.rules import AccountFacts, Rules, active_signals
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.opportunities import Opportunities
from assistant.tools.overview import AccountOverview
from assistant.tools.portfolio import ExpansionTargets
from assistant.tools.voice import IncidentSummary, SurveyTrend

MAX_ACTIONS = 4
_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"[.!?](?:\s*\[\d+\])+")


class Guide(Protocol):
    @property
    def rules(self) -> Rules: ...

    def guidance(self, query: str, principal: Principal) -> tuple[str, list[Citation]]: ...


@dataclass(frozen=True)
class Observed:
    """An account's facts, the tool-result marker of each fact, and its renewal date."""

    facts: AccountFacts
    marks: dict[str, str]
    renewal_date: dt.date


def facts_of(run: Run, account_id: str) -> tuple[Observed, list[str]]:
    """Call the tools an action list rests on; the facts and the lines stating them."""
    found: dict[str, Any] = {}
    marks: dict[str, str] = {}
    lines: list[str] = []
    overview, m = run.call("account_overview", {"account_id": account_id})
    assert isinstance(overview, AccountOverview)
    found["days_to_renewal"], marks["days_to_renewal"] = overview.days_to_renewal, m
    lines.append(
        f"Renews on {overview.renewal_date.isoformat()}, in {overview.days_to_renewal} days; "
        f"ARR ${overview.arr:,} [{m}]."
    )
    try:
        health, m = run.call("health_score", {"account_id": account_id})
        assert isinstance(health, HealthScore)
        found.update(
            band=health.band,
            overall=health.overall,
            trend=health.trend.direction,
            months_in_band=health.months_in_band,
        )
        marks.update(band=m, overall=m, trend=m, months_in_band=m)
        lines.append(
            f"Health **{health.overall}** ({health.band}), trend {health.trend.direction} "
            f"({health.trend.change:+d} points over {health.trend.months} months); weakest "
            f"component: {health.weakest_component} [{m}]."
        )
    except NotFoundError:
        pass
    licenses, m = run.call("license_utilization", {"account_id": account_id})
    assert isinstance(licenses, LicenseUtilization)
    found["license_risks"] = tuple(module.risk for module in licenses.modules)
    marks["license_risks"] = m
    flagged = [x for x in licenses.modules if x.risk != "Low"]
    if flagged:
        lines.append(
            "Licenses: "
            + "; ".join(
                f"{x.module} {x.licensed:,} licensed, {x.active:,} active ({x.risk})"
                for x in flagged
            )
            + f" [{m}]."
        )
    support_rules = run.registry.context.rules.support
    support, m = run.call(
        "support_incidents",
        {"account_id": account_id, "months": support_rules.incident_window_months},
    )
    assert isinstance(support, IncidentSummary)
    # the rules' most severe severity (sev1, P1, critical: whatever the rules call it)
    found["sev1_incidents"] = support.by_severity.get(support_rules.severities[0], 0)
    marks["sev1_incidents"] = m
    if support.total:
        lines.append(
            f"Support: {support.total} incidents in {support.months} months, "
            f"{support.sev1_sev2} sev1/sev2 [{m}]."
        )
    voice, m = run.call("survey_trend", {"account_id": account_id, "months": 12})
    assert isinstance(voice, SurveyTrend)
    found["nps"], marks["nps"] = voice.nps, m
    if voice.nps is not None:
        lines.append(f"NPS {voice.nps} ({voice.detractors} detractors) [{m}].")
    opportunities, m = run.call("opportunity", {"account_id": account_id})
    assert isinstance(opportunities, Opportunities)
    found["qualification_gaps"] = sum(len(o.missing) for o in opportunities.opportunities)
    marks["qualification_gaps"] = m
    if opportunities.opportunities:
        lines.append(
            "Open deals: "
            + "; ".join(
                f"{o.id} missing {', '.join(o.missing) or 'nothing'}"
                for o in opportunities.opportunities
            )
            + f" [{m}]."
        )
    placement, m = run.call("expansion_targets", {"account_id": account_id})
    assert isinstance(placement, ExpansionTargets)
    if placement.placements:
        found["quadrant"], marks["quadrant"] = placement.placements[0].quadrant, m
        lines.append(f"Expansion quadrant: {found['quadrant']} [{m}].")
    facts = AccountFacts(account_id=account_id, **found)
    return Observed(facts, marks, overview.renewal_date), lines


def action_list(
    guide: Guide, run: Run, account: AccountName, principal: Principal, heading: str
) -> tuple[list[str], list[Citation]]:
    """The facts paragraph (tool-cited) and, under `heading`, the numbered actions."""
    today = run.registry.context.clock()
    first = len(run.calls) + 1
    observed, evidence = facts_of(run, account.id)
    signals = active_signals(guide.rules, observed.facts)[:MAX_ACTIONS]
    citations: list[Citation] = []
    items: list[str] = []
    for n, signal in enumerate(signals, 1):
        text, found = guide.guidance(signal.guidance.query, principal)
        sentence, cited = _first_sentence(text, found, len(citations))
        citations += cited
        due, by_renewal = _due(sentence, observed.renewal_date, today)
        marks = list(marks_of(signal, observed.marks))
        renewal_mark = observed.marks.get("days_to_renewal")
        if by_renewal and renewal_mark and renewal_mark not in marks:
            marks.append(renewal_mark)  # the date is the renewal's: cite where it comes from
        rests = "".join(f"[{mark}]" for mark in marks)
        line = f"{n}. **{signal.guidance.action}**, by {due.isoformat()} {rests}".rstrip()
        if sentence:
            line += f": {sentence}"
        items.append(line)
    head = f"Signals of **{account.name}** as of {today.isoformat()} [T{first}]:"
    if not items:
        items = ["No signal calls for action now: keep the regular cadence."]
    actions = f"{heading}\n\nWhat to do, in order:\n" + "\n".join(items)
    return [head + "\n" + "\n".join(f"- {line}" for line in evidence), actions], citations


def _first_sentence(
    text: str, citations: list[Citation], offset: int
) -> tuple[str, list[Citation]]:
    """The composed guidance's first sentence, its markers renumbered after `offset`."""
    if not text:
        return "", []
    line = text.strip().split("\n")[0]
    end = _SENTENCE_END.search(line)
    first = line[: end.end()].strip() if end else line.strip()
    used = [int(n) for n in _MARKER.findall(first)]
    if not used:
        match = _MARKER.search(text)
        if match is None:
            return first, []
        used = [int(match.group(1))]
        first = f"{first} [{used[0]}]"
    by_n = {c.n: c for c in citations}
    kept: list[Citation] = []
    numbering: dict[int, int] = {}
    for n in used:
        if n in by_n and n not in numbering:
            numbering[n] = offset + len(kept) + 1
            kept.append(by_n[n].model_copy(update={"n": numbering[n]}))
    renumbered = _MARKER.sub(
        lambda m: f"[{numbering.get(int(m.group(1)), int(m.group(1)))}]", first
    )
    return renumbered, kept


def _due(sentence: str, renewal: dt.date, today: dt.date) -> tuple[dt.date, bool]:
    """The due date (the guidance's own time, else the renewal) and whether it is the
    renewal's."""
    window = parse_window(sentence, today) if sentence else None
    if window is not None and window.end >= today:
        return window.end, False
    return max(renewal, today), True  # no time in the guidance: before the renewal
