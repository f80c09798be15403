"""Slot parsers: thresholds, top-N, the rules' vocabularies, "my accounts", identity; date
windows relative to the settings clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.engine.planner.dates import look_back, months_back, parse_window
from assistant.engine.planner.plan import Entities
from assistant.engine.planner.slots import Vocabulary, identity_in, normalize, parse_slots

TODAY = dt.date(2026, 11, 1)
RULES = Vocabulary(
    bands=("crimson", "amber", "lime"),  # another vendor's names: nothing is hard-wired
    healthy_bands=("lime",),
    quadrants=("Grow", "Protect"),
    risk_levels=("Critical", "Watch", "Fine", "over-used"),
    segments=("enterprise", "mid_market"),
    framework="MEDDICC",
    framework_aliases=("MEDDPICC",),
    top_risk="Critical",
    over_level="over-used",
    severities=("P1", "P2", "P3"),  # another vendor's severities
    severe=("P1", "P2"),
)


def slots(message: str) -> Entities:
    entities = Entities()
    parse_slots(message, RULES, entities)
    return entities


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("accounts with health under 50", {"health_below": 50}),
        ("health below 40", {"health_below": 40}),
        ("score of at least 80", {"health_at_least": 80}),
        ("health more than 70", {"health_at_least": 71}),
        ("health at most 59", {"health_below": 60}),
        ("health between nothing", {}),
    ],
)
def test_thresholds(message: str, expected: dict[str, int]) -> None:
    assert slots(message).thresholds == expected


def test_top_n_sorts_and_limits() -> None:
    top = slots("top 5 accounts by ARR")
    assert (top.limit, top.sort, top.descending) == (5, "arr", True)
    low = slots("the lowest three health scores")
    assert (low.limit, low.sort, low.descending) == (3, "health", False)


def test_most_and_least_sort_by_the_figure_they_name() -> None:
    most = slots("Which accounts have the most ARR?")
    assert (most.sort, most.descending, most.limit) == ("arr", True, None)  # the whole set
    least = slots("the customer with the least health")
    assert (least.sort, least.descending, least.limit) == ("health", False, 1)
    assert slots("accounts with health at least 80").sort is None  # a threshold, no order
    assert slots("what are the most common gaps?").sort is None  # no figure named


def test_a_count_then_a_superlative_limits_and_sorts() -> None:
    risky = slots("Give me the three riskiest renewals this quarter")
    assert (risky.limit, risky.sort, risky.descending) == (3, "health", False)
    big = slots("the two biggest customers")
    assert (big.limit, big.sort, big.descending) == (2, "arr", True)


def test_how_many_accounts_counts_a_set() -> None:
    assert slots("How many customers are in the Save quadrant?").counted
    assert slots("how many of my accounts renew in Q1?").counted
    assert not slots("How many customers should a CSM handle?").counted


def test_trend_and_no_partner_slots() -> None:
    assert slots("Show SMB accounts with declining health").trend == "declining"
    assert slots("which customers are improving?").trend == "improving"
    assert slots("list the accounts").trend is None
    assert slots("Which accounts have no partner?").partnered is False
    assert slots("accounts without a partner").partnered is False
    assert slots("which partner works Acme?").partnered is None


def test_every_account_is_about_the_set() -> None:
    assert slots("show the ARR of every account").plural
    assert not slots("show the ARR of the account").plural


def test_vocabularies_come_from_the_rules() -> None:
    assert slots("which accounts are crimson or amber").bands == ["crimson", "amber"]
    assert slots("which accounts are at risk").bands == ["crimson", "amber"]
    assert slots("healthy accounts").bands == ["lime"]
    assert slots("mid-market accounts").segment == "mid_market"
    assert slots("accounts in the Grow quadrant").quadrant == "Grow"
    assert slots("where are we under-deployed").risk == ["Critical"]
    assert slots("over-deployed modules").risk == ["over-used"]
    assert slots("red accounts").bands == []  # not a band of these rules


def test_framework_aliases_and_my_accounts() -> None:
    assert slots("Which MEDDPICC fields are missing?").framework == "MEDDICC"
    assert slots("show my accounts").mine and slots("accounts I manage").mine
    assert not slots("show the accounts").mine


def test_identity() -> None:
    assert identity_in("I'm Maya Chen") == "Maya Chen"
    assert identity_in("hi, I am Tom Becker.") == "Tom Becker"
    assert identity_in("I'm worried about renewals this quarter") is None


@pytest.mark.parametrize(
    ("message", "start", "end"),
    [
        ("renewing in the next two months", "2026-11-01", "2027-01-01"),
        ("in 3 weeks", "2026-11-01", "2026-11-22"),
        ("within 90 days", "2026-11-01", "2027-01-30"),
        ("renewing in Q1", "2027-01-01", "2027-03-31"),  # the next Q1 to come
        ("Q4", "2026-11-01", "2026-12-31"),  # the current quarter, from today
        ("this quarter", "2026-11-01", "2026-12-31"),
        ("next quarter", "2027-01-01", "2027-03-31"),
        ("before March", "2026-11-01", "2027-02-28"),
        ("by March", "2026-11-01", "2027-03-31"),
        ("in June", "2027-06-01", "2027-06-30"),
        ("next month", "2026-12-01", "2026-12-31"),
        ("renewing in the next month", "2026-11-01", "2026-12-01"),  # one month from today
        ("within a week", "2026-11-01", "2026-11-08"),
        ("before 2027-02-15", "2026-11-01", "2027-02-14"),
        ("renew before the end of March", "2026-11-01", "2027-03-31"),
        ("by the end of March", "2026-11-01", "2027-03-31"),
        ("by the start of February", "2026-11-01", "2027-02-01"),
        ("after the end of January", "2027-02-01", "2028-02-01"),
        ("by the end of Q1", "2026-11-01", "2027-03-31"),  # from today, not from Q1
        ("renew before the end of the year", "2026-11-01", "2026-12-31"),
        ("by year-end", "2026-11-01", "2026-12-31"),
        ("by the end of this month", "2026-11-01", "2026-11-30"),
        # 2026-11-01 is a Sunday: three weekdays on is Wednesday
        ("gets a call within 3 working days", "2026-11-01", "2026-11-04"),
        ("within 5 business days", "2026-11-01", "2026-11-06"),
    ],
)
def test_date_windows(message: str, start: str, end: str) -> None:
    window = parse_window(message, TODAY)
    assert window is not None
    assert (window.start.isoformat(), window.end.isoformat()) == (start, end)


def test_no_window_without_a_date_phrase() -> None:
    assert parse_window("which accounts are at risk", TODAY) is None


def test_active_signals_cite_the_tool_results_their_facts_come_from() -> None:
    from assistant.engine.planner.signals import marks_of
    from assistant.rules import AccountFacts, active_signals, load_rules
    from tests.conftest import REPO

    rules = load_rules(REPO / "knowledge" / "rules.yaml")
    facts = AccountFacts(
        account_id="A-1", band="red", overall=40, trend="declining", days_to_renewal=12,
        license_risks=("High",),
    )  # fmt: skip
    marks = {"band": "T2", "overall": "T2", "trend": "T2", "days_to_renewal": "T1"}
    active = {s.id: s for s in active_signals(rules, facts)}
    assert active, "a red, declining account renewing in 12 days has signals"
    for signal in active.values():
        cited = marks_of(signal, marks)
        read = signal.when.model_dump(exclude_none=True)
        if "days_to_renewal_below" in read:
            assert "T1" in cited
        if {"band_in", "healthy", "trend"} & set(read):
            assert "T2" in cited
        if set(read) == {"license_risk_in"}:
            assert cited == []  # no marker recorded for the licenses: nothing to cite


def test_keys_file_may_name_the_person(tmp_path: Path) -> None:
    from assistant.auth import load_keys

    keys = tmp_path / "keys.yaml"
    keys.write_text(
        "keys:\n  - {key: abcdefghijklmnop1234, user: tb, role: csm, accounts: '*', "
        "name: Tom Becker}\n",
        encoding="utf-8",
    )
    principal = load_keys(keys).principal("Bearer abcdefghijklmnop1234")
    assert principal.name == "Tom Becker"


def test_planner_margins_are_validated_data(tmp_path: Path) -> None:
    import pytest

    from assistant.engine.planner.margins import load_margins, shipped_margins
    from assistant.errors import ConfigurationError

    assert 0 < shipped_margins().portfolio_sure < 1
    bad = tmp_path / "margins.yaml"
    bad.write_text("portfolio_lead: 0.05\nportfolio_sure: 3\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="portfolio_sure") as raised:
        load_margins(bad)
    assert "knowledge_lead" in str(raised.value)  # a missing margin is named too


def test_incident_severities_and_nps_slots_come_from_the_rules() -> None:
    assert slots("Which accounts had P1 incidents?").severities == ["P1"]
    assert slots("accounts with p-1 or P 2 tickets").severities == ["P1", "P2"]
    assert slots("customers with severe incidents").severities == ["P1", "P2"]  # the rules' severe
    assert slots("customers with incidents").severities == []
    assert slots("sev1 incidents").severities == []  # not this vendor's name
    negative = slots("Which customers have a negative NPS?")
    assert (negative.nps_below, negative.thresholds) == (0, {})
    below = slots("accounts with an NPS below 20")
    assert (below.nps_below, below.thresholds) == (20, {})  # not a health threshold
    assert slots("accounts with NPS detractors").detractors
    assert not slots("accounts with health under 50").detractors


def test_severity_names_match_their_spoken_forms() -> None:
    vocabulary = Vocabulary(
        bands=("red",), healthy_bands=(), quadrants=(), risk_levels=(),
        severities=("sev1", "sev2"), severe=("sev1",),
    )  # fmt: skip
    for message in ("sev1 tickets", "Sev 1 incidents", "severity 1 outages", "a SEV-1"):
        entities = Entities()
        parse_slots(message, vocabulary, entities)
        assert entities.severities == ["sev1"], message


@pytest.mark.parametrize(
    ("message", "start"),
    [
        ("incidents in the last month", "2026-10-01"),
        ("over the past 2 quarters", "2026-05-01"),
        ("in the last 45 days", "2026-09-17"),
        ("this quarter", "2026-10-01"),
        ("this year", "2026-01-01"),
        ("since September", "2026-09-01"),
        ("since March 2025", "2025-03-01"),
        ("since December", "2025-12-01"),  # the last one before today
    ],
)
def test_look_back_windows(message: str, start: str) -> None:
    assert look_back(message, TODAY) == dt.date.fromisoformat(start)


def test_no_look_back_without_a_past_phrase() -> None:
    assert look_back("in the next two months", TODAY) is None
    assert look_back("sev1 incidents", TODAY) is None
    assert months_back("in the last month") == 1
    assert months_back("over the last 6 months") == 6
    assert months_back("the past year") == 12


def test_sorting_by_the_figure_a_superlative_names() -> None:
    most = slots("Which accounts have the most P1 incidents?")
    assert (most.sort, most.descending, most.limit) == ("incidents", True, None)
    lowest = slots("Which customers have the lowest NPS?")
    assert (lowest.sort, lowest.descending) == ("nps", False)
    assert slots("Top 3 accounts by incidents").sort == "incidents"
    assert slots("Top 3 accounts by ARR").sort == "arr"
    assert slots("Which accounts have the lowest health?").sort == "health"


def test_a_total_or_mean_over_the_set() -> None:
    assert slots("What's the total ARR renewing in Q1?").aggregate
    assert slots("How much ARR renews next quarter?").aggregate
    assert slots("the average health of our enterprise accounts").aggregate
    assert not slots("Which accounts renew in Q1?").aggregate
    # "renews next quarter" is a window, not "which one renews next"
    assert slots("How much ARR renews next quarter?").limit is None
    assert slots("Which of those renews next?").limit == 1


@pytest.mark.parametrize(
    ("message", "start", "end"),
    [
        ("renewing after June 2027", dt.date(2027, 7, 1), dt.date(2028, 7, 1)),
        ("renewing from June 2027", dt.date(2027, 6, 1), dt.date(2028, 6, 1)),
        ("renewing after 2027-06-15", dt.date(2027, 6, 16), dt.date(2028, 6, 16)),
    ],
)
def test_after_a_month_starts_when_it_ends(message: str, start: dt.date, end: dt.date) -> None:
    window = parse_window(message, TODAY)
    assert window is not None and (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    ("message", "partnered"),
    [
        ("Which partner-managed accounts are at risk?", True),
        ("accounts sold through a partner", True),
        ("accounts with no partner", False),
        ("which accounts are at risk?", None),
    ],
)
def test_partner_presence_is_read_both_ways(message: str, partnered: bool | None) -> None:
    entities = Entities()
    parse_slots(message, Vocabulary((), (), (), ()), entities)
    assert entities.partnered is partnered


@pytest.mark.parametrize(
    ("message", "trend"),
    [
        ("Which accounts are flat?", "stable"),
        ("accounts with a steady score", "stable"),
        ("Is the launchpad a flat fee?", None),
        ("Which accounts are sliding?", "declining"),
    ],
)
def test_a_flat_trend_is_the_stable_filter(message: str, trend: str | None) -> None:
    entities = Entities()
    parse_slots(message, Vocabulary((), (), (), ()), entities)
    assert entities.trend == trend


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("any red accts?", "any red accounts?"),
        ("accounts w/ health < 40", "accounts with health  under 40"),
        ("accounts w/o a partner", "accounts without a partner"),
        ("health >= 80", "health  at least 80"),
        ("the w/e report", "the w/e report"),
    ],
)
def test_chat_shorthand_is_spelled_out(message: str, expected: str) -> None:
    assert normalize(message) == expected


def test_shorthand_reaches_the_slots() -> None:
    entities = Entities(masked="accounts w/ health < 40")
    parse_slots("accounts w/ health < 40", Vocabulary((), (), (), ()), entities)
    assert entities.thresholds == {"health_below": 40}
