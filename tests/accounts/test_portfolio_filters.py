"""Portfolio filters on list_accounts and renewals_due against figures computed by hand from
the CSV files (real SQLite, the shipped exports)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.services import Services
from tests.accounts import expected as x

ADMIN = Principal()


def call(
    services: Services, name: str, principal: Principal = ADMIN, **args: Any
) -> dict[str, Any]:
    return services.tools.call(name, args, principal).model_dump(mode="json")


def ids(result: dict[str, Any], key: str = "accounts") -> list[str]:
    return [r["account_id"] for r in result[key]]


def test_rows_carry_owners_band_trend_and_quadrant(loaded: Services) -> None:
    got = call(loaded, "list_accounts")
    for row in got["accounts"]:
        want = x.accounts()[row["account_id"]]
        assert (row["csm"], row["account_exec"]) == (want["csm"], want["account_exec"])
        assert row["partner"] == (want["partner"] or None)
        score = x.latest_overall(row["account_id"])
        assert row["band"] == x.band(score)
        health = call(loaded, "health_score", account_id=row["account_id"])  # checked in test_tools
        assert row["trend"] == health["trend"]["direction"]
        assert row["quadrant"] == x.quadrant(score, int(want["arr"]), int(want["employees"]))


def test_owner_filters_are_case_insensitive_names(loaded: Services) -> None:
    some = next(iter(x.accounts().values()))
    csm = some["csm"]
    got = call(loaded, "list_accounts", csm=csm.upper())
    assert set(ids(got)) == {a for a, r in x.accounts().items() if r["csm"] == csm}
    first_name = csm.split()[0].lower()
    by_first = call(loaded, "list_accounts", csm=first_name)
    assert set(ids(got)) <= set(ids(by_first))
    partner = next(r["partner"] for r in x.accounts().values() if r["partner"])
    got = call(loaded, "list_accounts", partner=partner.lower())
    assert set(ids(got)) == {a for a, r in x.accounts().items() if r["partner"] == partner}


def test_trend_and_partner_presence_filters(loaded: Services) -> None:
    every = call(loaded, "list_accounts")["accounts"]
    for trend in ("declining", "stable", "improving"):
        got = call(loaded, "list_accounts", trend=trend)
        assert set(ids(got)) == {r["account_id"] for r in every if r["trend"] == trend}
    declining = {r["account_id"] for r in every if r["trend"] == "declining"}
    assert declining and len(declining) < len(every)
    direct = call(loaded, "list_accounts", partnered=False)
    assert set(ids(direct)) == {a for a, r in x.accounts().items() if not r["partner"]}
    worked = call(loaded, "list_accounts", partnered=True)
    assert set(ids(worked)) == {a for a, r in x.accounts().items() if r["partner"]}
    soon = call(loaded, "renewals_due", days=120, trend="declining")
    assert soon["renewals"] and {r["trend"] for r in soon["renewals"]} == {"declining"}
    with pytest.raises(InvalidInputError, match="trend"):
        call(loaded, "list_accounts", trend="sideways")


def test_an_unknown_owner_is_a_clear_error_naming_the_owners(loaded: Services) -> None:
    with pytest.raises(InvalidInputError, match=r"no account you may see has CSM 'Nobody Here'"):
        call(loaded, "list_accounts", csm="Nobody Here")


def test_score_thresholds_are_strict_below_and_inclusive_at_least(loaded: Services) -> None:
    below = call(loaded, "list_accounts", health_below=50)
    assert set(ids(below)) == {a for a in x.accounts() if x.latest_overall(a) < 50}
    assert all(r["overall"] < 50 for r in below["accounts"])  # "under 50" never lists 52
    band = call(loaded, "list_accounts", health_at_least=60, health_below=80)
    assert set(ids(band)) == {a for a in x.accounts() if 60 <= x.latest_overall(a) < 80}
    with pytest.raises(InvalidInputError, match="health_at_least 70 must be below"):
        call(loaded, "list_accounts", health_at_least=70, health_below=60)


def test_renewal_dates_segment_sort_and_limit(loaded: Services) -> None:
    start, end = dt.date(2027, 1, 1), dt.date(2027, 3, 31)
    got = call(loaded, "list_accounts", renewal_from=start.isoformat(), renewal_to=end.isoformat())
    want = {
        a for a, r in x.accounts().items()
        if start <= dt.date.fromisoformat(r["renewal_date"]) <= end
    }  # fmt: skip
    assert set(ids(got)) == want
    top = call(loaded, "list_accounts", segment="enterprise", sort="arr", descending=True, limit=3)
    enterprise = sorted(
        (r for r in x.accounts().values() if r["segment"] == "enterprise"),
        key=lambda r: -int(r["arr"]),
    )
    assert ids(top) == [r["id"] for r in enterprise[:3]]
    assert top["total_arr"] == sum(int(r["arr"]) for r in enterprise[:3])
    worst = call(loaded, "list_accounts", sort="health", limit=1)
    assert worst["accounts"][0]["overall"] == min(x.latest_overall(a) for a in x.accounts())


def test_quadrant_and_module_risk(loaded: Services) -> None:
    got = call(loaded, "list_accounts", quadrant="expand")  # any case, the rules' spelling back
    assert {r["quadrant"] for r in got["accounts"]} == {"Expand"}
    high = call(loaded, "list_accounts", license_risk="high")
    want = {
        r["account_id"] for r in x.rows("licenses.csv")
        if x.risk(int(r["licensed"]), int(r["active"])) == "High"
    }  # fmt: skip
    assert set(ids(high)) == want and want
    search = call(loaded, "list_accounts", license_risk="High", module="search")
    want = {
        r["account_id"] for r in x.rows("licenses.csv")
        if r["module"] == "search" and x.risk(int(r["licensed"]), int(r["active"])) == "High"
    }  # fmt: skip
    assert set(ids(search)) == want
    over = call(loaded, "list_accounts", license_risk="over-deployed")
    assert ids(over) == ["ACC-017"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"bands": ["amber"]}, "unknown health band 'amber'; bands: red, orange, yellow, green"),
        ({"quadrant": "Grow"}, "quadrants: Expand, Advocate, Fix adoption, Save"),
        ({"license_risk": "Severe"}, "levels: High, Medium, Low, over-deployed"),
        ({"module": "crm"}, "modules: search, observability, security, genai"),
    ],
)
def test_names_are_checked_against_the_rules(
    loaded: Services, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(loaded, "list_accounts", **args)


def test_renewals_take_the_same_filters(loaded: Services) -> None:
    got = call(
        loaded, "renewals_due", days=365, bands=["red", "orange"], sort="arr", descending=True
    )
    want = [
        r for a, r in x.accounts().items()
        if 0 <= x.days_to(r["renewal_date"]) <= 365 and x.latest_overall(a) < 60
    ]  # fmt: skip
    assert ids(got, "renewals") == [r["id"] for r in sorted(want, key=lambda r: -int(r["arr"]))]
    soonest = call(loaded, "renewals_due", days=365)
    dates = [r["renewal_date"] for r in soonest["renewals"]]
    assert dates == sorted(dates)  # soonest first by default
    csm = soonest["renewals"][0]["csm"]
    mine = call(loaded, "renewals_due", days=365, csm=csm.lower())
    assert {r["csm"] for r in mine["renewals"]} == {csm}


def test_a_scoped_caller_filters_only_what_it_may_see(loaded: Services) -> None:
    scoped = Principal(accounts=frozenset({"ACC-001", "ACC-002"}))
    got = call(loaded, "list_accounts", scoped, sort="name")
    assert set(ids(got)) == {"ACC-001", "ACC-002"}
    other_csm = next(
        r["csm"] for a, r in x.accounts().items()
        if a not in {"ACC-001", "ACC-002"}
        and r["csm"] not in {x.accounts()["ACC-001"]["csm"], x.accounts()["ACC-002"]["csm"]}
    )  # fmt: skip
    with pytest.raises(InvalidInputError, match="CSMs: ") as caught:
        call(loaded, "list_accounts", scoped, csm=other_csm)
    assert other_csm not in str(caught.value).split("CSMs: ")[1]


def _incidents(severities: set[str], since: dt.date) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in x.rows("incidents.csv"):
        month = dt.date.fromisoformat(r["month"])
        if r["severity"] in severities and since <= month <= x.TODAY and int(r["count"]):
            counts[r["account_id"]] = counts.get(r["account_id"], 0) + int(r["count"])
    return counts


def test_incident_severity_filter_counts_the_window(loaded: Services) -> None:
    got = call(loaded, "list_accounts", incident_severities=["sev1"])  # the rules' 3 months
    want = _incidents({"sev1"}, dt.date(2026, 8, 1))
    assert want and set(ids(got)) == set(want)
    assert {r["account_id"]: r["incidents"] for r in got["accounts"]} == want
    assert {r["incidents_since"] for r in got["accounts"]} == {"2026-08-01"}
    recent = call(
        loaded, "list_accounts", incident_severities=["SEV1", "sev2"], incidents_since="2026-10-15"
    )  # a mid-month start counts that month (incidents are monthly)
    assert set(ids(recent)) == set(_incidents({"sev1", "sev2"}, dt.date(2026, 10, 1)))
    assert "incidents" in recent["source"]
    with pytest.raises(InvalidInputError, match="severities: sev1, sev2, sev3, sev4"):
        call(loaded, "list_accounts", incident_severities=["P1"])


def test_nps_filters(loaded: Services) -> None:
    def scores(since: dt.date) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for r in x.rows("surveys.csv"):
            day = dt.date.fromisoformat(r["date"])
            if r["kind"] == "nps" and since <= day <= x.TODAY:
                found.setdefault(r["account_id"], []).append(int(float(r["score"])))
        return found

    year = scores(dt.date(2025, 11, 1))
    negative = call(loaded, "list_accounts", nps_below=0)
    want = {a for a, s in year.items() if (x.nps(s) or 0) < 0}
    assert want and set(ids(negative)) == want
    assert all(r["nps"] == x.nps(year[r["account_id"]]) for r in negative["accounts"])
    recent = scores(dt.date(2026, 9, 1))
    detractors = call(loaded, "list_accounts", detractors=True, surveys_since="2026-09-01")
    assert set(ids(detractors)) == {a for a, s in recent.items() if any(v <= 6 for v in s)}
    assert "surveys" in detractors["source"]


def test_a_cut_list_says_how_many_matched(loaded: Services) -> None:
    every = call(loaded, "renewals_due", days=365)
    top = call(loaded, "renewals_due", days=365, sort="arr", descending=True, limit=2)
    assert (top["count"], top["matched"]) == (2, every["count"])
    assert top["total_arr"] == sum(r["arr"] for r in top["renewals"])
    listed = call(loaded, "list_accounts", limit=3)
    assert (listed["count"], listed["matched"]) == (3, len(x.accounts()))


def test_sort_by_incidents_and_nps_and_the_mean_health(loaded: Services) -> None:
    by_incidents = call(loaded, "list_accounts", sort="incidents", descending=True, limit=3)
    counts = _incidents({"sev1", "sev2", "sev3", "sev4"}, dt.date(2026, 8, 1))
    top = sorted(counts.values(), reverse=True)[:3]
    assert [r["incidents"] for r in by_incidents["accounts"]] == top
    assert by_incidents["matched"] == len(counts)
    assert "incidents" in by_incidents["source"]  # the table the order read
    by_nps = call(loaded, "list_accounts", sort="nps")["accounts"]
    scores = [r["nps"] for r in by_nps if r["nps"] is not None]
    assert scores == sorted(scores) and scores[0] < 0
    assert "surveys" in call(loaded, "list_accounts", sort="nps")["source"]
    assert all(r["nps"] is None for r in by_nps[len(scores) :])  # no answers: last
    listed = call(loaded, "list_accounts", segment="enterprise")
    overall = [x.latest_overall(r["account_id"]) for r in listed["accounts"]]
    assert listed["average_health"] == round(sum(overall) / len(overall), 1)
