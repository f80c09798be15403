"""Eval suites: YAML files of labelled cases (see eval/suites/knowledge.yaml).

Every case belongs to one split, fixed by a hash of its id: about 70% `dev` (what thresholds
and weights may be tuned on) and 30% `test` (held out: only reported). A conversation's turns
share their case's split.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant import yaml_load
from assistant.errors import InvalidInputError


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, description="any one must be retrieved")
    facts: list[str] = Field(default_factory=list, description="regexes; all must match")
    absent: list[str] = Field(
        default_factory=list, description="regexes that must not match (a list's non-members)"
    )
    refuse: bool = False

    @field_validator("facts", "absent")
    @classmethod
    def _compiles(cls, facts: list[str]) -> list[str]:
        for fact in facts:
            try:
                re.compile(fact)
            except re.error as error:
                raise ValueError(f"fact {fact!r} is not a valid regex: {error}") from error
        return facts


Split = Literal["dev", "test"]
SplitChoice = Literal["dev", "test", "all"]
SPLITS: tuple[Split, ...] = ("dev", "test")
TEST_SHARE = 30  # percent of the cases held out


def split_of(case_id: str) -> Split:
    """The split a case belongs to: a fixed hash of its id (stable across runs, machines and
    edits of other cases), `test` for about TEST_SHARE percent of ids."""
    bucket = int(hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if bucket < TEST_SHARE else "dev"


class Turn(BaseModel):
    """One message of a multi-turn case, sent in the conversation of the turns before it."""

    model_config = ConfigDict(extra="forbid")

    ask: str
    account: str | None = None
    expect: Expect = Field(default_factory=Expect)
    tools: list[str] = Field(default_factory=list, description="tools that must be called")
    draft: str | None = None


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    ask: str = ""
    account: str | None = None
    expect: Expect = Field(default_factory=Expect)
    tools: list[str] = Field(default_factory=list, description="tools that must be called")
    draft: str | None = Field(default=None, description="draft kind the answer must carry")
    turns: list[Turn] = Field(
        default_factory=list,
        description="a conversation: its messages in order, each with its own expectations "
        "(instead of ask/expect)",
    )
    origin: dict[str, Any] | None = Field(
        default=None,
        description="where the case came from (exported feedback: the answer "
        "given, the comment); not scored",
    )

    @model_validator(mode="after")
    def _ask_or_turns(self) -> Case:
        if self.turns and self.ask:
            raise ValueError(f"case {self.id!r}: give either `ask` or `turns`, not both")
        if not self.turns and not self.ask.strip():
            raise ValueError(f"case {self.id!r}: `ask` (or `turns`) is required")
        return self

    @property
    def split(self) -> Split:
        return split_of(self.id)

    def steps(self) -> list[Case]:
        """The chat turns of this case as single-turn cases (id `<id>#<n>` for a
        conversation), in order."""
        if not self.turns:
            return [self]
        return [
            Case(
                id=f"{self.id}#{n}",
                ask=turn.ask,
                account=turn.account,
                expect=turn.expect,
                tools=turn.tools,
                draft=turn.draft,
                origin=self.origin,
            )
            for n, turn in enumerate(self.turns, 1)
        ]


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str
    today: dt.date | None = None
    knowledge_dir: Path | None = Field(
        default=None,
        description="the knowledge folder the suite asks about (its rules.yaml and accounts/ "
        "included), relative to the working directory; the configured one when unset",
    )
    needs_review: bool = Field(
        default=False, description="candidate cases still to complete; `assistant eval` skips"
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    cases: list[Case]
    split: SplitChoice = Field(
        default="all", description="which cases these are (set by `select`, not in the file)"
    )

    @field_validator("cases")
    @classmethod
    def _unique_ids(cls, cases: list[Case]) -> list[Case]:
        seen: set[str] = set()
        for case in cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r}")
            seen.add(case.id)
        return cases

    def select(self, split: SplitChoice) -> Suite:
        """The cases of one split (`all`: every case)."""
        if split == "all":
            return self.model_copy(update={"split": "all"})
        cases = [case for case in self.cases if case.split == split]
        return self.model_copy(update={"cases": cases, "split": split})


def load_suite(path: Path) -> Suite:
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInputError(f"{path}: cannot read suite: {error}") from error
    try:
        return Suite.model_validate(data)
    except ValidationError as error:
        raise InvalidInputError(f"{path}: invalid suite: {error}") from error
