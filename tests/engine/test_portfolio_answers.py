"""How a portfolio result reads: a cut list says how many matched and totals what it shows,
the incident count or NPS a filter asked for is on each row, and a question for a total
leads with the total."""

from __future__ import annotations

from assistant.engine import account_answers as render
from assistant.engine.account_answers import money
from assistant.engine.account_desk import total_first
from assistant.engine.planner.plan import Entities, Plan
from assistant.principal import Principal
from assistant.services import Services
from assistant.tools.opportunities import Opportunities, Pipeline
from assistant.tools.overview import AccountList
from assistant.tools.portfolio import Renewals

ADMIN = Principal()


def test_a_cut_renewals_list_says_how_many_matched(loaded: Services) -> None:
    every = loaded.tools.call("renewals_due", {"days": 365}, ADMIN)
    top = loaded.tools.call(
        "renewals_due", {"days": 365, "sort": "arr", "descending": True, "limit": 2}, ADMIN
    )
    assert isinstance(every, Renewals) and isinstance(top, Renewals)
    head, total = render.renewals(top, "T1", "")
    assert head.startswith(f"{every.count} account(s) renew in the next 365 days")
    assert "; the top 2 shown [T1]:" in head
    assert total.startswith(f"ARR of the 2 shown: {money(top.total_arr)}; average health")
    whole = render.renewals(every, "T1", "")[1]
    assert whole.startswith(f"ARR renewing in the next 365 days ({every.as_of.isoformat()}")


def test_rows_carry_the_figure_a_filter_asked_for(loaded: Services) -> None:
    arguments = {"incident_severities": ["sev1"], "nps_below": 0}
    result = loaded.tools.call("list_accounts", arguments, ADMIN)
    assert isinstance(result, AccountList) and result.accounts
    what = render.listing(arguments)
    assert what == "account(s) with sev1 incidents, with a negative NPS"
    lines = render.account_list(result, "T1", what)
    for row in result.accounts:
        line = next(x for x in lines[0].splitlines() if f"({row.account_id}," in x)
        assert f"{row.incidents} incident(s) since {row.incidents_since}" in line
        assert f"NPS {row.nps} (" in line


def test_a_question_for_a_total_leads_with_it(loaded: Services) -> None:
    result = loaded.tools.call("list_accounts", {"segment": "enterprise"}, ADMIN)
    assert isinstance(result, AccountList)
    lines = render.account_list(result, "T1", "account(s) in the enterprise segment")
    summary = f"Total ARR of the {result.count} account(s) in the enterprise segment"
    assert (
        lines[-1].startswith(summary) and f"average health {result.average_health:g}" in lines[-1]
    )
    asked = Plan("list", "portfolio", Entities(aggregate=True))
    assert total_first(lines, asked)[0] == lines[-1]
    listed = Plan("list", "portfolio", Entities())
    assert total_first(lines, listed) == lines


def test_the_pipeline_reads_as_deals_with_their_gaps(loaded: Services) -> None:
    arguments = {"missing": "Champion", "sort": "amount", "descending": True, "limit": 1}
    result = loaded.tools.call("pipeline", arguments, ADMIN)
    assert isinstance(result, Pipeline) and result.matched > 1
    head, total = render.pipeline(result, "T1", arguments)
    deal = result.opportunities[0]
    assert head.startswith(f"{result.matched} open opportunities without a champion; the top 1")
    assert f"**{deal.id}**" in head and "champion" in head.split("missing: ")[1]
    assert total == f"Total amount of the 1 shown: {money(deal.amount)} [T1]."


def test_a_deal_answer_names_the_rules_framework_and_leads_with_the_field_asked(
    loaded: Services,
) -> None:
    result = loaded.tools.call("opportunity", {"opportunity_id": "OPP-001"}, ADMIN)
    assert isinstance(result, Opportunities)
    deal = result.opportunities[0]
    lines = render.opportunities(result, "T1", "who is the champion on that deal?")
    value = deal.meddicc["champion"] or "**not captured yet**"
    assert lines[0] == f"Champion on **{deal.id}**: {value.rstrip('.')} [T1]."
    assert f"[T1]. {deal.framework}: {deal.captured} of {deal.total_fields}" in lines[1]
    assert render.opportunities(result, "T1")[0].startswith(f"**{deal.id}**")
