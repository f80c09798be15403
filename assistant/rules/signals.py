"""Signals: which of the rules file's signal conditions hold for an account's facts."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.rules.models import Condition, Rules, Signal


@dataclass(frozen=True)
class AccountFacts:
    """What the tools know about one account; None where the fact is not recorded."""

    account_id: str
    band: str | None = None
    overall: int | None = None
    trend: str | None = None
    days_to_renewal: int | None = None
    license_risks: tuple[str, ...] = field(default=())  # one level per module
    sev1_incidents: int | None = None
    nps: int | None = None
    quadrant: str | None = None
    qualification_gaps: int | None = None
    months_in_band: int | None = None  # consecutive latest monthly snapshots in `band`


def holds(condition: Condition, facts: AccountFacts, rules: Rules) -> bool:
    """Every condition given holds; a condition on a fact the account lacks does not."""
    checks: list[bool] = []
    if condition.band_in is not None:
        checks.append(_in(facts.band, condition.band_in))
    if condition.healthy is not None:
        checks.append(
            facts.overall is not None and rules.is_healthy(facts.overall) == condition.healthy
        )
    if condition.trend is not None:
        checks.append(facts.trend == condition.trend)
    if condition.days_to_renewal_below is not None:
        days = facts.days_to_renewal
        checks.append(days is not None and 0 <= days < condition.days_to_renewal_below)
    if condition.license_risk_in is not None:
        wanted = condition.license_risk_in
        checks.append(any(_in(level, wanted) for level in facts.license_risks))
    if condition.sev1_incidents_at_least is not None:
        count = facts.sev1_incidents
        checks.append(count is not None and count >= condition.sev1_incidents_at_least)
    if condition.nps_below is not None:
        checks.append(facts.nps is not None and facts.nps < condition.nps_below)
    if condition.quadrant_in is not None:
        checks.append(_in(facts.quadrant, condition.quadrant_in))
    if condition.qualification_gaps_at_least is not None:
        gaps = facts.qualification_gaps
        checks.append(gaps is not None and gaps >= condition.qualification_gaps_at_least)
    if condition.months_in_band_at_least is not None:
        months = facts.months_in_band
        checks.append(months is not None and months >= condition.months_in_band_at_least)
    return bool(checks) and all(checks)


def active_signals(rules: Rules, facts: AccountFacts) -> list[Signal]:
    """The signals whose condition holds, in the rules file's order."""
    return [signal for signal in rules.signals if holds(signal.when, facts, rules)]


def _in(value: str | None, names: list[str]) -> bool:
    return value is not None and value.lower() in {n.lower() for n in names}
