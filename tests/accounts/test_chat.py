"""Account questions through the chat engine: tools, figures, citations, guidance, context."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.engine.account_desk import GUIDANCE_HEADING
from assistant.errors import NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.services import Services
from assistant.store.records import HealthValues, vocabulary_context
from tests.accounts.numbers import assert_figures_match

ADMIN = Principal()
QUESTIONS = [
    "How is Northwind Traders doing?",
    "What is Contoso Health's health score?",
    "Which accounts renew in the next 90 days with red health?",
    "renewals in the next 180 days for at-risk enterprise accounts",
    "Where are we under-deployed?",
    "License utilization of Relecloud",
    "NPS and CSAT trend for Contoso Health",
    "Any sev1 or sev2 incidents at Woodgrove Bank?",
    "Which accounts are expansion targets?",
    "Which accounts are in the Save quadrant?",
    "Is Woodgrove Bank an expansion target?",
    "What is missing in the MEDDICC for OPP-007?",
    "Show the opportunities of Northwind Traders",
    "Which accounts are at risk?",
    "List our smb accounts",
    "health trend of Proseware over the last 6 months",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_figure_equals_the_tool_result_it_cites(loaded: Services, question: str) -> None:
    response = loaded.chat.chat(question, ADMIN)
    assert response.tool_calls, response.answer
    assert not response.declined
    assert assert_figures_match(response) >= 3
    for n, call in enumerate(response.tool_calls, 1):
        assert f"[T{n}]" in response.answer and call.as_of and call.source
        assert f"`{call.name}(" in response.answer  # the citation names tool and arguments


def test_a_wrong_figure_would_be_caught(loaded: Services) -> None:
    response = loaded.chat.chat("How is Northwind Traders doing?", ADMIN)
    response.answer = response.answer.replace("$1,150,000", "$1,150,001")
    with pytest.raises(AssertionError, match="1,150,001"):
        assert_figures_match(response)


def test_overview_states_the_numbers(loaded: Services) -> None:
    response = loaded.chat.chat("How is Northwind Traders doing?", ADMIN)
    assert [c.name for c in response.tool_calls] == ["account_overview", "health_score"]
    for fact in ("$1,150,000", "in 75 days", "Maya Chen", "**86** (green, healthy)"):
        assert fact in response.answer
    assert response.tool_calls[0].arguments == {"account_id": "ACC-001"}
    assert response.tool_calls[1].as_of == "2026-10-01"


def test_guidance_is_cited_from_the_playbooks(guided: Services) -> None:
    response = guided.chat.chat("What should I do about Contoso Health's health?", ADMIN)
    assert GUIDANCE_HEADING in response.answer
    assert response.citations, response.answer
    guidance = response.answer.split(GUIDANCE_HEADING)[1]
    for citation in response.citations:
        assert f"[{citation.n}]" in guidance
        assert citation.source.startswith(("knowledge/playbooks/", "knowledge/guides/"))
    assert_figures_match(response)
    plain = guided.chat.chat("What is Contoso Health's health score?", ADMIN)
    assert GUIDANCE_HEADING not in plain.answer and not plain.citations


def test_portfolio_expansion_question_also_quotes_the_playbook(guided: Services) -> None:
    response = guided.chat.chat("Which accounts are the best expansion targets?", ADMIN)
    assert response.tool_calls[0].name == "expansion_targets"
    assert "best expansion targets" in response.answer.split(GUIDANCE_HEADING)[1]


def test_ambiguous_and_unknown_names(loaded: Services) -> None:
    ambiguous = loaded.chat.chat("How is the Northwind account doing?", ADMIN)
    assert "matches more than one account" in ambiguous.answer
    assert "Northwind Logistics or Northwind Traders" in ambiguous.answer
    assert not ambiguous.tool_calls and not ambiguous.declined
    unknown = loaded.chat.chat("How is Kestral Paymints doing?", ADMIN)
    assert "can't find an account called \u201cKestral Paymints\u201d" in unknown.answer
    assert "The closest: Kestrel Payments" in unknown.answer
    assert unknown.declined and not unknown.tool_calls
    by_id = loaded.chat.chat("health of ACC-777", ADMIN)
    assert "ACC-777" in by_id.answer and by_id.declined


def test_follow_up_and_request_account_give_context(loaded: Services) -> None:
    first = loaded.chat.chat("How is Contoso Health doing?", ADMIN)
    follow = loaded.chat.chat("and its licenses?", ADMIN, first.conversation_id)
    assert follow.tool_calls[0].name == "license_utilization"
    assert follow.tool_calls[0].arguments == {"account_id": "ACC-002"}
    scoped = loaded.chat.chat("What is the NPS?", ADMIN, account_id="acc-005")
    assert scoped.tool_calls[0].arguments["account_id"] == "ACC-005"


def test_request_account_outside_scope_or_unknown(loaded: Services) -> None:
    seller = Principal("sam", "seller", frozenset({"ACC-002"}))
    with pytest.raises(PermissionDeniedError):
        loaded.chat.chat("What is the NPS?", seller, account_id="ACC-001")
    with pytest.raises(NotFoundError):
        loaded.chat.chat("What is the NPS?", ADMIN, account_id="ACC-999")


def test_the_next_question_sees_a_new_metric(empty_store: Services) -> None:
    from tests.accounts.conftest import import_into

    import_into(empty_store)
    before = empty_store.chat.chat("What is Contoso Health's health score?", ADMIN)
    assert "**52**" in before.answer
    snapshot = HealthValues.model_validate(
        {
            "month": dt.date(2026, 11, 1),
            "deployment": 70,
            "adoption": 72,
            "breadth": 68,
            "engagement": 75,
            "outcomes": 65,
        },
        context=vocabulary_context(empty_store.rules),
    )
    empty_store.accounts.record_health("ACC-002", snapshot)
    after = empty_store.chat.chat("What is Contoso Health's health score?", ADMIN)
    assert "**70** (yellow, healthy)" in after.answer
    assert after.tool_calls[0].as_of == "2026-11-01"
    assert_figures_match(after)


def test_knowledge_questions_still_use_retrieval(loaded: Services) -> None:
    response = loaded.chat.chat("How is the health score calculated?", ADMIN)
    assert response.tool_calls == []


def test_out_of_range_parameters_are_answered_not_raised(loaded: Services) -> None:
    response = loaded.chat.chat("Which accounts renew in the next 5000 days?", ADMIN)
    assert response.declined and "days" in response.answer and not response.tool_calls
