"""The grounded composer's decline thresholds, as data (`answerability.yaml`, chosen on the
dev splits of two knowledge bases by eval/calibrate.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.data_files import load_yaml_model

THRESHOLDS = Path(__file__).with_name("answerability.yaml")


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_similarity: float = Field(ge=-1, le=1)
    min_overlap: float = Field(ge=0, le=1)
    weak_similarity: float = Field(ge=-1, le=1)
    weak_overlap: float = Field(ge=0, le=1)
    min_answer_similarity: float = Field(ge=-1, le=1)
    weak_answer_similarity: float = Field(ge=-1, le=1)
    weak_answer_overlap: float = Field(ge=0, le=1)
    missing_figure_similarity: float = Field(ge=-1, le=1)
    missing_figure_overlap: float = Field(ge=0, le=1)
    count_required: bool = False
    missing_thing_salience: float = Field(default=2.0, ge=0)
    salience_power: float = Field(default=0.0, ge=0, le=4)


@cache
def load_thresholds(path: Path = THRESHOLDS) -> Thresholds:
    """The calibrated thresholds; ConfigurationError naming the file when it is unreadable."""
    return load_yaml_model(path, Thresholds, "composer thresholds")
