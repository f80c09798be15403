"""Scoring what an answer does besides talking: the tools it called and the draft it made.

A draft is a dict whose kind is `draft["kind"]` (or `draft["type"]`). Its fields are found
in one of two shapes:
- evidenced (what `assistant.drafts` produces): every dict with `value` and `needs_input`
  keys, at any depth, is a field; a top-level entry that is empty (None, "", [], {}) is a
  missing field too (a plan without milestones is not complete);
- flat: `draft["fields"]` when that is a dict, else the draft's top-level keys; only those in
  `draft["required"]` count when it is given.
Bookkeeping keys (kind, title, citations, tool_calls, generated_on, engine, ids) are not
fields. A field is done when it has a value (not None, "", [] or {}), or when it is flagged
as needing input: `needs_input: true`, `status: "needs_input"`, the value `"needs_input"`, or
listed in `draft["needs_input"]`. A dict with a `value` key is judged by that value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from assistant.engine.types import ToolCall

NEEDS_INPUT = "needs_input"
_DRAFT_META = frozenset(
    {
        "kind",
        "type",
        "title",
        "required",
        NEEDS_INPUT,
        "fields",
        "id",
        "draft_id",
        "generated_on",
        "engine",
        "citations",
        "tool_calls",
        # how a draft is laid out (assistant.drafts.models.EVIDENCE_LISTS), not its fields
        "sections",
        "charts",
        "customer_facing",
        "worksheet_titles",
    }
)
_ACCOUNT_ARGUMENTS = ("account_id", "account", "account_ids", "accounts")


def _accounts_of(call: ToolCall) -> set[str] | None:
    """The accounts a call is about, or None when the tool takes no account argument."""
    found: set[str] = set()
    present = False
    for name in _ACCOUNT_ARGUMENTS:
        value = call.arguments.get(name)
        if value is None:
            continue
        present = True
        values = value if isinstance(value, list | tuple) else [value]
        found.update(str(v).strip().upper() for v in values)
    return found if present else None


def tool_recall(
    expected: Sequence[str], account: str | None, calls: Sequence[ToolCall]
) -> float | None:
    """Share of the expected tools that were called, each with the case's account when the
    case names one and the tool takes an account; None when no tool is expected."""
    if not expected:
        return None
    wanted = account.strip().upper() if account else None

    def right(call: ToolCall, name: str) -> bool:
        if call.name != name:
            return False
        accounts = _accounts_of(call)
        return wanted is None or accounts is None or wanted in accounts

    return sum(any(right(call, name) for call in calls) for name in expected) / len(expected)


def _flagged(value: Any) -> bool:
    if value == NEEDS_INPUT:
        return True
    return isinstance(value, Mapping) and (
        value.get(NEEDS_INPUT) is True or value.get("status") == NEEDS_INPUT
    )


def field_done(value: Any) -> bool:
    """Filled (has a value) or flagged as needing input."""
    if _flagged(value):
        return True
    if isinstance(value, Mapping) and "value" in value:
        value = value["value"]
    return value not in (None, "") and not (isinstance(value, list | dict) and not value)


def draft_fields(draft: Mapping[str, Any]) -> dict[str, Any]:
    fields = draft.get("fields")
    if isinstance(fields, Mapping):
        return dict(fields)
    return {key: value for key, value in draft.items() if key not in _DRAFT_META}


def _evidenced(value: Any) -> bool:
    return isinstance(value, Mapping) and "value" in value and NEEDS_INPUT in value


def evidenced_fields(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every evidenced field (`{value, needs_input, ...}`) inside `value`, depth first."""
    if _evidenced(value):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from evidenced_fields(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from evidenced_fields(item)


def draft_completeness(draft: Mapping[str, Any] | None, kind: str) -> float:
    """Share of the draft's fields that are done; 0.0 without a draft of `kind`."""
    if not draft or str(draft.get("kind", draft.get("type", ""))) != kind:
        return 0.0
    fields = draft_fields(draft)
    leaves = list(evidenced_fields(fields))
    if leaves:
        empty = [name for name, value in fields.items() if value in (None, "", [], {})]
        return sum(field_done(leaf) for leaf in leaves) / (len(leaves) + len(empty))
    required = draft.get("required")
    names = [str(n) for n in required] if isinstance(required, list) else list(fields)
    if not names:
        return 0.0
    flagged = draft.get(NEEDS_INPUT)
    flagged_names = {str(n) for n in flagged} if isinstance(flagged, list) else set()
    done = sum(name in flagged_names or field_done(fields.get(name)) for name in names)
    return done / len(names)
