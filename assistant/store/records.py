"""Validated records: one pydantic model per row kind, shared by the importer and the API.

A row that fails its model is rejected with a reason a person can act on (`describe`).
The vocabularies (product modules, health components and how the overall score follows
from them, qualification fields) are business rules: callers pass them in the validation
context, `model_validate(data, context=vocabulary_context(rules))`. Without that context
the rule checks are left out (FastAPI's first parse); everything stored is validated with
it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Protocol, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
AccountId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Aa][Cc][Cc]-\d{3,}$")
]
Segment = Literal["enterprise", "mid_market", "smb"]
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
SurveyKind = Literal["nps", "csat"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
INT_MAX = 2**53 - 1  # the largest integer every JSON parser holds exactly (< SQL BIGINT's)


def not_a_bool(value: object) -> object:
    # JSON true/false would pass as 1/0; a count or score must be a number
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _not_a_number(value: object) -> object:
    # pydantic reads a number (or a string of digits) as a Unix timestamp; a date here is
    # ISO text
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        raise ValueError("must be a date as YYYY-MM-DD, not a number")
    return value


# constraints first, so that they reach the JSON schema; the bool check runs before them
Count = Annotated[int, Field(ge=0, le=INT_MAX), BeforeValidator(not_a_bool)]
PositiveCount = Annotated[int, Field(ge=1, le=INT_MAX), BeforeValidator(not_a_bool)]
Component = Annotated[int, Field(ge=0, le=100), BeforeValidator(not_a_bool)]
Score = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(not_a_bool)]

# the import schema's columns (README "Account exports"); the rules give them labels/weights
COMPONENT_COLUMNS = ("deployment", "adoption", "breadth", "engagement", "outcomes")
QUALIFICATION_COLUMNS = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
    "competition",
    "compelling_event",
)


class Vocabulary(Protocol):
    """What the records need from the business rules (`assistant.rules.Rules` is one)."""

    @property
    def modules(self) -> list[str]: ...

    @property
    def component_keys(self) -> list[str]: ...

    @property
    def qualification_keys(self) -> list[str]: ...

    def overall_score(self, components: Mapping[str, int]) -> int: ...


def vocabulary_context(vocabulary: Vocabulary) -> dict[str, Any]:
    return {"vocabulary": vocabulary}


def _vocabulary(info: ValidationInfo) -> Vocabulary | None:
    context = info.context
    return context.get("vocabulary") if isinstance(context, dict) else None


def schema_problems(vocabulary: Vocabulary) -> dict[str, str]:
    """Rules the import schema cannot hold, by table (components or fields without a
    column)."""
    problems: dict[str, str] = {}
    for table, keys, columns, what in (
        ("health_snapshots", vocabulary.component_keys, COMPONENT_COLUMNS, "health component"),
        (
            "opportunities",
            vocabulary.qualification_keys,
            QUALIFICATION_COLUMNS,
            "qualification field",
        ),
    ):
        extra = [k for k in keys if k not in columns]
        if extra:
            problems[table] = (
                f"{what}(s) {', '.join(extra)} have no column in {table} "
                f"(columns: {', '.join(columns)})"
            )
    return problems


def _first_of_month(value: dt.date) -> dt.date:
    if value.day != 1:
        raise ValueError(f"must be the first day of a month, got {value.isoformat()}")
    return value


Day = Annotated[dt.date, BeforeValidator(_not_a_number)]
Month = Annotated[Day, AfterValidator(_first_of_month)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountRecord(Record):
    id: AccountId
    name: NonBlank
    industry: NonBlank
    segment: Segment
    employees: PositiveCount
    arr: Count
    contract_start: Day
    renewal_date: Day
    csm: NonBlank
    account_exec: NonBlank
    partner: str | None = None
    partner_role: Literal["sales_agent", "cs_manager", "none"]
    stage: Literal["land", "onboard", "adopt", "expand", "renew"]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.renewal_date <= self.contract_start:
            raise ValueError(
                f"renewal_date {self.renewal_date} is not after contract_start "
                f"{self.contract_start}"
            )
        if (self.partner_role == "none") != (not self.partner):
            raise ValueError("partner and partner_role disagree (a partner needs a role)")
        return self


class LicenseCounts(Record):
    """Active above licensed is over-deployment: a real state (a true-up or an upsell),
    recorded as it is and flagged by the licenses tool."""

    module: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1)]
    licensed: PositiveCount
    active: Count
    assigned: Count

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str, info: ValidationInfo) -> str:
        vocabulary = _vocabulary(info)
        if vocabulary is not None and value not in vocabulary.modules:
            raise ValueError(f"unknown module; the rules name {', '.join(vocabulary.modules)}")
        return value

    @model_validator(mode="after")
    def _within_licensed(self) -> Self:
        if self.assigned > self.licensed:
            raise ValueError(
                f"assigned users ({self.assigned}) above licensed ({self.licensed}): the "
                "license system blocks that, so the counts are wrong"
            )
        return self


class HealthValues(Record):
    month: Month
    deployment: Component
    adoption: Component
    breadth: Component
    engagement: Component
    outcomes: Component
    overall: Component | None = Field(default=None, description="computed when omitted")

    @model_validator(mode="after")
    def _overall_follows_the_formula(self, info: ValidationInfo) -> Self:
        vocabulary = _vocabulary(info)
        if vocabulary is None:
            return self
        parts = {c: int(getattr(self, c)) for c in vocabulary.component_keys}
        expected = vocabulary.overall_score(parts)
        if self.overall is None:
            self.overall = expected
        elif self.overall != expected:
            raise ValueError(
                f"overall {self.overall} is not the score the rules' formula gives the "
                f"components ({expected})"
            )
        return self


class SurveyResponse(Record):
    date: Day
    kind: SurveyKind
    score: Score
    respondent: NonBlank

    @model_validator(mode="after")
    def _score_on_scale(self) -> Self:
        if self.kind == "nps" and (self.score != int(self.score) or not 0 <= self.score <= 10):
            raise ValueError(f"an NPS score is a whole number from 0 to 10, got {self.score:g}")
        if self.kind == "csat" and not 1.0 <= self.score <= 5.0:
            raise ValueError(f"a CSAT score is from 1 to 5, got {self.score:g}")
        return self


class OwnedRecord(Record):
    account_id: AccountId


class LicenseRecord(OwnedRecord, LicenseCounts):
    pass


class HealthRecord(OwnedRecord, HealthValues):
    pass


class SurveyRecord(OwnedRecord, SurveyResponse):
    pass


class IncidentRecord(OwnedRecord):
    month: Month
    severity: Severity
    count: Count


class OutcomeRecord(OwnedRecord):
    date: Day
    outcome: NonBlank
    metric: NonBlank
    verified_by: NonBlank


class OpportunityRecord(OwnedRecord):
    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^OPP-\d{3,}$")]
    name: NonBlank
    service: NonBlank
    stage: Literal["discovery", "demo", "proof_of_concept", "technical_qa", "sizing", "negotiation"]
    amount: PositiveCount
    close_date: Day
    meddicc: dict[str, str | None] = Field(
        description="every qualification field of the rules; null when not captured yet"
    )

    @field_validator("meddicc")
    @classmethod
    def _every_field(
        cls, value: dict[str, str | None], info: ValidationInfo
    ) -> dict[str, str | None]:
        vocabulary = _vocabulary(info)
        keys = list(vocabulary.qualification_keys) if vocabulary else list(QUALIFICATION_COLUMNS)
        missing = [k for k in keys if k not in value]
        unknown = [k for k in value if k not in keys]
        if missing or unknown:
            parts = [f"missing {', '.join(missing)}"] if missing else []
            parts += [f"unknown {', '.join(unknown)}"] if unknown else []
            raise ValueError(
                f"{'; '.join(parts)} (give every qualification field of the rules, null when "
                f"not captured: {', '.join(keys)})"
            )
        return {k: (v.strip() or None) if isinstance(v, str) else v for k, v in value.items()}


def describe(error: ValidationError, *, values: bool = True) -> str:
    """One line naming each bad field and why, e.g. `arr is missing`. `values=False` leaves
    the offending values out (for secrets)."""
    parts: list[str] = []
    for item in error.errors(include_url=False):
        field = ".".join(str(p) for p in item["loc"])
        value = item.get("input")
        message = str(item["msg"]).removeprefix("Value error, ").replace("Input should", "must")
        if item["type"] == "missing" or (field and value in (None, "")):
            parts.append(f"{field} is missing")
        elif field and values and not isinstance(value, dict):
            parts.append(f"{field} {value!r}: {message}")
        elif field:
            parts.append(f"{field}: {message}")
        else:
            parts.append(message)
    return "; ".join(parts)
