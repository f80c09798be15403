"""The blocks of the rules file, one pydantic model each (assembled in `models.Rules`).

Each block validates itself (bands cover the scale, cut-offs fall, ...); `Source` is the
citation every block carries."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Key = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Direction = Literal["improving", "declining", "stable"]


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(RuleModel):
    """Where a rule is stated: a document (its title or its path under the knowledge
    folder) and a section (its heading, or a heading path "Title > Section > Sub")."""

    document: Name
    section: Name
    states: list[Text] = Field(
        default_factory=list, description="extra phrases the section must contain"
    )

    def __str__(self) -> str:
        return f"{self.document} > {self.section}"


# health -------------------------------------------------------------------------------------


class Component(RuleModel):
    key: Key
    label: Name
    weight: float = Field(default=1.0, gt=0)


class Band(RuleModel):
    name: Name
    colour: Name = Field(description="display colour (a CSS colour name or #rrggbb)")
    min: int = Field(ge=0)
    max: int = Field(ge=0)
    healthy: bool


class HealthSources(RuleModel):
    components: Source
    formula: Source
    bands: Source
    trend: Source


class Health(RuleModel):
    scale_max: int = Field(default=100, ge=1, description="components and overall: 0..max")
    components: list[Component] = Field(min_length=1)
    bands: list[Band] = Field(min_length=2, description="ordered low -> high")
    healthy_from: int = Field(ge=0, description="the score from which an account is healthy")
    trend_points: int = Field(ge=1, description="change that makes a trend up or down")
    trend_months: int = Field(default=12, ge=2, le=36, description="default trend window")
    escalation_days: int = Field(
        ge=0, description="a declining trend this close to renewal is escalated"
    )
    sources: HealthSources

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [c.key for c in self.components]
        if len(set(keys)) != len(keys):
            raise ValueError(f"components: duplicate key in {keys}")
        names = [b.name.lower() for b in self.bands]
        if len(set(names)) != len(names):
            raise ValueError(f"bands: duplicate name in {[b.name for b in self.bands]}")
        expected = 0
        for band in self.bands:
            if band.min != expected:
                raise ValueError(
                    f"bands: {band.name} starts at {band.min}, expected {expected} (bands go "
                    f"low to high and cover 0..{self.scale_max} without gaps or overlaps)"
                )
            if band.max < band.min:
                raise ValueError(f"bands: {band.name} has max {band.max} below min {band.min}")
            expected = band.max + 1
        if expected != self.scale_max + 1:
            raise ValueError(f"bands: the last band must end at {self.scale_max}")
        flags = [b.healthy for b in self.bands]
        first = flags.index(True) if True in flags else len(flags)
        if not any(flags) or not all(flags[first:]) or any(flags[:first]):
            raise ValueError("bands: the healthy bands must be the top ones (at least one)")
        if self.healthy_from != self.bands[first].min:
            raise ValueError(
                f"healthy_from {self.healthy_from} must be where the first healthy band "
                f"({self.bands[first].name}) starts: {self.bands[first].min}"
            )
        return self


# licenses -----------------------------------------------------------------------------------


class LicenseLevel(RuleModel):
    name: Name
    min_unused: float = Field(ge=0, le=1, description="unused share from which it applies")


class LicenseSources(RuleModel):
    levels: Source
    over_deployed: Source


class Licenses(RuleModel):
    levels: list[LicenseLevel] = Field(
        min_length=1, description="highest cut-off first; the last one starts at 0"
    )
    over_deployed: Name = Field(description="the level of a module with active > licensed")
    sources: LicenseSources

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        cuts = [level.min_unused for level in self.levels]
        if cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
            raise ValueError(f"levels: cut-offs must fall strictly (highest first), got {cuts}")
        if cuts[-1] != 0:
            raise ValueError("levels: the last level must start at min_unused 0")
        names = [level.name.lower() for level in self.levels] + [self.over_deployed.lower()]
        if len(set(names)) != len(names):
            raise ValueError("levels: level names (and over_deployed) must differ")
        return self

    @property
    def names(self) -> list[str]:
        """Every level, highest risk first, over-deployment last."""
        return [level.name for level in self.levels] + [self.over_deployed]


# product ------------------------------------------------------------------------------------


class Product(RuleModel):
    modules: list[Key] = Field(min_length=1, description="the modules the importer accepts")
    source: Source

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.modules)) != len(self.modules):
            raise ValueError(f"modules: duplicate in {self.modules}")
        return self


class Support(RuleModel):
    severities: list[Key] = Field(min_length=1, description="most severe first")
    severe: list[Key] = Field(description="the severities whose rising count is a warning")
    incident_window_months: int = Field(default=3, ge=1, le=12)
    source: Source

    @model_validator(mode="after")
    def _known(self) -> Self:
        unknown = [s for s in self.severe if s not in self.severities]
        if unknown:
            raise ValueError(f"severe: {unknown} not among severities {self.severities}")
        return self


# expansion ----------------------------------------------------------------------------------


class Penetration(RuleModel):
    metric: Literal["arr_per_employee"] = "arr_per_employee"
    low_below: float = Field(gt=0, description="ARR per employee (USD) below this is low")


class Quadrant(RuleModel):
    name: Name
    healthy: bool
    low_penetration: bool
    motion: Text | None = None


class ExpansionSources(RuleModel):
    penetration: Source
    quadrants: Source
    escalate: Source | None = Field(default=None, description="where `escalate` is stated")


class QuadrantEscalation(RuleModel):
    """An account in `quadrant` whose renewal is at most `renews_within_months` away is
    escalated (a success plan states it as a risk)."""

    quadrant: Name
    renews_within_months: int = Field(ge=1, le=60)


class Expansion(RuleModel):
    penetration: Penetration
    quadrants: list[Quadrant] = Field(min_length=4, max_length=4)
    escalate: QuadrantEscalation | None = Field(
        default=None, description="the quadrant escalated close to its renewal (optional)"
    )
    sources: ExpansionSources

    @model_validator(mode="after")
    def _all_four(self) -> Self:
        cells = {(q.healthy, q.low_penetration) for q in self.quadrants}
        if len(cells) != 4:
            raise ValueError(
                "quadrants: give one quadrant for each of the four (healthy, low_penetration) "
                "combinations"
            )
        return self

    @model_validator(mode="after")
    def _escalated_quadrant_known(self) -> Self:
        if self.escalate is None:
            return self
        names = [q.name for q in self.quadrants]
        if self.escalate.quadrant.lower() not in {n.lower() for n in names}:
            raise ValueError(
                f"escalate.quadrant: '{self.escalate.quadrant}' is not one of the quadrants "
                f"({', '.join(names)})"
            )
        if self.sources.escalate is None:
            raise ValueError(
                "sources.escalate: cite the section that states the escalation rule "
                "({document, section})"
            )
        return self


# renewal ------------------------------------------------------------------------------------


class Window(RuleModel):
    """A stretch before the renewal date: from `start` to `end` units before it."""

    key: Key
    label: Name
    unit: Literal["months", "days"]
    start: int = Field(ge=0, description="the far edge (e.g. 15 months before)")
    end: int = Field(ge=0, description="the near edge (e.g. 12 months before)")
    source: Source

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end > self.start:
            raise ValueError(f"{self.key}: start ({self.start}) is the far edge, >= end")
        return self


class Renewal(RuleModel):
    windows: list[Window] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        keys = [w.key for w in self.windows]
        if len(set(keys)) != len(keys):
            raise ValueError(f"windows: duplicate key in {keys}")
        return self

    def window(self, key: str) -> Window | None:
        return next((w for w in self.windows if w.key == key), None)


# surveys ------------------------------------------------------------------------------------


class ScoreRange(RuleModel):
    min: int
    max: int


class Nps(RuleModel):
    scale_min: int = 0
    scale_max: int = 10
    promoters: ScoreRange
    passives: ScoreRange
    detractors: ScoreRange
    source: Source

    @model_validator(mode="after")
    def _partition(self) -> Self:
        ranges = sorted([self.detractors, self.passives, self.promoters], key=lambda r: r.min)
        expected = self.scale_min
        for item in ranges:
            if item.min != expected or item.max < item.min:
                raise ValueError(
                    f"nps: detractors, passives and promoters must cover {self.scale_min}.."
                    f"{self.scale_max} without gaps (range {item.min}-{item.max})"
                )
            expected = item.max + 1
        if expected != self.scale_max + 1:
            raise ValueError(f"nps: the ranges must end at {self.scale_max}")
        return self

    def category(self, score: int) -> Literal["promoter", "passive", "detractor"]:
        if score >= self.promoters.min:
            return "promoter"
        if score >= self.passives.min:
            return "passive"
        return "detractor"


class CsatPoints(RuleModel):
    at_least: float
    points: int = Field(ge=0)


class Csat(RuleModel):
    scale_min: float = 1.0
    scale_max: float = 5.0
    points: list[CsatPoints] = Field(min_length=1, description="lowest cut-off first")
    source: Source

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        cuts = [p.at_least for p in self.points]
        if cuts != sorted(cuts) or len(set(cuts)) != len(cuts):
            raise ValueError(f"csat.points: cut-offs must rise (lowest first), got {cuts}")
        if not all(self.scale_min <= c <= self.scale_max for c in cuts):
            raise ValueError(
                f"csat.points: cut-offs must lie in {self.scale_min}..{self.scale_max}"
            )
        return self


class FollowUp(RuleModel):
    """An alarming answer (an NPS detractor, a CSAT answer at or below `csat_at_most`)
    triggers a CSM call within `business_days`."""

    csat_at_most: float
    business_days: int = Field(ge=1)
    alert_window_months: int = Field(default=6, ge=1, le=24)
    source: Source


class Surveys(RuleModel):
    nps: Nps
    csat: Csat
    follow_up: FollowUp


# qualification, staffing, services, cadence, formulas ---------------------------------------


class QualField(RuleModel):
    key: Key
    label: Name
    question: Text | None = None
    source: Source | None = Field(default=None, description="the section that defines it")


class Qualification(RuleModel):
    name: Name
    aliases: list[Name] = Field(default_factory=list)
    fields: list[QualField] = Field(min_length=1)
    source: Source

    @model_validator(mode="after")
    def _unique(self) -> Self:
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError(f"fields: duplicate key in {keys}")
        return self

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]


class Staffing(RuleModel):
    """One engagement lead per `arr_per_lead_min`..`arr_per_lead_max` of ARR (USD)."""

    role: Name = "engagement lead"
    arr_per_lead_min: int = Field(gt=0)
    arr_per_lead_max: int = Field(gt=0)
    source: Source

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.arr_per_lead_max < self.arr_per_lead_min:
            raise ValueError("staffing: arr_per_lead_max is below arr_per_lead_min")
        return self


class Blocks(RuleModel):
    hours: int = Field(gt=0, description="delivery hours in one block")
    rate: int = Field(gt=0, description="blended USD per hour")
    price: int = Field(gt=0, description="USD per block")
    source: Source

    @model_validator(mode="after")
    def _price(self) -> Self:
        if self.price != self.hours * self.rate:
            raise ValueError(
                f"blocks: price {self.price} is not hours x rate ({self.hours * self.rate})"
            )
        return self


class Meeting(RuleModel):
    name: Name
    every_months: float = Field(gt=0, description="0.25 = weekly, 1 monthly, 3 quarterly")
    when: Name | None = Field(default=None, description="e.g. during onboarding")


class Cadence(RuleModel):
    meetings: list[Meeting] = Field(min_length=1)
    source: Source


class Formula(RuleModel):
    expression: Text
    source: Source


class Formulas(RuleModel):
    ltv: Formula | None = None


# signals ------------------------------------------------------------------------------------


class Condition(RuleModel):
    """Every condition given must hold (AND); a fact the account lacks fails it."""

    band_in: list[Name] | None = None
    healthy: bool | None = None
    trend: Direction | None = None
    days_to_renewal_below: int | None = Field(default=None, ge=1)
    license_risk_in: list[Name] | None = None
    sev1_incidents_at_least: int | None = Field(
        default=None, ge=1, description="incidents of the most severe severity (the first listed)"
    )
    nps_below: int | None = None
    quadrant_in: list[Name] | None = None
    qualification_gaps_at_least: int | None = Field(default=None, ge=1)
    # drafts (d18): "stays orange for 3 months in a row": consecutive latest months in the band
    months_in_band_at_least: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_dump(exclude_none=True):
            raise ValueError("when: give at least one condition")
        return self


class Guidance(RuleModel):
    query: Text = Field(description="a question that finds the playbook section with the action")
    action: Text = Field(description="the action's title")


class Signal(RuleModel):
    id: Key
    when: Condition
    guidance: Guidance
    source: Source


class ConceptName(RuleModel):
    """What this knowledge base calls one of the product's general concepts (a health score
    it calls a "vitality index"), so a question in the general words finds its documents."""

    concept: Key = Field(description="a concept of assistant/engine/concepts.yaml")
    name: Name = Field(description="the knowledge base's own name for it")
    source: Source
