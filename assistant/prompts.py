"""Prompts are data: one Markdown file per prompt in `prompts/`, loaded into a validated
model at start-up; rendering raises on a missing variable.

A prompt file is a YAML front matter and a jinja2 template:

    ---
    name: success_plan                 # must equal the file name without ".md"
    kind: success_plan                 # the draft kind it produces (optional)
    description: one line
    variables: [account_id, today]     # what the caller passes to `render`
    ---
    ... {{ account_id }} ... {{ schema }} ...

`schema` is provided by `render` itself for a prompt with a `kind`: the JSON schema of that
draft model (without the citation and tool-call lists, which the caller attaches from the
evidence it gave), generated at render time so it can never drift from the code. Validation at
load time (any failure is a ConfigurationError naming the file): the front matter parses
and fits the model, the template compiles, its variables are exactly the declared ones
(plus `schema`), and a draft prompt states the evidence rule (it mentions `needs_input`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from jinja2 import Environment, StrictUndefined, TemplateError, meta
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.drafts.models import KINDS, Kind, draft_schema
from assistant.errors import ConfigurationError, InvalidInputError

PROVIDED = frozenset({"schema"})
_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


def default_prompts_dir() -> Path:
    """`prompts/` beside the `assistant` package (the repository root)."""
    return Path(__file__).resolve().parent.parent / "prompts"


class Prompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind | None = None
    description: str
    variables: list[str] = Field(default_factory=list)
    template: str

    def render(self, **variables: Any) -> str:
        """The prompt text; every declared variable must be given (and nothing else)."""
        missing = sorted(set(self.variables) - set(variables))
        unknown = sorted(set(variables) - set(self.variables))
        if missing or unknown:
            problems = []
            if missing:
                problems.append(f"missing variable(s): {', '.join(missing)}")
            if unknown:
                problems.append(f"unknown variable(s): {', '.join(unknown)}")
            raise InvalidInputError(f"prompt {self.name}: {'; '.join(problems)}")
        values = dict(variables)
        if self.kind is not None:
            values["schema"] = json.dumps(draft_schema(self.kind, evidence=False), indent=1)
        try:
            return _ENV.from_string(self.template).render(**values)
        except TemplateError as error:
            raise InvalidInputError(f"prompt {self.name}: {error}") from error


def load_prompt(path: Path) -> Prompt:
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:
        raise ConfigurationError(f"prompt {path}: cannot read it: {error}") from error
    try:
        prompt = Prompt.model_validate({**post.metadata, "template": post.content})
    except ValidationError as error:
        raise ConfigurationError(f"prompt {path}: invalid front matter: {error}") from error
    if prompt.name != path.stem:
        raise ConfigurationError(f"prompt {path}: name '{prompt.name}' is not the file name")
    try:
        used = meta.find_undeclared_variables(_ENV.parse(prompt.template))
    except TemplateError as error:
        raise ConfigurationError(f"prompt {path}: template does not compile: {error}") from error
    declared = set(prompt.variables)
    provided = PROVIDED if prompt.kind is not None else frozenset()
    if used - provided != declared:
        raise ConfigurationError(
            f"prompt {path}: the template uses {sorted(used - provided)} but declares "
            f"{sorted(declared)}"
        )
    if prompt.kind is not None and "needs_input" not in prompt.template:
        raise ConfigurationError(f"prompt {path}: a draft prompt must state the needs_input rule")
    return prompt


def load_prompts(directory: Path, required: tuple[str, ...] = KINDS) -> dict[str, Prompt]:
    """Every prompt of a folder by name; the `required` ones must be there."""
    if not directory.is_dir():
        raise ConfigurationError(f"prompts folder {directory} does not exist")
    prompts = {p.stem: load_prompt(p) for p in sorted(directory.glob("*.md"))}
    absent = [name for name in required if name not in prompts]
    if absent:
        raise ConfigurationError(f"prompts missing in {directory}: {', '.join(absent)}")
    return prompts
