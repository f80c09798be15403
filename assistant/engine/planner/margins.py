"""The planner's intent-score margins, as data (`margins.yaml`, chosen on the dev splits)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.data_files import load_yaml_model

MARGINS = Path(__file__).with_name("margins.yaml")


class Margins(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio_lead: float = Field(ge=-1, le=1)
    portfolio_sure: float = Field(ge=-1, le=1)
    knowledge_lead: float = Field(ge=-1, le=1)
    actions_margin: float = Field(ge=0, le=1)
    unknown_min: float = Field(ge=-1, le=1)
    unknown_gain: float = Field(ge=0, le=1)
    carry_below: float = Field(ge=-1, le=1)
    clause_actions_min: float = Field(ge=-1, le=1)


def load_margins(path: Path = MARGINS) -> Margins:
    return load_yaml_model(path, Margins, "planner margins")


@cache
def shipped_margins() -> Margins:
    return load_margins()
