"""Record fields a question asks for alone ("who is their CSM?", "when do they renew?").

The fields are the account overview's (the account record as the tool returns it); each is
known by its own name, and `exemplars.yaml` (`fields:`) adds a label, other words for it, a
unit and a template for the answer's sentence. The planner finds the fields a message names;
the answer then states just those, with the tool result's citation.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.data_files import load_yaml_model
from assistant.errors import ConfigurationError
from assistant.tools.base import ToolResult
from assistant.tools.overview import AccountOverview

EXEMPLARS = Path(__file__).with_name("exemplars.yaml")
IDENTITY = ("account_id", "name")  # what every answer about the account names anyway


class FieldEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1)
    aliases: list[str] = Field(default_factory=list)
    unit: Literal["usd"] | None = None
    say: str | None = Field(default=None, min_length=3, description="'{value}' and fields")


GROUP_KEYS = ("csm", "account_exec", "partner", "segment", "industry", "band", "quadrant")


class FieldFile(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the intents

    fields: dict[str, FieldEntry] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class RecordField:
    name: str
    label: str
    unit: str | None
    say: str


class RecordFields:
    """The fields of one tool result's record, and the words that name each."""

    def __init__(self, record: type[ToolResult], entries: dict[str, FieldEntry]) -> None:
        known = [n for n in record.model_fields if n not in ToolResult.model_fields]
        known = [n for n in known if n not in IDENTITY]
        unknown = sorted(set(entries) - set(known))
        if unknown:
            raise ConfigurationError(
                f"fields: {unknown} are not fields of {record.__name__} ({', '.join(known)})"
            )
        self.fields: dict[str, RecordField] = {}
        words: dict[str, str] = {}
        for name in known:
            entry = entries.get(name, FieldEntry())
            say = entry.say or "{value}"
            used = {f for _, f, _, _ in string.Formatter().parse(say) if f}
            wrong = sorted(used - {"value", *known})
            if wrong:
                raise ConfigurationError(f"fields.{name}.say names unknown fields {wrong}")
            label = entry.label or name.replace("_", " ")
            self.fields[name] = RecordField(name, label, entry.unit, say)
            for word in (name.replace("_", " "), label, *entry.aliases):
                words.setdefault(" ".join(word.lower().split()), name)
        # longest first: "arr per employee" before "arr"
        self._words = sorted(words.items(), key=lambda item: -len(item[0]))

    def words_for(self, name: str) -> tuple[str, ...]:
        """The words that name the field `name` (its own, its label, its aliases)."""
        return tuple(word for word, field in self._words if field == name)

    def named(self, message: str) -> tuple[str, ...]:
        """The fields the message names, in the order it names them."""
        text = " ".join(message.lower().split())
        hits: list[tuple[int, str]] = []
        for word, name in self._words:
            for found in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
                hits.append((found.start(), name))
                text = text[: found.start()] + " " * len(word) + text[found.end() :]
        return tuple(dict.fromkeys(name for _, name in sorted(hits)))

    def sentence(self, record: ToolResult, names: tuple[str, ...], m: str) -> str:
        """'<label> of **<name>** (<id>): <value> [m].' for each field, one line."""
        values = {n: self._value(record, n) for n in self.fields}
        parts = [
            f"{self.fields[n].label}: {self.fields[n].say.format(**{**values, 'value': values[n]})}"
            for n in names
        ]
        head = f"**{getattr(record, 'name', '')}** ({getattr(record, 'account_id', '')})"
        return f"{head}, {'; '.join(parts)} [{m}]."

    def _value(self, record: ToolResult, name: str) -> str:
        value: Any = getattr(record, name)
        if value is None:
            return "none"
        if self.fields[name].unit == "usd":
            whole = isinstance(value, int) or float(value).is_integer()
            return f"${int(value):,}" if whole else f"${value:,.2f}"
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int):
            return f"{value:,}"
        return str(value).replace("_", " ")


def load_fields(path: Path = EXEMPLARS) -> dict[str, FieldEntry]:
    return load_yaml_model(path, FieldFile, "record fields in").fields


@cache
def group_words(path: Path = EXEMPLARS) -> tuple[tuple[str, str], ...]:
    """(word, group key) for every portfolio group key: the record field's own words and
    the exemplars file's `groups:` words, longest first."""
    extra = load_yaml_model(path, FieldFile, "record fields in").groups
    unknown = sorted(set(extra) - set(GROUP_KEYS))
    if unknown:
        raise ConfigurationError(f"groups: {unknown} are not group keys ({', '.join(GROUP_KEYS)})")
    record = overview_fields()
    pairs = {
        " ".join(word.lower().split()): key
        for key in GROUP_KEYS
        for word in (*record.words_for(key), *extra.get(key, []))
    }
    return tuple(sorted(pairs.items(), key=lambda item: -len(item[0])))


@cache
def overview_fields() -> RecordFields:
    """The account overview's fields with the shipped exemplars file's words for them."""
    return RecordFields(AccountOverview, load_fields())
