"""Load `rules.yaml` into `Rules`; every problem names the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from assistant import yaml_load
from assistant.errors import RulesError
from assistant.rules.models import Rules

RULES_FILE = "rules.yaml"


def load_rules(path: Path) -> Rules:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise RulesError(
            f"{path}: no rules file; put rules.yaml at the root of the knowledge folder or "
            "set ASSISTANT_RULES_FILE (format: docs/rules.md)"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(f"{path}: cannot read the rules file: {error}") from error
    try:
        data = yaml_load.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise RulesError(f"{path}: expected a mapping of rule blocks (health, licenses, ...)")
    try:
        return Rules.model_validate(data)
    except ValidationError as error:
        raise RulesError(f"{path}: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    """One line per problem: `health.bands.1.min: must be >= 0 (got -5)`."""
    parts: list[str] = []
    for item in error.errors(include_url=False):
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            parts.append(f"{key} is missing")
        elif item["type"] == "extra_forbidden":
            parts.append(f"{key} is not a known key (check the spelling against docs/rules.md)")
        else:
            value = item.get("input")
            shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
            parts.append(f"{key}: {message}{shown}")
    return "; ".join(parts)
