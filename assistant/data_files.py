"""The product's own YAML data files (thresholds, margins, exemplars, templates), each read
and validated by a pydantic model, with one error for a file that is missing or wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant import yaml_load
from assistant.errors import ConfigurationError

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M], what: str) -> M:
    """`path` as YAML validated by `model`; a ConfigurationError naming the file and `what` it
    holds when it cannot be read, parsed or validated."""
    try:
        return model.model_validate(yaml_load.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ConfigurationError(f"invalid {what} {path}: {error}") from error
