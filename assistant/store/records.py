"""Validated records: one pydantic model per row kind, shared by the importer and the API.

A row that fails its model is rejected with a reason a person can act on (`describe`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
AccountId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Aa][Cc][Cc]-\d{3,}$")
]
Segment = Literal["enterprise", "mid_market", "smb"]
Module = Literal["search", "observability", "security", "genai"]
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
SurveyKind = Literal["nps", "csat"]
MODULES: tuple[Module, ...] = get_args(Module)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
COMPONENTS = ("deployment", "adoption", "breadth", "engagement", "outcomes")
INT_MAX = 2**53 - 1  # the largest integer every JSON parser holds exactly (< SQL BIGINT's)


def not_a_bool(value: object) -> object:
    # JSON true/false would pass as 1/0; a count or score must be a number
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


def _not_a_number(value: object) -> object:
    # pydantic reads a number as a Unix timestamp; a date here is ISO text
    if isinstance(value, int | float):
        raise ValueError("must be a date as YYYY-MM-DD, not a number")
    return value


# constraints first, so that they reach the JSON schema; the bool check runs before them
Count = Annotated[int, Field(ge=0, le=INT_MAX), BeforeValidator(not_a_bool)]
PositiveCount = Annotated[int, Field(ge=1, le=INT_MAX), BeforeValidator(not_a_bool)]
Component = Annotated[int, Field(ge=0, le=100), BeforeValidator(not_a_bool)]
Score = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(not_a_bool)]


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
    module: Module
    licensed: PositiveCount
    active: Count
    assigned: Count

    @model_validator(mode="after")
    def _within_licensed(self) -> Self:
        if self.assigned > self.licensed:
            raise ValueError(
                f"assigned users ({self.assigned}) above licensed ({self.licensed}): the "
                "license system blocks that, so the counts are wrong"
            )
        if self.active > self.licensed:
            raise ValueError(
                f"active users ({self.active}) above licensed ({self.licensed}): "
                "over-deployment is a compliance issue to confirm with the customer "
                "before the counts are recorded"
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
    def _overall_is_the_mean(self) -> Self:
        expected = round(sum(getattr(self, c) for c in COMPONENTS) / len(COMPONENTS))
        if self.overall is None:
            self.overall = expected
        elif self.overall != expected:
            raise ValueError(
                f"overall {self.overall} is not the rounded mean of the five components "
                f"({expected})"
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


class Meddicc(Record):
    """All eight MEDDICC fields must be present; a field not captured yet is null."""

    metrics: str | None
    economic_buyer: str | None
    decision_criteria: str | None
    decision_process: str | None
    identify_pain: str | None
    champion: str | None
    competition: str | None
    compelling_event: str | None


class OpportunityRecord(OwnedRecord):
    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^OPP-\d{3,}$")]
    name: NonBlank
    service: NonBlank
    stage: Literal["discovery", "demo", "proof_of_concept", "technical_qa", "sizing", "negotiation"]
    amount: PositiveCount
    close_date: Day
    meddicc: Meddicc


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
