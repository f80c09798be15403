"""The four drafts as typed models. Every value is an `Evidenced[T]` (see `evidence.py`);
the JSON schema of each model (`draft_schema`) is what the LLM path is asked to fill.

    success_plan    account snapshot, lifecycle stage, objectives and KPIs, milestones,
                    risks with their mitigations, cadence, owners, verified outcomes
    pitch           the 5W lens for an account and a service: who, why, what, when, where/how
    one_pager       a service's one-pager in its template's sections (optionally tailored)
    meddicc_review  each MEDDICC field rated complete / weak / missing, questions, next steps
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.charts.specs import ChartSpec
from assistant.drafts.evidence import Evidenced, walk
from assistant.engine.types import Citation, ToolCall

Kind = Literal["success_plan", "pitch", "one_pager", "meddicc_review"]
KINDS: tuple[Kind, ...] = ("success_plan", "pitch", "one_pager", "meddicc_review")
Stage = Literal["land", "onboard", "adopt", "expand", "renew"]
Frequency = Literal["weekly", "monthly", "quarterly", "bi-annual", "annual"]
Rating = Literal["complete", "weak", "missing"]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftBase(Part):
    """What every draft carries: its evidence (citations, tool calls) and the day it was made."""

    kind: Kind
    title: str = Field(description="the template's title with the names from the data")
    generated_on: dt.date = Field(description="the clock's today")
    engine: str = "grounded"
    sections: dict[str, str] = Field(
        default_factory=dict, description="the template's section titles by section key"
    )
    citations: list[Citation] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    customer_facing: list[str] = Field(
        default_factory=list, description="keys of the sections written for the customer"
    )
    worksheet_titles: dict[str, str] = Field(
        default_factory=dict,
        description="the template's worksheet headings (the seller's questions) by section key",
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        markers = {c.n for c in self.citations}
        tools = {c.name for c in self.tool_calls}
        for path, field in walk(self):
            if not set(field.citations) <= markers:
                raise ValueError(f"{path}: citation {field.citations} is not in the citations")
            if not set(field.tools) <= tools:
                raise ValueError(f"{path}: tool {field.tools} is not among the tool calls")
        return self

    def needs_input(self) -> list[tuple[str, str]]:
        """(field path, what is needed) for every field a person must fill."""
        return [(path, str(f.note)) for path, f in walk(self) if f.needs_input]


# success plan ------------------------------------------------------------------------------


class HealthTrend(Part):
    from_month: dt.date
    from_score: int
    to_month: dt.date
    to_score: int
    direction: str
    months: int | None = Field(default=None, description="the rules' trend window")


class ComponentScore(Part):
    component: str
    score: int


class LicenseLine(Part):
    module: str
    licensed: int
    active: int
    unused_share_pct: float | None
    risk: str


class VerifiedOutcome(Part):
    date: dt.date
    outcome: str
    metric: str
    verified_by: str


class DateWindow(Part):
    start: dt.date
    end: dt.date


class Snapshot(Part):
    account_name: Evidenced[str]
    industry: Evidenced[str]
    segment: Evidenced[str]
    arr: Evidenced[int]
    renewal_date: Evidenced[dt.date]
    days_to_renewal: Evidenced[int]
    health_score: Evidenced[int]
    health_band: Evidenced[str]
    health_trend: Evidenced[HealthTrend]
    components: list[Evidenced[ComponentScore]]
    licenses: list[Evidenced[LicenseLine]]
    nps: Evidenced[int]
    nps_responses: Evidenced[int]
    csat_average: Evidenced[float]
    sev1_sev2_last_3_months: Evidenced[int]


class Objective(Part):
    kpi: Evidenced[str] = Field(description="the stage KPI, quoted from the playbooks")
    baseline: Evidenced[str] = Field(description="today's figure from the tools")
    target: Evidenced[str] = Field(description="agreed with the customer")
    due: Evidenced[dt.date]
    name: str | None = Field(default=None, description="the KPI's short name (the template's)")


class Milestone(Part):
    name: str
    when: Evidenced[DateWindow]
    status: Literal["upcoming", "in progress", "due"]
    owner: Evidenced[str]


class RiskItem(Part):
    risk: Evidenced[str]
    mitigation: Evidenced[str]
    owner: Evidenced[str]


class CadenceItem(Part):
    frequency: Frequency
    activities: Evidenced[str]


class Owner(Part):
    role: str
    name: Evidenced[str]
    responsibility: Evidenced[str]


class SuccessPlan(DraftBase):
    kind: Literal["success_plan"] = "success_plan"
    account_id: str
    snapshot: Snapshot
    lifecycle_stage: Evidenced[Stage]
    objectives: list[Objective]
    milestones: list[Milestone]
    risks: list[RiskItem]
    cadence: list[CadenceItem]
    owners: list[Owner]
    verified_outcomes: list[Evidenced[VerifiedOutcome]]
    outcomes_to_pursue: list[Evidenced[str]]
    charts: list[ChartSpec] = Field(
        default_factory=list,
        description="the health trend and license charts (the tools' figures, drawn in the DOCX)",
    )


# 5W pitch ----------------------------------------------------------------------------------


class Who(Part):
    economic_buyer: Evidenced[str]
    champion: Evidenced[str]
    segment: Evidenced[str]
    buying_persona: Evidenced[str]


class Why(Part):
    pain: Evidenced[str]
    metrics: Evidenced[str]
    account_signals: list[Evidenced[str]]
    guidance: Evidenced[str]


class What(Part):
    service: Evidenced[str]
    deliverables: list[Evidenced[str]]
    scope: Evidenced[str]
    price: Evidenced[str]


class When(Part):
    compelling_event: Evidenced[str]
    renewal_date: Evidenced[dt.date]
    days_to_renewal: Evidenced[int]
    close_date: Evidenced[dt.date]
    timing: Evidenced[str]


class WhereHow(Part):
    delivery_model: Evidenced[str]
    partner: Evidenced[str]
    pricing_approach: Evidenced[str]
    timeline: Evidenced[str]
    customer_provides: Evidenced[str]


class Pitch(DraftBase):
    kind: Literal["pitch"] = "pitch"
    account_id: str
    service_id: str
    opportunity_id: str | None
    who: Who
    why: Why
    what: What
    when: When
    where_how: WhereHow


# service one-pager -------------------------------------------------------------------------


class ModuleUse(Part):
    """One platform module as the account holds it: licensed (with its utilisation) or
    not, and whether the service works on it."""

    module: str
    in_service: bool = Field(description="the service works on this module (one-pager tags)")
    license: LicenseLine | None = Field(description="None: the account does not license it")


class Tailoring(Part):
    """What makes a one-pager speak to one account: who it is, the pains recorded on its
    opportunities and in its notes, and the modules it licenses."""

    account_name: Evidenced[str]
    industry: Evidenced[str]
    segment: Evidenced[str] = Field(description="segment, industry and size, from the tools")
    pains: list[Evidenced[str]] = Field(
        description="the opportunities' pains (the service's first) and the account notes'"
    )
    modules: list[Evidenced[ModuleUse]] = Field(
        description="the modules the account licenses, and the service's modules it does not"
    )


class OnePager(DraftBase):
    kind: Literal["one_pager"] = "one_pager"
    service_id: str
    account_id: str | None
    description: Evidenced[str]
    engagement: Evidenced[str]
    outcome: Evidenced[str]
    business_questions: list[Evidenced[str]]
    technical_questions: list[Evidenced[str]]
    deliverables: dict[str, Evidenced[str]] = Field(description="code, strategy, outcome")
    customer_provides: dict[str, Evidenced[str]] = Field(
        description="documentation, infrastructure, executive sponsor, enterprise architects, "
        "on-demand experts"
    )
    price: Evidenced[str]
    scope_and_timeline: Evidenced[str]
    tailoring: Tailoring | None


# MEDDICC review ----------------------------------------------------------------------------


class FieldReview(Part):
    field: str
    label: str
    rating: Rating
    evidence: Evidenced[str]
    reason: str = Field(description="the documented rule that gave the rating")
    question: Evidenced[str] = Field(description="the guide's question to close the gap")


class Deal(Part):
    name: Evidenced[str]
    account_name: Evidenced[str]
    service: Evidenced[str]
    stage: Evidenced[str]
    amount: Evidenced[int]
    close_date: Evidenced[dt.date]
    days_to_close: Evidenced[int]
    captured: Evidenced[int]


class NextStep(Part):
    action: Evidenced[str]
    owner: Evidenced[str]
    due: Evidenced[dt.date]


class MeddiccReview(DraftBase):
    kind: Literal["meddicc_review"] = "meddicc_review"
    opportunity_id: str
    account_id: str
    deal: Deal
    fields: list[FieldReview]
    next_steps: list[NextStep]


DRAFT_MODELS: dict[Kind, type[DraftBase]] = {
    "success_plan": SuccessPlan,
    "pitch": Pitch,
    "one_pager": OnePager,
    "meddicc_review": MeddiccReview,
}
Draft = SuccessPlan | Pitch | OnePager | MeddiccReview


EVIDENCE_LISTS = (
    "citations", "tool_calls", "sections", "charts", "customer_facing", "worksheet_titles",
)  # fmt: skip


def draft_schema(kind: Kind, *, evidence: bool = True) -> dict[str, Any]:
    """The JSON schema of a draft kind. Without `evidence` the citation and tool-call lists
    are left out: a composer given numbered evidence fills the fields, and the caller
    attaches the lists it gave (see `kit.bound_model`)."""
    schema = DRAFT_MODELS[kind].model_json_schema()
    if not evidence:
        for name in EVIDENCE_LISTS:
            schema["properties"].pop(name, None)
        schema["required"] = [r for r in schema.get("required", []) if r not in EVIDENCE_LISTS]
    return schema


def parse_draft(data: dict[str, Any]) -> DraftBase:
    """A stored or received draft (a `draft_id` key added for clients is ignored)."""
    data = {k: v for k, v in data.items() if k != "draft_id"}
    kind = data.get("kind")
    if kind not in DRAFT_MODELS:
        raise ValueError(f"unknown draft kind {kind!r}")
    return DRAFT_MODELS[kind].model_validate(data)
