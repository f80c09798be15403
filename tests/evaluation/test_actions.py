"""Tool and draft scoring."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.engine.types import ToolCall
from assistant.evaluation.actions import draft_completeness, field_done, tool_recall


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments, result={})


def test_tools_called_with_the_right_account() -> None:
    calls = [call("health_score", account_id="ACC-001"), call("renewals", days=90)]
    assert tool_recall(["health_score"], "acc-001", calls) == 1.0
    assert tool_recall(["health_score"], "ACC-002", calls) == 0.0  # wrong account
    assert tool_recall(["renewals"], "ACC-002", calls) == 1.0  # takes no account
    assert tool_recall(["health_score", "license_utilization"], None, calls) == 0.5
    assert tool_recall(["health_score"], None, []) == 0.0  # nothing called
    assert tool_recall([], "ACC-001", calls) is None  # nothing expected


def test_account_lists_count() -> None:
    calls = [call("opportunities", account_ids=["ACC-003", "ACC-001"])]
    assert tool_recall(["opportunities"], "ACC-001", calls) == 1.0
    assert tool_recall(["opportunities"], "ACC-009", calls) == 0.0


@pytest.mark.parametrize(
    ("value", "done"),
    [
        ("Northwind", True),
        (3, True),
        (0, True),
        (False, True),
        (None, False),
        ("", False),
        ([], False),
        ({}, False),
        ("needs_input", True),
        ({"needs_input": True}, True),
        ({"status": "needs_input", "value": None}, True),
        ({"value": None}, False),
        ({"value": "Q3"}, True),
    ],
)
def test_field_done(value: Any, done: bool) -> None:
    assert field_done(value) is done


def test_draft_completeness() -> None:
    draft = {
        "kind": "success_plan",
        "fields": {"objectives": ["cut costs"], "sponsor": None, "kpis": {"needs_input": True}},
    }
    assert draft_completeness(draft, "success_plan") == pytest.approx(2 / 3)
    assert draft_completeness({**draft, "needs_input": ["sponsor"]}, "success_plan") == 1.0
    assert draft_completeness({**draft, "required": ["objectives"]}, "success_plan") == 1.0
    flat = {"type": "pitch", "audience": "CFO", "hook": ""}
    assert draft_completeness(flat, "pitch") == 0.5


def test_draft_edge_cases() -> None:
    assert draft_completeness(None, "success_plan") == 0.0  # no draft
    assert draft_completeness({"kind": "pitch", "hook": "x"}, "success_plan") == 0.0  # other kind
    assert draft_completeness({"kind": "pitch"}, "pitch") == 0.0  # nothing in it


def evidenced(value: Any = None, needs_input: bool = False) -> dict[str, Any]:
    return {"value": value, "citations": [], "tools": ["t"], "needs_input": needs_input}


def test_evidenced_drafts() -> None:
    """The shape `assistant.drafts` produces: fields with value / needs_input at any depth."""
    draft = {
        "kind": "pitch",
        "draft_id": 7,
        "citations": [],  # bookkeeping, not a field
        "worksheet_titles": {},  # layout, not a field (an empty one is no gap)
        "charts": [],
        "account_id": "ACC-001",
        "who": {"champion": evidenced("Maya Chen"), "economic_buyer": evidenced(None, True)},
        "what": {"deliverables": [evidenced("runbook"), evidenced("")]},
        "milestones": [],  # an empty section is a missing field
    }
    # done: champion, economic_buyer (flagged), runbook; not: "" deliverable, milestones
    assert draft_completeness(draft, "pitch") == pytest.approx(3 / 5)
