"""Draft templates are data: one YAML file per draft kind, shipped with the knowledge base
(`<knowledge_dir>/templates/<kind>.yaml`, or the folder in `ASSISTANT_DRAFT_TEMPLATES_DIR`),
that a customer edits with their playbooks. The code fills a template; it knows no heading.

    kind: success_plan                      # must equal the file name without ".yaml"
    title: "Customer success plan: {account}"
    sections:                               # in the order the reader sees them
      - key: risks                          # the builder part that fills it (fixed per kind)
        title: Risks and what we do         # the heading in the draft (the reader's words)
        worksheet: What could stop the renewal?   # optional: the evidence appendix's heading
        question: What could stop the renewal, and what do we do about it?
        fill: rules (health bands, license levels, signals) + tools, guidance quoted
        labels: {economic_buyer: Economic buyer}     # optional row labels
        guidance:                           # where the section's guidance is looked up
          escalate:
            question: When is an at-risk account escalated?   # retrieval query (required)
            section: Escalation             # optional: a heading path suffix tried first
            must: red band                  # optional: only that section's sentences matching
            limit: 1                        # sentences quoted (default 2)
            doc_types: [playbook, guide]    # default: playbooks and guides

Guidance is found by meaning: the `question` goes through hybrid retrieval and the grounded
composer over the knowledge base (its decline rule applies). `section` and `must` are hints
for a knowledge base whose headings are known; when the hinted section is absent (another
customer's documents) the question alone finds the guidance. Within one document (a
service one-pager, a deal note) the question picks the closest section of that document.

Validation at load time: every file parses, fits the model (unknown keys are errors), has
the sections its kind's builder fills, and every `must` compiles; a failure is a
ConfigurationError that names the file, the key and what to fix.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant import yaml_load
from assistant.drafts.models import KINDS, Kind
from assistant.errors import ConfigurationError

# the section keys each kind's builder fills (a template may order and title them freely)
SECTION_KEYS: dict[Kind, tuple[str, ...]] = {
    "success_plan": (
        "snapshot", "lifecycle", "objectives", "milestones", "risks", "cadence", "owners",
        "outcomes", "to_pursue",
    ),
    "pitch": ("who", "why", "what", "when", "where_how"),
    "one_pager": (
        "service", "tailoring", "fit", "business_questions", "technical_questions",
        "deliverables", "customer_provides", "price", "scope",
    ),
    "meddicc_review": ("deal", "fields", "questions", "next_steps"),
}  # fmt: skip


class Lookup(BaseModel):
    """Where one piece of guidance is found (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=3, description="the retrieval query, in the reader's words")
    section: str | None = Field(default=None, description="heading path suffix tried first")
    must: str | None = Field(default=None, description="regex: sentences of `section` to keep")
    limit: int = Field(default=2, ge=1, le=50)
    doc_types: tuple[str, ...] = ("playbook", "guide")
    missing: str | None = Field(default=None, description="what to ask for when none is found")
    clause: str | None = Field(
        default=None,
        description="regex: of a sentence naming several roles, keep the clause matching it",
    )

    @field_validator("must", "clause")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"'{value}' is not a regular expression: {error}") from error
        return value


# the figures a KPI's current value can be read from (plan_parts.MEASURES implements them)
MEASURE_NAMES = (
    "not_held", "open_opportunities", "survey_scores", "latest_outcome", "active_users",
    "unused_share", "health_component", "licensed_users", "unlicensed_modules",
    "competition", "contract_live", "contract_term",
)  # fmt: skip


