"""Signals of an account (band, trend, days to renewal, license risks, sev1 incidents, NPS,
qualification gaps, quadrant) and the rules that turn them into guided actions.

The mapping is data: the knowledge base's rules file (`signals`, `Rules.signals`), read in
this shape. A condition holds when every key given holds; a fact the account lacks fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigurationError


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    band_in: list[str] | None = None
    healthy: bool | None = None
    trend: Literal["improving", "declining", "stable"] | None = None
    days_to_renewal_below: int | None = Field(default=None, ge=1)
    license_risk_in: list[str] | None = None
    sev1_incidents_at_least: int | None = Field(default=None, ge=1)
    nps_below: int | None = None
    quadrant_in: list[str] | None = None
    qualification_gaps_at_least: int | None = Field(default=None, ge=1)
    months_in_band_at_least: int | None = Field(default=None, ge=1)  # drafts (d18)


class Guidance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=3)
    action: str = Field(min_length=3)


class SignalRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    when: Condition
    guidance: Guidance
    source: dict[str, Any] | None = None


class SignalFile(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the rules file's other sections

    signals: list[SignalRule]


def load_signals(path: Path) -> list[SignalRule]:
    """A file holding a `signals:` section (the rules file's shape)."""
    try:
        return SignalFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).signals
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"invalid signals file {path}: {error}") from error


@dataclass
class AccountFacts:
    """What the tools said about one account; `marks` names the tool result of each fact."""

    band: str | None = None
    healthy: bool | None = None
    trend: str | None = None
    days_to_renewal: int | None = None
    renewal_date: str | None = None
    license_risks: dict[str, list[str]] = field(default_factory=dict)  # level -> modules
    sev1_incidents: int | None = None
    nps: float | None = None
    quadrant: str | None = None
    qualification_gaps: int | None = None
    months_in_band: int | None = None  # the latest monthly snapshots in a row in `band`
    marks: dict[str, str] = field(default_factory=dict)


CONDITION_FACT = {
    "band_in": "band",
    "healthy": "healthy",
    "trend": "trend",
    "days_to_renewal_below": "days_to_renewal",
    "license_risk_in": "license_risks",
    "sev1_incidents_at_least": "sev1_incidents",
    "nps_below": "nps",
    "quadrant_in": "quadrant",
    "qualification_gaps_at_least": "qualification_gaps",
    "months_in_band_at_least": "months_in_band",
}


def holds(when: Condition, facts: AccountFacts) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "band_in": lambda v: facts.band in v,
        "healthy": lambda v: facts.healthy is v,
        "trend": lambda v: facts.trend == v,
        "days_to_renewal_below": lambda v: (
            facts.days_to_renewal is not None and 0 <= facts.days_to_renewal < v
        ),
        "license_risk_in": lambda v: any(level in facts.license_risks for level in v),
        "sev1_incidents_at_least": lambda v: (facts.sev1_incidents or 0) >= v,
        "nps_below": lambda v: facts.nps is not None and facts.nps < v,
        "quadrant_in": lambda v: facts.quadrant in v,
        "qualification_gaps_at_least": lambda v: (facts.qualification_gaps or 0) >= v,
        "months_in_band_at_least": lambda v: (facts.months_in_band or 0) >= v,
    }
    given = when.model_dump(exclude_none=True)
    return bool(given) and all(checks[key](value) for key, value in given.items())


def active_signals(signals: list[SignalRule], facts: AccountFacts) -> list[SignalRule]:
    return [s for s in signals if holds(s.when, facts)]


def marks_of(signal: SignalRule, facts: AccountFacts) -> list[str]:
    """The tool-result markers the signal's facts rest on."""
    keys = signal.when.model_dump(exclude_none=True)
    return sorted(
        {facts.marks[CONDITION_FACT[k]] for k in keys if CONDITION_FACT[k] in facts.marks}
    )
