"""The planner's intent-score margins, as data (`margins.yaml`, chosen on the dev splits)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ConfigurationError

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
    try:
        return Margins.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"invalid planner margins {path}: {error}") from error


@cache
def shipped_margins() -> Margins:
    return load_margins()
