"""Draft requests in chat, and the drafts eval suite (eval/suites/drafts.yaml) run through the
same engine: the response carries the draft and its Markdown, and every fact matches."""

from __future__ import annotations

import re

import pytest

from assistant.drafts.chat import detect_kind
from assistant.evaluation.suite import Case, load_suite
from assistant.principal import Principal
from assistant.services import Services
from tests.conftest import REPO
from tests.drafts.conftest import ADMIN

SUITE = load_suite(REPO / "eval" / "suites" / "drafts.yaml")


def test_the_suite_is_well_formed() -> None:
    assert len(SUITE.cases) >= 20 and str(SUITE.today) == "2026-11-01"
    kinds = {case.draft for case in SUITE.cases}
    assert kinds == {"success_plan", "pitch", "one_pager", "meddicc_review"}


@pytest.mark.parametrize("case", SUITE.cases, ids=[c.id for c in SUITE.cases])
def test_suite_case(drafting: Services, case: Case) -> None:
    response = drafting.chat.chat(case.ask, ADMIN, None, case.account)
    assert response.draft is not None, response.answer
    assert response.draft["kind"] == case.draft and response.draft["draft_id"]
    assert not response.declined and response.engine == "grounded"
    for fact in case.expect.facts:
        assert re.search(fact, response.answer, re.I | re.M), f"{fact!r} not in the draft"
    called = {call.name for call in response.tool_calls}
    assert set(case.tools) <= called
    assert response.citations == [c for c in response.citations if c.chunk_id]


@pytest.mark.parametrize(
    "message",
    [
        "What is a success plan?",
        "What should a success plan hold?",
        "When is the best time to pitch?",
        "What is MEDDICC?",
        "How do I write a one-pager?",
        "How is Northwind Traders doing?",
        "What are the MEDDICC fields of OPP-007?",
        "What should we pitch to Northwind Traders next?",  # which service: its action list
    ],
)
def test_other_questions_are_not_drafts(drafting: Services, message: str) -> None:
    response = drafting.chat.chat(message, ADMIN)
    assert response.draft is None


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ("draft a success plan for Northwind", "matches more than one account"),
        ("pitch our observability quick start to Contoso", "Contoso Health (ACC-002)"),
        ("draft a success plan", "Which account is the success plan for?"),
        ("write a one-pager", "Which service is the one-pager for? Services: "),
        ("review the MEDDICC on OPP-099", "not among the opportunities you may see"),
    ],
)
def test_requests_that_need_an_answer_back(drafting: Services, message: str, reply: str) -> None:
    response = drafting.chat.chat(message, ADMIN)
    assert response.draft is None and response.declined
    assert reply in response.answer and not response.tool_calls


def test_what_to_pitch_to_an_account_is_its_action_list(drafting: Services) -> None:
    response = drafting.chat.chat("What should we pitch to Northwind Traders next?", ADMIN)
    assert response.draft is None and not response.declined
    assert any(call.name == "account_overview" for call in response.tool_calls)
    assert "Signals of **Northwind Traders**" in response.answer


def test_a_follow_up_uses_the_account_of_the_previous_turn(drafting: Services) -> None:
    first = drafting.chat.chat("How is Contoso Health doing?", ADMIN)
    second = drafting.chat.chat("draft a success plan", ADMIN, first.conversation_id)
    assert second.draft is not None and second.draft["account_id"] == "ACC-002"
    third = drafting.chat.chat(
        "now pitch the observability quick start", ADMIN, second.conversation_id
    )
    assert third.draft is not None and third.draft["account_id"] == "ACC-002"


def test_scope_in_chat(drafting: Services) -> None:
    seller = Principal(user="sam", role="seller", accounts=frozenset({"ACC-002", "ACC-005"}))
    hidden = drafting.chat.chat("review the MEDDICC on deal OPP-007", seller)
    assert hidden.draft is None and hidden.declined and not hidden.tool_calls
    own = drafting.chat.chat("review the MEDDICC on deal OPP-002", seller)
    assert own.draft is not None and own.draft["opportunity_id"] == "OPP-002"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Do a MEDDPICC review of OPP-102", "meddicc_review"),
        ("check the MEDDPICC gaps on OPP-102", "meddicc_review"),
        ("review the deal qualification of OPP-102", "meddicc_review"),
        ("what does MEDDPICC stand for?", None),
    ],
)
def test_a_review_is_named_by_the_rules_framework(message: str, kind: str | None) -> None:
    assert detect_kind(message, ("MEDDPICC", "MEDDIC")) == kind