class Measure(BaseModel):
    """Which figure of the tools is a KPI's current value: the first measure whose `match`
    the KPI sentence (found by the objectives lookups) matches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(description="regex over the KPI sentence, case-insensitive")
    label: str = Field(min_length=1, description="the KPI's short name in the table")
    measure: str = Field(description=f"one of: {', '.join(MEASURE_NAMES)}")
    component: str | None = Field(default=None, description="health_component: its key")
    target: str | None = Field(
        default=None, description="regex: the part of the KPI sentence stating its target"
    )
    note: str | None = Field(default=None, description="not_held: which figure is missing")
    due: Literal["renewal", "signature"] | None = Field(
        default=None, description="dated from the renewal or from the signature"
    )
    due_days: int = Field(default=0, description="days after the due anchor")

    @field_validator("match", "target")
    @classmethod
    def _match_compiles(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"'{value}' is not a regular expression: {error}") from error
        return value

    @field_validator("measure")
    @classmethod
    def _known_measure(cls, value: str) -> str:
        if value not in MEASURE_NAMES:
            raise ValueError(f"unknown measure '{value}'; measures: {', '.join(MEASURE_NAMES)}")
        return value


class StageRules(BaseModel):
    """The lifecycle rule's numbers (see lifecycle.py), as the playbooks state them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    renew_within_days: int = Field(default=90, ge=0, description="renew this close to renewal")
    onboard_weeks: int = Field(default=13, ge=1, description="onboarding ends after this")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    title: str = Field(min_length=1)
    question: str = Field(min_length=3, description="what the section answers for the reader")
    fill: str = Field(default="", description="which rule or tool fills it (documentation)")
    labels: dict[str, str] = Field(default_factory=dict)
    items: tuple[str, ...] = Field(default=(), description="named sub-sections, in order")
    guidance: dict[str, Lookup] = Field(default_factory=dict)
    measures: tuple[Measure, ...] = Field(default=(), description="objectives: KPI figures")
    stages: StageRules | None = Field(default=None, description="lifecycle: the rule's numbers")
    audience: Literal["customer", "internal"] = Field(
        default="internal", description="customer: prose the buyer reads (the readability check)"
    )
    worksheet: str | None = Field(
        default=None,
        description="the seller's heading of this section's evidence worksheet (an appendix, "
        "never customer-facing); default: the title",
    )


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    title: str = Field(min_length=1, description="str.format fields: account, service, ...")
    intro: str = ""
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"the {self.kind} template has no section '{key}'")

    def lookup(self, key: str, name: str) -> Lookup:
        section = self.section(key)
        try:
            return section.guidance[name]
        except KeyError:
            raise KeyError(
                f"the {self.kind} template's section '{key}' has no guidance '{name}'"
            ) from None

    def label(self, key: str, field: str) -> str:
        """A row label of a section: the template's word, else the field name in words."""
        return self.section(key).labels.get(field) or field.replace("_", " ").capitalize()

    @property
    def titles(self) -> dict[str, str]:
        return {s.key: s.title for s in self.sections}

    @property
    def worksheet_titles(self) -> dict[str, str]:
        """The seller's worksheet headings of the sections that name one, by section key."""
        return {s.key: s.worksheet for s in self.sections if s.worksheet}

    @property
    def customer_facing(self) -> list[str]:
        return [s.key for s in self.sections if s.audience == "customer"]


INSTALLED_TEMPLATES = Path("share", "success-assistant", "templates")  # under sys.prefix


def default_templates_dir() -> Path:
    """The templates shipped with the repository's knowledge base: in a checkout, beside the
    package; in an installed package, where its wheel puts them
    (`<prefix>/share/success-assistant/templates`, pyproject's data-files)."""
    checkout = Path(__file__).resolve().parents[2] / "knowledge" / "templates"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / INSTALLED_TEMPLATES


def templates_dir(configured: Path | None, knowledge_dir: Path) -> Path:
    """The configured folder; else `<knowledge_dir>/templates`; else the shipped ones."""
    if configured is not None:
        return configured
    beside = knowledge_dir / "templates"
    return beside if beside.is_dir() else default_templates_dir()


def load_template(path: Path) -> Template:
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"{path}: cannot read the template: {error}") from error
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: a template is a mapping (kind, title, sections)")
    try:
        template = Template.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigurationError(
            f"{path}: key '{where}': {first['msg']} ({len(error.errors())} problem(s))"
        ) from error
    if template.kind != path.stem:
        raise ConfigurationError(f"{path}: kind '{template.kind}' must equal the file name")
    keys = [s.key for s in template.sections]
    wanted = SECTION_KEYS[template.kind]
    missing = [k for k in wanted if k not in keys]
    unknown = [k for k in keys if k not in wanted]
    if missing or unknown or len(set(keys)) != len(keys):
        raise ConfigurationError(
            f"{path}: sections must be {', '.join(wanted)} (each once)"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return template


def load_templates(folder: Path) -> dict[Kind, Template]:
    """Every kind's template from `folder` (ConfigurationError when one is missing or bad)."""
    out: dict[Kind, Template] = {}
    for kind in KINDS:
        path = folder / f"{kind}.yaml"
        if not path.is_file():
            raise ConfigurationError(f"{path}: no template for the {kind} drafts")
        out[kind] = load_template(path)
    return out
