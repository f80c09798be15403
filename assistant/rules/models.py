"""The business rules as validated data (the format of `rules.yaml`, see docs/rules.md).

Every block cites the knowledge-base section it comes from (`Source`); `check.py` verifies
that the section still states the block's numbers and names. Cross-field checks (bands
cover the scale without gaps, healthy_from is where the healthy bands start, signal
conditions name known bands, levels and quadrants, ...) run when the file is loaded, so a
tool never sees an inconsistent rule set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, Self

from pydantic import Field, model_validator

from assistant.rules.blocks import (
    Band,
    Blocks,
    Cadence,
    Component,
    ConceptName,
    Condition,
    Csat,
    CsatPoints,
    Direction,
    Expansion,
    ExpansionSources,
    FollowUp,
    Formula,
    Formulas,
    Guidance,
    Health,
    HealthSources,
    Key,
    LicenseLevel,
    Licenses,
    LicenseSources,
    Meeting,
    Name,
    Nps,
    Penetration,
    Product,
    Quadrant,
    QuadrantEscalation,
    QualField,
    Qualification,
    Renewal,
    RuleModel,
    ScoreRange,
    Signal,
    Source,
    Staffing,
    Support,
    Surveys,
    Text,
    Window,
)

__all__ = [
    "Band",
    "Blocks",
    "Cadence",
    "Component",
    "ConceptName",
    "Condition",
    "Csat",
    "CsatPoints",
    "Direction",
    "Expansion",
    "ExpansionSources",
    "FollowUp",
    "Formula",
    "Formulas",
    "Guidance",
    "Health",
    "HealthSources",
    "Key",
    "LicenseLevel",
    "LicenseSources",
    "Licenses",
    "Meeting",
    "Name",
    "Nps",
    "Penetration",
    "Product",
    "Quadrant",
    "QuadrantEscalation",
    "QualField",
    "Qualification",
    "Renewal",
    "RuleModel",
    "Rules",
    "ScoreRange",
    "Signal",
    "Source",
    "Staffing",
    "Support",
    "Surveys",
    "Text",
    "Window",
]


# the whole file -----------------------------------------------------------------------------


class Rules(RuleModel):
    version: Literal[1] = 1
    company: Name | None = Field(
        default=None, description="the vendor's name as the knowledge base writes it"
    )
    health: Health
    licenses: Licenses
    product: Product
    support: Support
    expansion: Expansion
    renewal: Renewal
    surveys: Surveys
    qualification: Qualification
    staffing: Staffing | None = None
    blocks: Blocks | None = None
    cadence: Cadence | None = None
    formulas: Formulas = Field(default_factory=Formulas)
    signals: list[Signal] = Field(default_factory=list)
    names: list[ConceptName] = Field(
        default_factory=list, description="the knowledge base's own names for general concepts"
    )

    @model_validator(mode="after")
    def _signals_name_known_values(self) -> Self:
        bands = {b.name.lower() for b in self.health.bands}
        levels = {n.lower() for n in self.licenses.names}
        quadrants = {q.name.lower() for q in self.expansion.quadrants}
        ids = [s.id for s in self.signals]
        if len(set(ids)) != len(ids):
            raise ValueError(f"signals: duplicate id in {ids}")
        for signal in self.signals:
            when = signal.when
            for given, known, what in (
                (when.band_in, bands, "health.bands"),
                (when.license_risk_in, levels, "licenses.levels"),
                (when.quadrant_in, quadrants, "expansion.quadrants"),
            ):
                unknown = [v for v in given or [] if v.lower() not in known]
                if unknown:
                    raise ValueError(
                        f"signals.{signal.id}: {unknown} not in {what} ({', '.join(sorted(known))})"
                    )
        return self

    # shortcuts the tools use ------------------------------------------------------------------

    @property
    def modules(self) -> list[str]:
        return list(self.product.modules)

    @property
    def component_keys(self) -> list[str]:
        return [c.key for c in self.health.components]

    @property
    def qualification_keys(self) -> list[str]:
        return self.qualification.keys

    @property
    def band_names(self) -> list[str]:
        return [b.name for b in self.health.bands]

    @property
    def quadrant_names(self) -> list[str]:
        return [q.name for q in self.expansion.quadrants]

    def band(self, name: str) -> Band | None:
        return next((b for b in self.health.bands if b.name.lower() == name.lower()), None)

    def band_for(self, score: int) -> Band:
        for band in self.health.bands:
            if score <= band.max:
                return band
        return self.health.bands[-1]

    def is_healthy(self, score: int) -> bool:
        return score >= self.health.healthy_from

    def overall_score(self, components: Mapping[str, int]) -> int:
        """Weighted mean of the components, rounded (as the formula section states)."""
        weights = {c.key: c.weight for c in self.health.components}
        missing = [k for k in weights if k not in components]
        if missing:
            raise ValueError(f"missing health component(s): {', '.join(missing)}")
        total = sum(weights.values())
        return round(sum(components[k] * w for k, w in weights.items()) / total)

    def trend_direction(self, oldest: int, latest: int) -> Direction:
        change = latest - oldest
        if change <= -self.health.trend_points:
            return "declining"
        if change >= self.health.trend_points:
            return "improving"
        return "stable"

    def unused_share(self, licensed: int, active: int) -> float | None:
        """Unused share of licenses (0..1); None when over-deployed (never negative)."""
        if active > licensed:
            return None
        return (licensed - active) / licensed

    def license_risk(self, licensed: int, active: int) -> str:
        share = self.unused_share(licensed, active)
        if share is None:
            return self.licenses.over_deployed
        for level in self.licenses.levels:
            if share >= level.min_unused:
                return level.name
        return self.licenses.levels[-1].name

    def license_level(self, name: str) -> str | None:
        """The level's own spelling for a name given in any case."""
        return next((n for n in self.licenses.names if n.lower() == name.lower()), None)

    def low_penetration(self, arr: int, employees: int) -> bool:
        return arr / employees < self.expansion.penetration.low_below

    def quadrant_for(self, health: int, arr: int, employees: int) -> str:
        healthy, low = self.is_healthy(health), self.low_penetration(arr, employees)
        return next(
            q.name
            for q in self.expansion.quadrants
            if q.healthy == healthy and q.low_penetration == low
        )

    def nps(self, scores: list[int]) -> int | None:
        """Net Promoter Score (% promoters - % detractors), rounded; None without answers."""
        if not scores:
            return None
        promoters = sum(1 for s in scores if self.surveys.nps.category(s) == "promoter")
        detractors = sum(1 for s in scores if self.surveys.nps.category(s) == "detractor")
        return round(100 * (promoters - detractors) / len(scores))

    def csat_points(self, score: float) -> int:
        earned = [p.points for p in self.surveys.csat.points if score >= p.at_least - 1e-9]
        return earned[-1] if earned else 0

    def alarming_survey(self, kind: str, score: float) -> bool:
        """An answer that triggers the follow-up call."""
        if kind == "nps":
            return self.surveys.nps.category(int(score)) == "detractor"
        return score <= self.surveys.follow_up.csat_at_most

    def engagement_leads(self, arr: float) -> tuple[int, int] | None:
        """(fewest, most) engagement leads for a portfolio ARR; None without the rule."""
        if self.staffing is None:
            return None
        fewest = max(1, math.ceil(arr / self.staffing.arr_per_lead_max))
        most = max(1, math.ceil(arr / self.staffing.arr_per_lead_min))
        return fewest, most
