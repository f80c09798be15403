"""Eval suites: YAML files of labelled cases (see eval/suites/knowledge.yaml)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import InvalidInputError


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, description="any one must be retrieved")
    facts: list[str] = Field(default_factory=list, description="regexes; all must match")
    refuse: bool = False

    @field_validator("facts")
    @classmethod
    def _compiles(cls, facts: list[str]) -> list[str]:
        for fact in facts:
            try:
                re.compile(fact)
            except re.error as error:
                raise ValueError(f"fact {fact!r} is not a valid regex: {error}") from error
        return facts


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    ask: str
    account: str | None = None
    expect: Expect = Field(default_factory=Expect)
    tools: list[str] = Field(default_factory=list, description="tools that must be called")
    draft: str | None = Field(default=None, description="draft kind the answer must carry")
    origin: dict[str, Any] | None = Field(
        default=None,
        description="where the case came from (exported feedback: the answer "
        "given, the comment); not scored",
    )


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str
    today: dt.date | None = None
    needs_review: bool = Field(
        default=False, description="candidate cases still to complete; `assistant eval` skips"
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    cases: list[Case]

    @field_validator("cases")
    @classmethod
    def _unique_ids(cls, cases: list[Case]) -> list[Case]:
        seen: set[str] = set()
        for case in cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r}")
            seen.add(case.id)
        return cases


def load_suite(path: Path) -> Suite:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"{path}: cannot read suite: {error}") from error
    try:
        return Suite.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(f"{path}: invalid suite: {error}") from error
