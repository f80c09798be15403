"""Conversation state at the chat level (real SQLite, hashing embedder, shipped data):
follow-ups on result sets, "my accounts", comparisons, action lists, and a state that never
holds or brings back what its caller may not see."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from assistant.principal import Principal
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.accounts.keys import SELLER_KEY, bearer, write_keys
from tests.accounts.numbers import assert_figures_match
from tests.conftest import LiveServer, make_settings

ADMIN = Principal()


def test_those_and_the_second_refer_to_the_last_result_set(guided: Services) -> None:
    first = guided.chat.chat("Which accounts are at risk?", ADMIN)
    listed = first.tool_calls[0].result["accounts"]
    assert len(listed) > 3
    follow = guided.chat.chat("which of those renew first?", ADMIN, first.conversation_id)
    call = follow.tool_calls[0]
    assert call.name == "renewals_due"
    assert set(call.arguments["account_ids"]) == {a["account_id"] for a in listed}
    dates = [r["renewal_date"] for r in call.result["renewals"]]
    assert dates == sorted(dates) and dates
    soonest = call.result["renewals"][1]
    second = guided.chat.chat("what should I do about the second?", ADMIN, first.conversation_id)
    assert second.tool_calls[0].arguments["account_id"] == soonest["account_id"]
    assert "What to do, in order" in second.answer
    assert_figures_match(second)


def test_their_csm_and_what_about_follow_the_account(guided: Services) -> None:
    first = guided.chat.chat("How is Woodgrove Bank doing?", ADMIN)
    csm = guided.chat.chat("who is their CSM?", ADMIN, first.conversation_id)
    assert csm.tool_calls[0].arguments["account_id"] == "ACC-005"
    assert "CSM: Aisha Bello [T1]" in csm.answer
    licenses = guided.chat.chat("License utilization of Relecloud", ADMIN, first.conversation_id)
    other = guided.chat.chat("what about Fourth Coffee?", ADMIN, licenses.conversation_id)
    assert other.tool_calls[0].name == "license_utilization"
    assert other.tool_calls[0].arguments["account_id"] == "ACC-017"


def test_which_one_picks_from_the_set_and_it_follows_the_pick(guided: Services) -> None:
    hello = guided.chat.chat("I'm Jonas Lind", ADMIN)
    mine = guided.chat.chat("show my accounts", ADMIN, hello.conversation_id)
    listed = mine.tool_calls[0].result["accounts"]
    low = guided.chat.chat("which one has the lowest health?", ADMIN, mine.conversation_id)
    call = low.tool_calls[0]
    assert call.name == "list_accounts" and call.arguments["limit"] == 1
    assert set(call.arguments["account_ids"]) == {a["account_id"] for a in listed}
    weakest = min(listed, key=lambda a: a["overall"])["account_id"]
    assert [a["account_id"] for a in call.result["accounts"]] == [weakest]
    sev1 = guided.chat.chat("how many sev1 incidents did it have?", ADMIN, low.conversation_id)
    assert sev1.tool_calls[0].name == "support_incidents"
    assert sev1.tool_calls[0].arguments["account_id"] == weakest


def test_them_after_two_account_answers_is_both(guided: Services) -> None:
    """'Compare them' after one answer about each of two accounts compares those two;
    'which one renews first?' picks the sooner; 'their CSM' stays the last account."""
    first = guided.chat.chat("How is Contoso Health doing?", ADMIN)
    second = guided.chat.chat("What about Cityline Power?", ADMIN, first.conversation_id)
    both = guided.chat.chat("Compare them", ADMIN, second.conversation_id)
    assert {c.arguments["account_id"] for c in both.tool_calls} == {"ACC-002", "ACC-027"}
    assert "| | **Contoso Health** | **Cityline Power** |" in both.answer
    again = guided.chat.chat("What about Cityline Power?", ADMIN, first.conversation_id)
    sooner = guided.chat.chat("Which one renews first?", ADMIN, again.conversation_id)
    renewals = sooner.tool_calls[0].result["renewals"]
    assert [r["account_id"] for r in renewals] == ["ACC-027"]  # 2026-12-11 before 2026-12-20
    csm = guided.chat.chat("who is their CSM?", ADMIN, again.conversation_id)
    assert csm.tool_calls[0].arguments["account_id"] == "ACC-027"


def test_a_field_question_answers_just_that_field(guided: Services) -> None:
    first = guided.chat.chat("How is Woodgrove Bank doing?", ADMIN)
    assert "$1,900,000" in first.answer and "Aisha Bello" in first.answer  # the overview
    csm = guided.chat.chat("Who is their CSM?", ADMIN, first.conversation_id)
    assert [c.name for c in csm.tool_calls] == ["account_overview"]
    assert "Aisha Bello [T1]" in csm.answer
    assert "1,900,000" not in csm.answer and "Ben Carter" not in csm.answer
    renew = guided.chat.chat("when do they renew?", ADMIN, first.conversation_id)
    assert re.search(r"renewal date: 2027-03-31, in \d+ days \[T1\]", renew.answer)
    assert "Aisha Bello" not in renew.answer
    # the account in context (the request's account_id), no earlier turn
    arr = guided.chat.chat("what's their ARR?", ADMIN, account_id="ACC-005")
    assert "ARR: $1,900,000 [T1]" in arr.answer and "2027-03-31" not in arr.answer
    assert arr.tool_calls[0].result["arr"] == 1_900_000
    both = guided.chat.chat("Who are the AE and CSM of Woodgrove Bank?", ADMIN)
    assert "account executive: Ben Carter; CSM: Aisha Bello [T1]" in both.answer


def test_record_field_words_are_checked_against_the_record() -> None:
    import pytest

    from assistant.engine.planner.fields import FieldEntry, RecordFields
    from assistant.errors import ConfigurationError
    from assistant.tools.overview import AccountOverview

    with pytest.raises(ConfigurationError, match="not fields of AccountOverview"):
        RecordFields(AccountOverview, {"budget": FieldEntry(aliases=["spend"])})
    with pytest.raises(ConfigurationError, match="unknown fields"):
        RecordFields(AccountOverview, {"arr": FieldEntry(say="{value} of {budget}")})
    fields = RecordFields(AccountOverview, {"csm": FieldEntry(aliases=["success manager"])})
    assert fields.named("who is the success manager and what is the segment?") == (
        "csm",
        "segment",
    )  # an entry adds words; a record field is known by its own name
    assert fields.named("how is ACCOUNT doing?") == ()


def test_a_process_question_stays_knowledge_with_an_account_in_context(guided: Services) -> None:
    first = guided.chat.chat("How is Northwind Traders doing?", ADMIN)
    process = guided.chat.chat("What is the renewal process?", ADMIN, first.conversation_id)
    assert process.tool_calls == [] and not process.declined
    assert all(c.source.startswith("knowledge/") for c in process.citations)


def test_filters_owner_threshold_and_window(guided: Services) -> None:
    under = guided.chat.chat("Which accounts have health under 50?", ADMIN)
    scores = [a["overall"] for a in under.tool_calls[0].result["accounts"]]
    assert scores and all(s < 50 for s in scores)
    maya = guided.chat.chat("the accounts Maya Chen manages", ADMIN)
    ids = {a["account_id"] for a in maya.tool_calls[0].result["accounts"]}
    owned = {a.id for a in guided.accounts.accounts() if a.csm == "Maya Chen"}
    assert ids == owned and ids
    q1 = guided.chat.chat("Which accounts renew in Q1?", ADMIN)
    renewals = q1.tool_calls[0].result["renewals"]
    assert renewals and all("2027-01-01" <= r["renewal_date"] <= "2027-03-31" for r in renewals)
    assert_figures_match(q1)


def test_my_accounts_through_i_am_in_local_mode(guided: Services) -> None:
    unknown = guided.chat.chat("show my accounts", ADMIN)
    assert "I'm <your name>" in unknown.answer and not unknown.tool_calls
    hello = guided.chat.chat("I'm Priya Nair", ADMIN)
    assert "Priya Nair" in hello.answer
    mine = guided.chat.chat("show my accounts", ADMIN, hello.conversation_id)
    ids = {a["account_id"] for a in mine.tool_calls[0].result["accounts"]}
    assert ids == {a.id for a in guided.accounts.accounts() if a.csm == "Priya Nair"}


def test_my_accounts_through_the_key_name(guided: Services) -> None:
    tom = Principal("tom", "csm", None, name="Tom Becker")
    mine = guided.chat.chat("my accounts", tom)
    ids = {a["account_id"] for a in mine.tool_calls[0].result["accounts"]}
    assert ids == {a.id for a in guided.accounts.accounts() if a.csm == "Tom Becker"}


def test_compare_answers_both_as_a_table(guided: Services) -> None:
    response = guided.chat.chat("compare Woodgrove and Contoso Health", ADMIN)
    assert re.search(r"\| +\| \*\*Woodgrove Bank\*\* \| \*\*Contoso Health\*\* \|", response.answer)
    assert {c.arguments["account_id"] for c in response.tool_calls} == {"ACC-005", "ACC-002"}
    assert "| health | 88 (green) [T" in response.answer


def test_action_list_cites_playbook_and_tool(guided: Services) -> None:
    response = guided.chat.chat("give me a save plan for Tailspin Toys", ADMIN)
    actions = response.answer.split("What to do, in order:")[1]
    items = [line for line in actions.splitlines() if re.match(r"\d+\. ", line)]
    assert items
    for item in items:
        assert re.search(r"by \d{4}-\d{2}-\d{2}", item), item
        assert re.search(r"\[T\d+\]", item), item  # the tool result it rests on
        assert re.search(r"\[\d+\]", item), item  # the playbook chunk
    assert response.citations
    assert all(
        c.source.startswith(("knowledge/playbooks/", "knowledge/guides/"))
        for c in response.citations
    )
    assert_figures_match(response)


def test_state_keeps_only_what_the_caller_may_see(guided: Services) -> None:
    scoped = Principal("sam", "seller", frozenset({"ACC-002", "ACC-005"}))
    admin_turn = guided.chat.chat("Which accounts are at risk?", ADMIN)
    stored = guided.chat.conversations.history(admin_turn.conversation_id)[-1].payload["state"]
    assert len(stored["rows"]) > 2
    listed = guided.chat.chat("Which accounts are at risk?", scoped)
    rows = guided.chat.conversations.history(listed.conversation_id, "sam")[-1].payload["state"]
    assert {r["id"] for r in rows["rows"]} <= {"ACC-002", "ACC-005"}
    follow = guided.chat.chat("which of those renew first?", scoped, listed.conversation_id)
    for call in follow.tool_calls:
        assert set(call.arguments.get("account_ids", [])) <= {"ACC-002", "ACC-005"}
    hidden = guided.chat.chat("How is Northwind Traders doing?", scoped)
    assert not hidden.tool_calls  # a hidden account is not found, not answered


def test_existence_probing_same_answer_for_hidden_and_missing_opportunity(
    tmp_path: Path,
) -> None:
    """Issue 11 finding 16: a hidden opportunity id and an unknown one get the same answer,
    in chat and in a MEDDICC review draft, over HTTP."""
    from assistant.api.app import create_app

    root = tmp_path
    keys = write_keys(root / "keys.yaml")
    settings = make_settings(root / "data", today=TODAY, api_keys_file=keys)
    services = build_services(settings, HashingEmbedder())
    import_into(services)
    services.close()
    with (
        LiveServer(create_app(settings, HashingEmbedder())) as server,
        httpx.Client(base_url=server.url, timeout=30, headers=bearer(SELLER_KEY)) as client,
    ):
        answers = []
        for opportunity in ("OPP-012", "OPP-099"):  # OPP-012 exists, on a hidden account
            chat = client.post(
                "/api/chat", json={"message": f"What is missing in the MEDDICC for {opportunity}?"}
            )
            draft = client.post("/api/drafts/meddicc_review", json={"opportunity_id": opportunity})
            answers.append(
                (
                    chat.status_code,
                    chat.json()["answer"].replace(opportunity, "X"),
                    draft.status_code,
                    str(draft.json()).replace(opportunity, "X"),
                )
            )
        assert answers[0] == answers[1], answers
        assert "closest" not in answers[0][3]


def test_the_most_incidents_among_those_counts_the_incidents(guided: Services) -> None:
    """'Which of those has the most incidents?' over a renewal list: the incidents are read
    (the tool sorts by them; the set and the cut are applied after), so the pick is the
    account with the most incidents in the rules' window, with its count, citing incidents."""
    first = guided.chat.chat("Which accounts renew in Q1?", ADMIN)
    listed = {r["account_id"] for r in first.tool_calls[0].result["renewals"]}
    assert len(listed) > 3
    most = guided.chat.chat("Which of those has the most incidents?", ADMIN, first.conversation_id)
    call = most.tool_calls[0]
    assert call.arguments["sort"] == "incidents" and call.arguments["limit"] == 1
    rows = call.result.get("accounts") or call.result["renewals"]
    assert len(rows) == 1 and rows[0]["account_id"] in listed
    by_count = {
        r["account_id"]: r["incidents"]
        for r in guided.chat.desk.tools.call(  # type: ignore[union-attr]
            "list_accounts", {"sort": "incidents", "descending": True}, ADMIN
        ).model_dump()["accounts"]
    }
    assert rows[0]["incidents"] == max(by_count[a] for a in listed) > 0
    assert "incident(s) since" in most.answer and "incidents [T1]" in most.answer


def test_those_after_an_empty_list_says_there_is_nothing_to_pick(guided: Services) -> None:
    """'Which of those ...?' after a list that held nothing: no older set comes back and no
    knowledge answer is made up; the answer says the list was empty."""
    older = guided.chat.chat("Which accounts are at risk?", ADMIN)
    assert older.tool_calls[0].result["accounts"]
    empty = guided.chat.chat("Which accounts have health under 5?", ADMIN, older.conversation_id)
    assert empty.tool_calls[0].result["accounts"] == []
    pick = guided.chat.chat("which of those renew first?", ADMIN, older.conversation_id)
    assert pick.tool_calls == [] and pick.citations == []
    assert pick.answer.startswith("The last list held no accounts")


def test_it_with_no_account_in_the_conversation_asks_which(guided: Services) -> None:
    for message in ("Draft a save plan for it", "What should I do about it?"):
        reply = guided.chat.chat(message, ADMIN)
        assert reply.answer == "Which account do you mean? Name it or give its id.", message
        assert reply.tool_calls == [] and reply.citations == []
