"""A portfolio broken down and summed: "which CSM has the most red accounts?" (groups by an
owner, the segment, the industry, the band or the quadrant), "retail accounts" (an industry
of the account data), "our average NPS" (every answer pooled), "Priya's accounts by ARR" (an
order), "who manages the biggest account?" (one account by an order) and "how does that
compare with Y?" (the account of the last turn beside Y)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from dateutil.relativedelta import relativedelta

from assistant.engine.planner.entities import EntityResolver, Owner
from assistant.engine.planner.plan import Entities, Plan
from assistant.engine.planner.planner import Planner
from assistant.engine.planner.slots import parse_slots
from assistant.engine.planner.state import Row, State, refer
from assistant.engine.planner.vocabulary import from_rules
from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.rules import load_rules
from assistant.services import Services
from assistant.tools.overview import AccountList
from assistant.tools.portfolio import Renewals
from tests.conftest import REPO
from tests.engine.test_planner_requests import FixedMatcher

ADMIN = Principal()


def _accounts(services: Services, arguments: dict[str, object]) -> AccountList:
    result = services.tools.call("list_accounts", arguments, ADMIN)
    assert isinstance(result, AccountList)
    return result


def test_groups_count_the_accounts_kept_and_keep_ties_at_the_cut(loaded: Services) -> None:
    red = _accounts(loaded, {"bands": ["red"]})
    counts = Counter(r.csm for r in red.accounts)
    grouped = _accounts(loaded, {"bands": ["red"], "group_by": "csm"})
    assert grouped.groups is not None
    assert {g.value: g.count for g in grouped.groups} == dict(counts)
    assert [g.count for g in grouped.groups] == sorted(counts.values(), reverse=True)
    for group in grouped.groups:
        members = [r for r in red.accounts if r.csm == group.value]
        assert group.total_arr == sum(r.arr for r in members)
        assert sorted(group.account_ids) == sorted(r.account_id for r in members)
    top = _accounts(loaded, {"bands": ["red"], "group_by": "csm", "limit": 1})
    assert top.groups is not None
    most = max(counts.values())
    assert {g.value for g in top.groups} == {c for c, n in counts.items() if n == most}
    # the accounts listed are those of the groups kept
    kept = {i for g in top.groups for i in g.account_ids}
    assert {r.account_id for r in top.accounts} == kept


def test_groups_by_arr_and_health_and_a_partner_group_skips_direct_accounts(
    loaded: Services,
) -> None:
    every = _accounts(loaded, {})
    by_arr = _accounts(loaded, {"group_by": "segment", "group_sort": "arr"})
    assert by_arr.groups is not None
    totals = [g.total_arr for g in by_arr.groups]
    assert totals == sorted(totals, reverse=True) and sum(totals) == every.total_arr
    low = _accounts(
        loaded, {"group_by": "segment", "group_sort": "health", "group_descending": False}
    )
    assert low.groups is not None
    means = [g.average_health for g in low.groups]
    assert means == sorted(m for m in means if m is not None)
    partners = _accounts(loaded, {"group_by": "partner"})
    assert partners.groups is not None
    assert "none" not in {g.value for g in partners.groups}
    assert sum(g.count for g in partners.groups) == sum(1 for r in every.accounts if r.partner)


def test_an_industry_filter_keeps_that_industry_and_an_unknown_one_is_refused(
    loaded: Services,
) -> None:
    every = _accounts(loaded, {})
    industries = {a.industry for a in loaded.tools.context.store.accounts(None)}
    some = sorted(industries)[0]
    kept = _accounts(loaded, {"industry": some.upper()})
    assert kept.accounts and {r.industry for r in kept.accounts} == {some}
    assert kept.matched == sum(1 for r in every.accounts if r.industry == some)
    with pytest.raises(InvalidInputError, match=f"industries: .*{some}"):
        _accounts(loaded, {"industry": "underwater basket weaving"})


def test_the_pooled_nps_counts_every_answer_of_the_accounts(loaded: Services) -> None:
    result = _accounts(loaded, {"with_nps": True})
    assert result.pooled_nps is not None
    rules = loaded.tools.context.rules
    ids = [r.account_id for r in result.accounts]
    today = loaded.tools.context.clock()
    since = today.replace(year=today.year - 1)
    scores = [
        int(s.score)
        for s in loaded.tools.context.store.surveys_of(ids, since, today)
        if s.kind == "nps"
    ]
    assert result.pooled_nps.responses == len(scores) > 0
    assert result.pooled_nps.nps == rules.nps(scores)


def test_a_renewals_list_breaks_down_too(loaded: Services) -> None:
    result = loaded.tools.call("renewals_due", {"days": 365, "group_by": "band"}, ADMIN)
    assert isinstance(result, Renewals) and result.groups is not None
    assert sum(g.count for g in result.groups) == result.matched
    assert {g.value for g in result.groups} == {r.band for r in result.renewals}


def test_which_csm_has_the_most_red_accounts_is_answered_by_name(guided: Services) -> None:
    reply = guided.chat.chat("Which CSM has the most red accounts?", ADMIN)
    call = reply.tool_calls[0]
    assert call.name == "list_accounts"
    assert call.arguments["group_by"] == "csm" and call.arguments["bands"] == ["red"]
    groups = call.result["groups"]
    leader = groups[0]["value"]
    assert reply.answer.startswith(f"By CSM, **{leader}** has the most: {groups[0]['count']} of")
    each = guided.chat.chat("How many accounts does each CSM have?", ADMIN)
    assert each.tool_calls[0].arguments["group_by"] == "csm"
    assert "limit" not in each.tool_calls[0].arguments


def test_an_industry_an_order_and_a_pooled_nps_are_planned(guided: Services) -> None:
    retail = guided.chat.chat("Which retail accounts do we have?", ADMIN)
    call = retail.tool_calls[0]  # (the test embedder may rank it a renewals question)
    assert call.arguments["industry"] == "retail"
    listed = call.result.get("accounts") or call.result.get("renewals")
    assert listed and {r["industry"] for r in listed} == {"retail"}
    ordered = guided.chat.chat("List Priya Nair's accounts by ARR", ADMIN)
    rows = ordered.tool_calls[0].result["accounts"]
    assert [r["arr"] for r in rows] == sorted((r["arr"] for r in rows), reverse=True)
    assert {r["csm"] for r in rows} == {"Priya Nair"}
    nps = guided.chat.chat("What's our average NPS?", ADMIN)
    pooled = nps.tool_calls[0].result["pooled_nps"]
    assert nps.answer.startswith(f"NPS across the {nps.tool_calls[0].result['count']} account")
    assert f"**{pooled['nps']}**" in nps.answer.split("\n")[0]
    biggest = guided.chat.chat("Who manages the biggest account?", ADMIN)
    top = biggest.tool_calls[0]
    assert top.arguments["sort"] == "arr" and top.arguments["limit"] == 1
    assert f"CSM {top.result['accounts'][0]['csm']}" in biggest.answer


def test_how_does_that_compare_puts_the_last_account_beside_the_new_one(
    guided: Services,
) -> None:
    first = guided.chat.chat("What's the ARR of Woodgrove Bank?", ADMIN)
    other = guided.chat.chat("How does that compare with Relecloud?", ADMIN, first.conversation_id)
    compared = {c.arguments["account_id"] for c in other.tool_calls}
    assert compared == {"ACC-005", "ACC-018"}
    assert other.answer.startswith("Comparison of Woodgrove Bank and Relecloud")


SECOND = load_rules(REPO / "tests" / "fixtures" / "second_kb" / "rules.yaml")
TODAY = dt.date(2026, 11, 1)
OWNERS = EntityResolver(
    [
        Owner("ACC-1", "Acme Widgets", "Ann Lee", "Bo Park", "Crestline"),
        Owner("ACC-2", "Beta Mills", "Cy Dunn", "Bo Park", None),
    ]
)


def _plan(message: str, scores: dict[str, dict[str, float]], state: State | None = None) -> Plan:
    vocabulary = from_rules(SECOND, ["enterprise"], ["manufacturing", "life_sciences"])
    planner = Planner(FixedMatcher(scores), vocabulary, rules=SECOND)
    return planner.plan(message, Principal(), OWNERS, TODAY, state)


@pytest.mark.parametrize(
    ("message", "key", "sort", "descending", "limit"),
    [
        ("Which success manager has the most Amber accounts?", "csm", "count", True, 1),
        ("How many accounts does each account manager own?", "account_exec", "count", True, None),
        ("What's the ARR by segment?", "segment", "arr", True, None),
        ("Top 3 CSMs by ARR", "csm", "arr", True, 3),
        ("Which industry has the fewest accounts?", "industry", "count", False, 1),
        ("Which segment is healthiest?", "segment", "health", True, 1),
        ("Who has the most at-risk accounts?", "csm", "count", True, 1),
    ],
)
def test_a_breakdown_is_read_with_its_measure_order_and_cut(
    message: str, key: str, sort: str, descending: bool, limit: int | None
) -> None:
    entities = Entities(masked=message)
    parse_slots(message, from_rules(SECOND), entities)
    got = (entities.group_by, entities.group_sort, entities.group_descending)
    assert got == (key, sort, descending) and entities.group_limit == limit
    assert entities.sort is None and entities.limit is None  # the groups are ordered, not rows


def test_who_manages_the_biggest_account_is_one_account_not_a_breakdown() -> None:
    entities = Entities(masked="Who manages the biggest account?")
    parse_slots("Who manages the biggest account?", from_rules(SECOND), entities)
    assert entities.group_by is None
    assert (entities.sort, entities.descending, entities.limit) == ("arr", True, 1)


def test_an_industry_is_a_filter_and_leaves_the_shape_to_the_intents() -> None:
    # ranked on the message without its industry: "which customers do we have?" is a list
    # question, whatever "manufacturing" is near in meaning
    scores = {"which customers do we have?": {"list": 0.8, "expansion": 0.5, "knowledge": 0.4}}
    plan = _plan("Which manufacturing customers do we have?", scores)
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("list_accounts", {"industry": "manufacturing"})
    ]
    sciences = _plan("Which life sciences customers do we have?", scores)
    assert sciences.tools[0].arguments == {"industry": "life_sciences"}


def test_the_knowledge_bases_name_for_the_nps_is_the_nps() -> None:
    scores = {"what's our average nps?": {"surveys": 0.7, "list": 0.4, "knowledge": 0.3}}
    plan = _plan("What's our average recommendation index?", scores)
    assert plan.scope == "portfolio"
    assert plan.tools[0].arguments.get("with_nps") is True
    critics = Entities(masked="accounts whose recommendation index is below 0")
    parse_slots("accounts whose recommendation index is below 0", from_rules(SECOND), critics)
    assert critics.nps_below == 0


def test_the_guidance_for_a_set_is_the_rules_signal_on_what_it_shares() -> None:
    state = State(
        intent="list",
        rows=[
            Row("ACC-1", "Acme Widgets", ("Cultivate", "Green")),
            Row("ACC-2", "Beta Mills", ("Cultivate", "Amber")),
        ],
    )
    scores = {"what should we offer them?": {"actions": 0.8, "list": 0.6, "knowledge": 0.4}}
    plan = _plan("What should we offer them?", scores, state)
    cultivate = next(s for s in SECOND.signals if s.when.quadrant_in == ["Cultivate"])
    assert plan.knowledge_queries == [cultivate.guidance.query]
    assert plan.tools[0].arguments["account_ids"] == ["ACC-1", "ACC-2"]


def test_over_the_contract_is_the_over_deployed_level() -> None:
    entities = Entities(masked="Which accounts are over their seat contract?")
    parse_slots("Which accounts are over their seat contract?", from_rules(SECOND), entities)
    assert entities.risk == [SECOND.licenses.over_deployed]


def test_most_at_risk_is_the_lowest_score_not_the_at_risk_bands() -> None:
    one = Entities(masked="Which of those is most at risk?")
    parse_slots("Which of those is most at risk?", from_rules(SECOND), one)
    assert (one.sort, one.descending, one.limit, one.bands) == ("health", False, 1, [])
    counted = Entities(masked="Who has the most at-risk accounts?")
    parse_slots("Who has the most at-risk accounts?", from_rules(SECOND), counted)
    assert counted.bands == ["Red", "Amber"] and counted.group_by == "csm"


def test_the_total_and_any_refer_to_the_last_answer() -> None:
    rows = [Row("ACC-1", "Acme Widgets"), Row("ACC-2", "Beta Mills")]
    assert refer("What's the total?", State(rows=rows)).account_ids == ("ACC-1", "ACC-2")
    assert refer("and the average health?", State(rows=rows)).kind == "several"
    assert refer("What's the total score of a partner?", State(rows=rows)).kind == "none"
    about = State(account_id="ACC-2")
    assert refer("Is any module at risk?", about).account_ids == ("ACC-2",)
    assert refer("Is there a template for the QBR?", about).kind == "none"


def test_is_any_module_at_risk_after_an_account_is_that_accounts_licenses() -> None:
    # the knowledge intent leads the words, but "any" asks about the account's records
    scores = {"is any module at risk?": {"knowledge": 0.77, "licenses": 0.72, "list": 0.3}}
    plan = _plan("Is any module at risk?", scores, State(account_id="ACC-2"))
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("license_utilization", {"account_id": "ACC-2"})
    ]
    policy = {"is there any discount for multi-year deals?": {"knowledge": 0.7, "overview": 0.4}}
    plan = _plan("Is there any discount for multi-year deals?", policy, State(account_id="ACC-2"))
    assert plan.scope == "knowledge"


@pytest.mark.parametrize(
    ("message", "figures"),
    [
        ("Which accounts with ARR over $1M are at risk?", {"arr_at_least": 1_000_001}),
        ("Show me accounts under $100k ARR", {"arr_below": 100_000}),
        ("Which $1.5M+ accounts renew this quarter?", {"arr_at_least": 1_500_000}),
        ("accounts with revenue of at least $250,000", {"arr_at_least": 250_000}),
        ("Which accounts have more than 5 incidents?", {"incidents_at_least": 6}),
        ("accounts with 3 or more sev2 tickets", {"incidents_at_least": 3}),
        ("accounts with health under 50", {}),
    ],
)
def test_arr_and_incident_counts_are_thresholds(message: str, figures: dict[str, int]) -> None:
    entities = Entities(masked=message)
    parse_slots(message, from_rules(SECOND), entities)
    assert entities.figures == figures
    if figures:
        assert entities.thresholds == {}  # not a health threshold


def test_arr_and_incident_thresholds_filter_the_accounts(loaded: Services) -> None:
    every = _accounts(loaded, {"sort": "incidents"})
    big = _accounts(loaded, {"arr_at_least": 1_000_000})
    assert big.accounts and all(r.arr >= 1_000_000 for r in big.accounts)
    assert big.matched == sum(1 for r in every.accounts if r.arr >= 1_000_000)
    busy = _accounts(loaded, {"incidents_at_least": 8})
    expected = {r.account_id for r in every.accounts if (r.incidents or 0) >= 8}
    assert expected and {r.account_id for r in busy.accounts} == expected
    with pytest.raises(InvalidInputError, match="arr_at_least"):
        _accounts(loaded, {"arr_at_least": 5, "arr_below": 5})


def test_a_license_list_keeps_the_segment_asked_for(guided: Services) -> None:
    reply = guided.chat.chat("Which SMB accounts have high license risk?", ADMIN)
    call = reply.tool_calls[0]
    assert call.name == "license_utilization" and call.arguments["segment"] == "smb"
    segments = {a.id: a.segment for a in guided.tools.context.store.accounts(None)}
    rows = call.result["modules"]
    assert rows and {segments[r["account_id"]] for r in rows} == {"smb"}


def test_what_counts_as_healthy_is_a_definition_not_the_list() -> None:
    scores = {"which customers count as healthy?": {"list": 0.7, "knowledge": 0.6}}
    assert _plan("Which customers count as healthy?", scores).scope == "knowledge"
    listing = {"which customers are healthy?": {"list": 0.7, "knowledge": 0.6}}
    plan = _plan("Which customers are healthy?", listing)
    assert plan.scope == "portfolio" and plan.tools[0].arguments == {"bands": ["Green"]}


def test_it_after_a_knowledge_answer_is_its_topic_not_an_unnamed_account() -> None:
    scores = {"what do we do about it?": {"actions": 0.8, "knowledge": 0.5, "list": 0.3}}
    cold = _plan("What do we do about it?", scores)
    assert cold.scope == "clarify"  # no account and no topic: which account?
    after = _plan("What do we do about it?", scores, State(intent="knowledge"))
    assert after.scope == "knowledge" and after.clarify is None


def test_a_knowledge_turn_is_remembered_as_one(guided: Services) -> None:
    first = guided.chat.chat("What is the escalation process for a sev1 incident?", ADMIN)
    assert not first.tool_calls  # a knowledge answer
    turns = guided.chat.conversations.history(first.conversation_id, ADMIN.user)
    assert turns[-1].payload["state"]["intent"] == "knowledge"


def test_how_things_are_done_for_an_industry_or_a_segment_is_knowledge() -> None:
    # the intents may lean to the data ("customers"): an industry alone, or "by segment" in a
    # how-to question, does not make it a list
    scores = {
        "how do we onboard customers?": {"list": 0.62, "knowledge": 0.6},
        "how should we handle accounts by segment?": {"list": 0.62, "knowledge": 0.6},
    }
    assert _plan("How do we onboard manufacturing customers?", scores).scope == "knowledge"
    assert _plan("How should we handle accounts by segment?", scores).scope == "knowledge"


def test_a_module_named_with_an_account_is_that_modules_licenses() -> None:
    resolver = EntityResolver(
        [Owner("ACC-1", "Acme Widgets", "Ann Lee", "Bo Park", None)], ["search", "genai"]
    )
    planner = Planner(
        FixedMatcher(
            {
                "how is account using search?": {"overview": 0.7, "licenses": 0.6},
                "what is account's search license utilization?": {"licenses": 0.8},
            }
        ),
        from_rules(SECOND),
        rules=SECOND,
    )
    using = planner.plan("How is Acme Widgets using search?", Principal(), resolver, TODAY)
    assert [(t.name, t.arguments) for t in using.tools] == [
        ("license_utilization", {"account_id": "ACC-1", "module": "search"})
    ]


def test_a_renewal_window_with_the_health_asked_is_the_renewals_in_it() -> None:
    message = "Which enterprise accounts renewing in Q1 have declining health?"
    scores = {message.lower(): {"health": 0.7, "renewals": 0.6, "list": 0.5}}
    plan = _plan(message, scores)
    assert plan.tools[0].name == "renewals_due"
    arguments = plan.tools[0].arguments
    assert (arguments["renewal_from"], arguments["renewal_to"]) == ("2027-01-01", "2027-03-31")
    assert arguments["trend"] == "declining" and arguments["segment"] == "enterprise"


@pytest.mark.parametrize(
    "message",
    ["How many accounts do I have?", "What's my total ARR?", "the accounts I look after"],
)
def test_my_book_is_read_in_more_words(message: str) -> None:
    entities = Entities(masked=message)
    parse_slots(message, from_rules(SECOND), entities)
    assert entities.mine


def test_what_to_focus_on_is_my_at_risk_accounts_soonest_first() -> None:
    message = "What should I focus on this week?"
    scores = {message.lower(): {"actions": 0.6, "licenses": 0.62, "knowledge": 0.5}}
    state = State(identity="Ann Lee")
    plan = _plan(message, scores, state)
    arguments = plan.tools[0].arguments
    assert plan.tools[0].name == "list_accounts"  # the week is no renewal window
    assert arguments["csm"] == "Ann Lee" and arguments["bands"] == ["Red", "Amber"]
    assert (arguments["sort"], arguments["descending"]) == ("renewal_date", False)
    attention = Entities(masked="Which of my accounts need attention?")
    parse_slots("Which of my accounts need attention?", from_rules(SECOND), attention)
    assert attention.bands == ["Red", "Amber"]


def test_a_window_of_the_rules_timeline_is_the_renewals_in_it() -> None:
    negotiation = next(w for w in SECOND.renewal.windows if w.key == "risk_management")
    message = f"Which accounts are in {negotiation.label.lower()}?"
    plan = _plan(message, {message.lower(): {"knowledge": 0.6, "renewals": 0.5, "list": 0.4}})
    arguments = plan.tools[0].arguments
    assert plan.tools[0].name == "renewals_due"
    assert arguments["renewal_from"] == (TODAY + relativedelta(months=negotiation.end)).isoformat()
    assert arguments["renewal_to"] == (TODAY + relativedelta(months=negotiation.start)).isoformat()
    notify = "Which resellers do we need to notify about renewals?"
    plan = _plan(notify, {notify.lower(): {"renewals": 0.6, "knowledge": 0.5, "list": 0.4}})
    notice = next(w for w in SECOND.renewal.windows if w.key == "partner_notice")
    arguments = plan.tools[0].arguments
    assert arguments["partnered"] is True
    assert arguments["renewal_to"] == (TODAY + dt.timedelta(days=notice.start)).isoformat()
    assert _plan("How do we run commercial negotiation?", {}).scope == "knowledge"


def test_a_lower_case_first_name_and_a_bare_top_n_are_portfolio_questions() -> None:
    scores = {"list accounts for PERSON": {"knowledge": 0.6, "list": 0.5}}
    plan = _plan("list accounts for ann", scores)
    assert plan.tools and plan.tools[0].arguments.get("csm") == "Ann Lee"
    top = _plan("top 5 by arr", {"top 5 by arr": {"knowledge": 0.6, "list": 0.5}})
    assert top.tools[0].arguments == {"sort": "arr", "descending": True, "limit": 5}


def test_follow_ups_on_a_set_sort_it_pick_from_it_or_ask_which() -> None:
    rows = [Row("ACC-1", "Acme Widgets", ("Amber",)), Row("ACC-2", "Beta Mills", ("Amber",))]
    assert refer("Sort by ARR", State(rows=rows)).account_ids == ("ACC-1", "ACC-2")
    one = [Row("ACC-2", "Beta Mills", ("Amber",))]
    assert refer("what should we do about the first one?", State(rows=one)).account_ids == (
        "ACC-2",
    )
    scores = {"what's its vitality?": {"health": 0.7, "knowledge": 0.5, "list": 0.3}}
    plan = _plan("What's its vitality?", scores, State(intent="list", rows=rows))
    assert plan.clarify is not None
    assert plan.clarify.candidates == ("Acme Widgets", "Beta Mills")


def test_a_license_level_filter_on_a_list_is_one_level() -> None:
    message = "Which of Ann Lee's accounts have Exposed modules?"
    plan = _plan(message, {})
    step = plan.tools[0]
    assert step.arguments["license_risk"] == "Exposed" and step.arguments["csm"] == "Ann Lee"


def test_the_answer_to_which_one_keeps_the_topic_asked(guided: Services) -> None:
    first = guided.chat.chat("Which accounts does Jonas Lind manage?", ADMIN)
    result = first.tool_calls[0].result
    listed = [r["name"] for r in result.get("accounts") or result.get("renewals") or []]
    assert 1 < len(listed) <= 6
    ask = guided.chat.chat("What's its health score?", ADMIN, first.conversation_id)
    assert ask.answer.startswith("Which one do you mean:") and not ask.tool_calls
    pick = guided.chat.chat(listed[1], ADMIN, first.conversation_id)
    assert [c.name for c in pick.tool_calls] == ["health_score"]
