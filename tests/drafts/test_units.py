"""The evidence contract, the lifecycle rule, date arithmetic, name resolution and the
Markdown rendering, without a knowledge base."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from assistant.drafts.context import add_business_days, shift_months
from assistant.drafts.evidence import Evidenced, known, needed, walk
from assistant.drafts.knowledge import ServiceDoc
from assistant.drafts.lifecycle import StageFacts, derive_stage
from assistant.drafts.models import DRAFT_MODELS, KINDS, Deal, draft_schema
from assistant.drafts.render import Bullets, Heading, Paragraph, Table, show, to_markdown
from assistant.drafts.resolve import find_service, resolve_service
from assistant.drafts.service import parse_kind
from assistant.drafts.templates import StageRules
from assistant.engine.types import Citation, ToolCall
from assistant.errors import NotFoundError

TODAY = dt.date(2026, 11, 1)


def test_a_value_rests_on_evidence() -> None:
    assert known(3, tools=["t"]).value == 3
    with pytest.raises(ValidationError, match="citation or a tool"):
        Evidenced[int](value=3)
    with pytest.raises(ValidationError, match="marked needs_input"):
        Evidenced[int](tools=["t"])
    with pytest.raises(ValidationError, match="must not hold a value"):
        Evidenced[int](value=3, needs_input=True, note="x")
    with pytest.raises(ValidationError, match="say what is needed"):
        Evidenced[int](needs_input=True)
    flagged = needed("agree the target", citations=[2, 1, 2])
    assert flagged.needs_input and flagged.value is None and flagged.citations == [1, 2]


def _deal(**fields: Evidenced[Any]) -> dict[str, Any]:
    samples: dict[str, Any] = {"amount": 1, "close_date": TODAY, "days_to_close": 1, "captured": 1}
    values: dict[str, Evidenced[Any]] = {
        name: known(samples.get(name, "x"), tools=["opportunity"]) for name in Deal.model_fields
    }
    values.update(fields)
    return values


def test_a_draft_checks_its_references() -> None:
    model = DRAFT_MODELS["meddicc_review"]
    base = {
        "title": "t",
        "generated_on": TODAY,
        "opportunity_id": "OPP-001",
        "account_id": "ACC-001",
        "fields": [],
        "next_steps": [],
        "tool_calls": [ToolCall(name="opportunity", arguments={})],
        "citations": [
            Citation(n=1, chunk_id="c", source="s", title="t", section="s", snippet="", score=1)
        ],
    }
    deal = _deal(amount=known(1, tools=["opportunity"], citations=[1]))
    draft = model.model_validate({**base, "deal": deal})
    assert [path for path, _ in walk(draft)][:2] == ["deal.name", "deal.account_name"]
    with pytest.raises(ValidationError, match=r"deal.amount: citation \[2\]"):
        model.model_validate({**base, "deal": _deal(amount=known(1, citations=[2]))})
    with pytest.raises(ValidationError, match=r"deal\.stage: tool"):
        model.model_validate({**base, "deal": _deal(stage=known("x", tools=["nope"]))})


@pytest.mark.parametrize("kind", KINDS)
def test_schemas(kind: str) -> None:
    schema = draft_schema(kind)  # type: ignore[arg-type]
    assert {"citations", "tool_calls", "title"} <= set(schema["properties"])
    bare = draft_schema(kind, evidence=False)  # type: ignore[arg-type]
    assert "citations" not in bare["properties"] and "citations" not in bare["required"]
    assert any(name.startswith("Evidenced") for name in schema["$defs"])


def facts(**overrides: Any) -> StageFacts:
    values: dict[str, Any] = {
        "days_to_renewal": 300,
        "contract_start": dt.date(2025, 1, 1),
        "active_users": 10,
        "quadrant": "Expand",
        "trend": "stable",
        "verified_outcomes": 1,
        "expand_quadrant": "Expand",
    }
    values.update(overrides)
    return StageFacts(**values)


@pytest.mark.parametrize(
    ("overrides", "stage"),
    [
        ({"days_to_renewal": 90}, "renew"),
        ({"days_to_renewal": -5}, "renew"),
        ({"contract_start": dt.date(2026, 12, 1)}, "land"),
        ({"contract_start": dt.date(2026, 8, 5)}, "onboard"),  # 88 days ago
        ({"active_users": 0}, "onboard"),
        ({}, "expand"),
        ({"trend": "declining"}, "adopt"),
        ({"verified_outcomes": 0}, "adopt"),
        ({"quadrant": "Advocate"}, "adopt"),
        ({"contract_start": dt.date(2026, 8, 2)}, "expand"),  # 91 days ago: onboarding is over
    ],
)
def test_lifecycle_rule(overrides: dict[str, Any], stage: str) -> None:
    derived, reason = derive_stage(facts(**overrides), TODAY)
    assert derived == stage and reason


def test_lifecycle_numbers_and_quadrant_are_data() -> None:
    """The template's numbers and the rules' quadrant name drive the rule, not constants."""
    assert derive_stage(facts(days_to_renewal=100), TODAY)[0] == "expand"
    wider = StageRules(renew_within_days=120, onboard_weeks=20)
    assert derive_stage(facts(days_to_renewal=100), TODAY, wider)[0] == "renew"
    started = facts(contract_start=dt.date(2026, 8, 2))  # 91 days ago: within 20 weeks
    stage, reason = derive_stage(started, TODAY, wider)
    assert stage == "onboard" and "20 weeks" in reason
    renamed = facts(quadrant="Cultivate", expand_quadrant="Cultivate")
    assert derive_stage(renamed, TODAY)[0] == "expand"
    assert derive_stage(facts(expand_quadrant="Cultivate"), TODAY)[0] == "adopt"


def test_date_arithmetic() -> None:
    assert shift_months(dt.date(2027, 3, 31), -1) == dt.date(2027, 2, 28)
    assert shift_months(dt.date(2026, 12, 20), -15) == dt.date(2025, 9, 20)
    assert shift_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_business_days(dt.date(2026, 11, 1), 5) == dt.date(2026, 11, 6)  # a Sunday
    assert add_business_days(dt.date(2026, 11, 6), 1) == dt.date(2026, 11, 9)


CATALOG = (
    ServiceDoc("genai-search-accelerator", "GenAI Search Accelerator", "g.md", ("genai",),
               ("genai", "rag", "search")),
    ServiceDoc("observability-quick-start", "Observability Quick Start", "o.md",
               ("observability",), ("observability",)),
    ServiceDoc("platform-health-cost-review", "Platform Health and Cost Review", "p.md", (),
               ("finops", "cost", "health")),
    ServiceDoc("security-analytics-jumpstart", "Security Analytics Jumpstart", "s.md",
               ("security",), ("security", "siem")),
)  # fmt: skip


@pytest.mark.parametrize(
    ("query", "service_id"),
    [
        ("observability-quick-start", "observability-quick-start"),
        ("Observability Quick Start", "observability-quick-start"),
        ("security jumpstart", "security-analytics-jumpstart"),
        ("finops", "platform-health-cost-review"),
        ("GenAI search acclerator", "genai-search-accelerator"),
    ],
)
def test_resolve_service(query: str, service_id: str) -> None:
    assert resolve_service(CATALOG, query).id == service_id


def test_unknown_service_names_the_closest() -> None:
    with pytest.raises(NotFoundError, match=r"service 'quantum widgets' not found"):
        resolve_service(CATALOG, "quantum widgets")
    with pytest.raises(NotFoundError, match=r"closest: Security Analytics Jumpstart"):
        resolve_service(CATALOG, "security jumpstarter kit")


def test_find_service_in_a_message() -> None:
    def found(message: str) -> str | None:
        service = find_service(CATALOG, message)
        return service.id if service else None

    assert found("pitch our observability quick start to them") == "observability-quick-start"
    assert found("one-pager for the security jumpstart") == "security-analytics-jumpstart"
    assert found("a 5W pitch of the FinOps review") == "platform-health-cost-review"
    assert found("draft a success plan for Northwind Traders") is None


def test_kinds() -> None:
    assert parse_kind("success-plan") == "success_plan"
    assert parse_kind("MEDDICC_review") == "meddicc_review"
    with pytest.raises(NotFoundError, match="kinds: success_plan, pitch, one_pager, meddicc"):
        parse_kind("haiku")


def test_markdown_rendering() -> None:
    text = to_markdown(
        [
            Heading(1, "Title"),
            Paragraph("Some **bold** text."),
            Bullets(("a", "b"), numbered=True),
            Table(("A", "B"), (("x | y", "1,000"),)),
        ]
    )
    assert text == (
        "# Title\n\nSome **bold** text.\n\n1. a\n2. b\n\n| A | B |\n|---|---|\n"
        "| x \\| y | 1,000 |\n"
    )
    assert show(880000, money=True) == "$880,000" and show(3.55) == "3.55"
    assert show(dt.date(2026, 1, 2)) == "2026-01-02"
