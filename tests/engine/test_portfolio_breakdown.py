"""A portfolio broken down and summed: "which CSM has the most red accounts?" (groups by an
owner, the segment, the industry, the band or the quadrant), "retail accounts" (an industry
of the account data), "our average NPS" (every answer pooled), "Priya's accounts by ARR" (an
order), "who manages the biggest account?" (one account by an order) and "how does that
compare with Y?" (the account of the last turn beside Y)."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.services import Services
from assistant.tools.overview import AccountList
from assistant.tools.portfolio import Renewals

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
