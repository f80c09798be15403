"""Every tool against figures computed by hand from the CSV files (see expected.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.services import Services
from tests.accounts import expected as x

ADMIN = Principal()
ACCOUNTS = sorted(x.accounts())


def call(
    services: Services, name: str, principal: Principal = ADMIN, **args: Any
) -> dict[str, Any]:
    return services.tools.call(name, args, principal).model_dump(mode="json")


@pytest.mark.parametrize("account_id", ACCOUNTS)
def test_account_overview(loaded: Services, account_id: str) -> None:
    row = x.accounts()[account_id]
    got = call(loaded, "account_overview", account_id=account_id.lower())
    arr, employees = int(row["arr"]), int(row["employees"])
    assert got["arr"] == arr and got["employees"] == employees
    assert got["days_to_renewal"] == x.days_to(row["renewal_date"])
    assert got["arr_per_employee"] == round(arr / employees, 2)
    assert got["penetration"] == ("low" if arr / employees < 150 else "high")
    assert (got["csm"], got["account_exec"], got["stage"]) == (
        row["csm"],
        row["account_exec"],
        row["stage"],
    )
    assert got["partner"] == (row["partner"] or None) and got["partner_role"] == row["partner_role"]
    assert got["as_of"] == "2026-11-01" and got["source"] == ["accounts"]


def test_overview_of_the_famous_account(loaded: Services) -> None:
    got = call(loaded, "account_overview", account_id="ACC-001")
    assert (got["arr"], got["days_to_renewal"], got["arr_per_employee"]) == (1150000, 75, 95.83)


@pytest.mark.parametrize("account_id", ACCOUNTS)
def test_health_score(loaded: Services, account_id: str) -> None:
    history = x.health_rows(account_id)
    latest, first = history[-1], history[0]
    got = call(loaded, "health_score", account_id=account_id)
    components = {
        c: int(latest[c]) for c in ("deployment", "adoption", "breadth", "engagement", "outcomes")
    }
    assert got["components"] == components
    assert got["overall"] == int(latest["overall"]) == round(sum(components.values()) / 5)
    assert got["band"] == x.band(int(latest["overall"]))
    assert got["healthy"] == (int(latest["overall"]) >= 60)
    assert got["as_of"] == latest["month"] == got["month"]
    trend = got["trend"]
    assert (trend["from_month"], trend["from_score"]) == (first["month"], int(first["overall"]))
    assert trend["change"] == int(latest["overall"]) - int(first["overall"])
    assert trend["direction"] == x.direction(int(first["overall"]), int(latest["overall"]))
    assert len(trend["points"]) == len(history)
    assert got["weakest_component"] == min(components, key=lambda c: (components[c], c))


def test_health_window_and_rejected_snapshot(loaded: Services) -> None:
    acc022 = call(loaded, "health_score", account_id="ACC-022")
    months = [p["month"] for p in acc022["trend"]["points"]]
    assert "2026-04-01" not in months and len(months) == 11  # the breadth-130 row was rejected
    short = call(loaded, "health_score", account_id="ACC-002", months=3)
    assert [p["month"] for p in short["trend"]["points"]] == [
        "2026-08-01",
        "2026-09-01",
        "2026-10-01",
    ]
    rows = x.health_rows("ACC-002")
    assert short["trend"]["change"] == int(rows[-1]["overall"]) - int(rows[-3]["overall"])


def test_churn_indicators_of_contoso_health(loaded: Services) -> None:
    got = call(loaded, "health_score", account_id="ACC-002")
    indicators = {i["name"]: i for i in got["churn_indicators"]}
    assert indicators["declining_trend"]["warning"] is True  # 69 -> 52
    assert indicators["at_risk"]["value"] == 52 and indicators["at_risk"]["warning"]
    assert indicators["declining_near_renewal"]["value"] == x.days_to("2026-12-20")
    high = [
        r["module"]
        for r in x.rows("licenses.csv")
        if r["account_id"] == "ACC-002" and x.risk(int(r["licensed"]), int(r["active"])) == "High"
    ]
    assert indicators["high_risk_license_modules"]["value"] == ", ".join(high) == "security"
    recent = [
        r
        for r in x.rows("surveys.csv")
        if r["account_id"] == "ACC-002"
        and r["date"] >= "2026-05-01"
        and (
            (r["kind"] == "nps" and int(r["score"]) <= 6)
            or (r["kind"] == "csat" and float(r["score"]) <= 2)
        )
    ]
    assert indicators["alarming_survey_answers"]["value"] == len(recent)
    severe = {"recent": 0, "before": 0}
    for r in x.rows("incidents.csv"):
        if r["account_id"] == "ACC-002" and r["severity"] in ("sev1", "sev2"):
            if "2026-08-01" <= r["month"] <= "2026-10-01":
                severe["recent"] += int(r["count"])
            elif "2026-05-01" <= r["month"] < "2026-08-01":
                severe["before"] += int(r["count"])
    sev = indicators["severe_incidents_rising"]
    assert sev["value"] == severe["recent"] and sev["warning"] == (
        severe["recent"] > severe["before"]
    )


@pytest.mark.parametrize("account_id", ACCOUNTS)
def test_license_utilization(loaded: Services, account_id: str) -> None:
    want = {
        r["module"]: (int(r["licensed"]), int(r["active"]), int(r["assigned"]))
        for r in x.rows("licenses.csv")
        if r["account_id"] == account_id
    }
    got = call(loaded, "license_utilization", account_id=account_id)
    assert {m["module"] for m in got["modules"]} == set(want)
    for m in got["modules"]:
        licensed, active, assigned = want[m["module"]]
        assert (m["licensed"], m["active"], m["assigned"]) == (licensed, active, assigned)
        assert m["delta"] == licensed - active
        assert m["risk"] == x.risk(licensed, active)
        if active > licensed:  # over-deployed: flagged, no (negative) unused share
            assert m["compliance_issue"] and m["unused_share_pct"] is None
            assert m["over_deployed_by"] == active - licensed
            continue
        assert m["unused_share_pct"] == round(100 * (licensed - active) / licensed, 1)
    assert got["high_risk"] == sum(1 for m in got["modules"] if m["risk"] == "High")


def test_license_examples_from_the_guide_and_portfolio_filter(loaded: Services) -> None:
    contoso = call(loaded, "license_utilization", account_id="ACC-002")
    security = next(m for m in contoso["modules"] if m["module"] == "security")
    assert (
        security["licensed"],
        security["active"],
        security["unused_share_pct"],
        security["risk"],
    ) == (400, 150, 62.5, "High")
    high = call(loaded, "license_utilization", risk=["High"])
    expected = sorted(
        (r["account_id"], r["module"])
        for r in x.rows("licenses.csv")
        if x.risk(int(r["licensed"]), int(r["active"])) == "High"
    )
    assert sorted((m["account_id"], m["module"]) for m in high["modules"]) == expected
    assert high["high_risk"] == len(expected) == 14


@pytest.mark.parametrize(
    ("days", "bands", "segment"),
    [
        (90, None, None),
        (90, ["red"], None),
        (30, None, None),
        (180, ["red", "orange"], None),
        (365, None, "enterprise"),
        (90, ["green"], "smb"),
    ],
)
def test_renewals_due(
    loaded: Services, days: int, bands: list[str] | None, segment: str | None
) -> None:
    want = []
    for account_id, row in x.accounts().items():
        d = x.days_to(row["renewal_date"])
        b = x.band(x.latest_overall(account_id))
        if 0 <= d <= days and (bands is None or b in bands) and segment in (None, row["segment"]):
            want.append((row["renewal_date"], account_id))
    got = call(loaded, "renewals_due", days=days, bands=bands, segment=segment)
    assert [(r["renewal_date"], r["account_id"]) for r in got["renewals"]] == sorted(want)
    assert got["count"] == len(want)
    assert got["total_arr"] == sum(int(x.accounts()[a]["arr"]) for _, a in want)
    for r in got["renewals"]:
        assert r["days_to_renewal"] == x.days_to(r["renewal_date"])
        assert r["overall"] == x.latest_overall(r["account_id"])


def test_the_red_renewals_in_90_days(loaded: Services) -> None:
    got = call(loaded, "renewals_due", days=90, bands=["red"])
    assert [(r["name"], r["overall"], r["days_to_renewal"]) for r in got["renewals"]] == [
        ("Tailspin Toys", 31, 12),
        ("Humongous Insurance", 35, 60),
    ]
    assert got["total_arr"] == 48000 + 1400000


@pytest.mark.parametrize("account_id", ACCOUNTS)
def test_survey_trend(loaded: Services, account_id: str) -> None:
    mine = [
        r
        for r in x.rows("surveys.csv")
        if r["account_id"] == account_id and "2025-11-01" <= r["date"] <= "2026-11-01"
    ]
    scores = [int(r["score"]) for r in mine if r["kind"] == "nps"]
    csat = sorted((r["date"], float(r["score"])) for r in mine if r["kind"] == "csat")
    got = call(loaded, "survey_trend", account_id=account_id)
    assert got["nps"] == x.nps(scores) and got["nps_responses"] == len(scores)
    assert (got["promoters"], got["detractors"]) == (
        sum(s >= 9 for s in scores),
        sum(s <= 6 for s in scores),
    )
    assert got["csat_average"] == (round(sum(v for _, v in csat) / len(csat), 2) if csat else None)
    first_half = [int(r["score"]) for r in mine if r["kind"] == "nps" and r["date"] < "2026-05-01"]
    second_half = [
        int(r["score"]) for r in mine if r["kind"] == "nps" and r["date"] >= "2026-05-01"
    ]
    assert [p["nps"] for p in got["periods"]] == [x.nps(first_half), x.nps(second_half)]


def test_survey_figures_of_contoso_health(loaded: Services) -> None:
    got = call(loaded, "survey_trend", account_id="ACC-002")
    # NPS 7, 5 (March) and 7, 5 (September); CSAT 3.6 and 3.5
    assert (got["nps"], got["passives"], got["detractors"], got["csat_average"]) == (
        -50,
        2,
        2,
        3.55,
    )
    assert got["latest_csat"] == 3.5


@pytest.mark.parametrize("account_id", ACCOUNTS)
def test_support_incidents(loaded: Services, account_id: str) -> None:
    by: dict[str, int] = {"sev1": 0, "sev2": 0, "sev3": 0, "sev4": 0}
    before = 0
    for r in x.rows("incidents.csv"):
        if r["account_id"] != account_id:
            continue
        if "2026-08-01" <= r["month"] <= "2026-11-01":
            by[r["severity"]] += int(r["count"])
        elif "2026-05-01" <= r["month"] < "2026-08-01" and r["severity"] in ("sev1", "sev2"):
            before += int(r["count"])
    got = call(loaded, "support_incidents", account_id=account_id)
    assert got["by_severity"] == by and got["total"] == sum(by.values())
    assert got["previous_sev1_sev2"] == before
    assert got["rising"] == (by["sev1"] + by["sev2"] > before)


def test_expansion_targets(loaded: Services) -> None:
    want = {
        a: x.quadrant(x.latest_overall(a), int(r["arr"]), int(r["employees"]))
        for a, r in x.accounts().items()
    }
    got = call(loaded, "expansion_targets")
    assert {p["account_id"]: p["quadrant"] for p in got["placements"]} == want
    assert got["counts"] == {
        q: list(want.values()).count(q) for q in ("Expand", "Advocate", "Fix adoption", "Save")
    }
    expand = call(loaded, "expansion_targets", quadrant="Expand")["placements"]
    per_employee = [p["arr_per_employee"] for p in expand]
    assert per_employee == sorted(per_employee) and {p["quadrant"] for p in expand} == {"Expand"}
    woodgrove = call(loaded, "expansion_targets", account_id="ACC-005")["placements"]
    assert [(p["quadrant"], p["arr_per_employee"]) for p in woodgrove] == [
        ("Expand", round(1900000 / 24000, 2))
    ]


@pytest.mark.parametrize("opp", x.opportunities(), ids=lambda o: str(o["id"]))
def test_opportunity(loaded: Services, opp: dict[str, Any]) -> None:
    if opp["account_id"] in x.REJECTED_ACCOUNTS:
        pytest.skip("the account row is rejected")
    got = call(loaded, "opportunity", opportunity_id=opp["id"])["opportunities"][0]
    assert got["meddicc"] == opp["meddicc"]
    assert got["missing"] == [k for k, v in opp["meddicc"].items() if not v]
    assert got["captured"] == 8 - len(got["missing"])
    assert (got["amount"], got["stage"], got["close_date"]) == (
        opp["amount"],
        opp["stage"],
        opp["close_date"],
    )
    assert got["days_to_close"] == x.days_to(opp["close_date"])


def test_opportunities_of_an_account(loaded: Services) -> None:
    want = sorted(o["id"] for o in x.opportunities() if o["account_id"] == "ACC-001")
    got = call(loaded, "opportunity", account_id="ACC-001")["opportunities"]
    assert [o["id"] for o in got] == want
    opp7 = call(loaded, "opportunity", opportunity_id="opp-007")["opportunities"][0]
    assert {"economic_buyer", "champion"} <= set(opp7["missing"])


def test_a_new_clock_moves_date_relative_figures(loaded: Services) -> None:
    from dataclasses import replace

    later = replace(loaded.tools.context, clock=lambda: dt.date(2026, 12, 1))
    original = loaded.tools.context
    loaded.tools.context = later
    try:
        got = call(loaded, "account_overview", account_id="ACC-001")
        assert (got["days_to_renewal"], got["as_of"]) == (45, "2026-12-01")
    finally:
        loaded.tools.context = original


def test_registry_schemas_and_argument_errors(loaded: Services) -> None:
    schemas = {s["name"]: s for s in loaded.tools.schemas()}
    assert set(schemas) == {
        "list_accounts",
        "account_overview",
        "health_score",
        "license_utilization",
        "renewals_due",
        "survey_trend",
        "support_incidents",
        "expansion_targets",
        "opportunity",
        "pipeline",
        "calculate_license_risk",
        "calculate_health",
        "calculate_ltv",
        "calculate_csat_points",
        "calculate_staffing",
        "calculate_blocks",
    }
    for schema in schemas.values():
        assert len(schema["description"]) > 40 and schema["parameters"]["type"] == "object"
    assert schemas["renewals_due"]["parameters"]["properties"]["days"]["default"] == 90
    # compact for the model's context: no generated titles, an optional field as its type
    listing = schemas["list_accounts"]["parameters"]["properties"]
    assert listing["incident_severities"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": listing["incident_severities"]["description"],
    }
    assert not any("title" in p or "anyOf" in p for p in listing.values())
    assert "incident_severities" not in schemas["list_accounts"]["parameters"].get("required", [])
    assert call(loaded, "list_accounts", csm=None)["count"] == len(
        call(loaded, "list_accounts")["accounts"]
    )
    for name, args, fragment in [
        ("renewals_due", {"days": 0}, "days"),
        ("renewals_due", {"bands": ["purple"]}, "unknown health band 'purple'; bands: red"),
        ("health_score", {}, "account_id is missing"),
        ("health_score", {"account_id": "Northwind"}, "account_id"),
        ("opportunity", {}, "exactly one"),
        ("account_overview", {"account_id": "ACC-001", "extra": 1}, "extra"),
        ("no_such_tool", {}, "unknown tool"),
    ]:
        with pytest.raises(InvalidInputError, match=fragment):
            loaded.tools.call(name, args, ADMIN)
    with pytest.raises(NotFoundError):
        loaded.tools.call("account_overview", {"account_id": "ACC-999"}, ADMIN)


def test_scope_is_enforced_in_every_tool(loaded: Services) -> None:
    seller = Principal("sam", "seller", frozenset({"ACC-002"}))
    for name, args in [
        ("account_overview", {"account_id": "ACC-001"}),
        ("health_score", {"account_id": "ACC-001"}),
        ("license_utilization", {"account_id": "ACC-001"}),
        ("survey_trend", {"account_id": "ACC-001"}),
        ("support_incidents", {"account_id": "ACC-001"}),
        ("expansion_targets", {"account_id": "ACC-001"}),
        ("opportunity", {"account_id": "ACC-001"}),
        ("opportunity", {"opportunity_id": "OPP-001"}),
        ("opportunity", {"opportunity_id": "OPP-999"}),
        ("account_overview", {"account_id": "ACC-999"}),
    ]:
        with pytest.raises(PermissionDeniedError):
            loaded.tools.call(name, args, seller)
    for name, args in [
        ("list_accounts", {}),
        ("renewals_due", {"days": 365}),
        ("license_utilization", {}),
        ("expansion_targets", {}),
    ]:
        result = call(loaded, name, seller, **args)
        ids = {v for k, v in _walk(result) if k == "account_id"}
        assert ids <= {"ACC-002"}, name


def _walk(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _walk(v, k)]
    if isinstance(value, list):
        return [pair for v in value for pair in _walk(v, key)]
    return [(key, value)]


def test_pipeline_across_the_visible_accounts(loaded: Services) -> None:
    deals = x.opportunities()
    every = call(loaded, "pipeline")
    assert every["matched"] == len(deals) and every["count"] == len(deals)
    closes = [o["close_date"] for o in every["opportunities"]]
    assert closes == sorted(closes)  # soonest close first
    window = call(loaded, "pipeline", close_from="2026-12-01", close_to="2026-12-31")
    want = {d["id"] for d in deals if "2026-12-01" <= d["close_date"] <= "2026-12-31"}
    assert {o["id"] for o in window["opportunities"]} == want and want
    no_champion = call(loaded, "pipeline", missing="Champion")
    assert {o["id"] for o in no_champion["opportunities"]} == {
        d["id"] for d in deals if not d["meddicc"].get("champion")
    }
    biggest = call(loaded, "pipeline", sort="amount", descending=True, limit=2)
    amounts = sorted((d["amount"] for d in deals), reverse=True)[:2]
    assert [o["amount"] for o in biggest["opportunities"]] == amounts
    assert biggest["total_amount"] == sum(amounts) and biggest["matched"] == len(deals)
    with pytest.raises(InvalidInputError, match="fields: Metrics, Economic buyer"):
        call(loaded, "pipeline", missing="budget")
    some = deals[0]["account_id"]
    scoped = loaded.tools.call("pipeline", {}, Principal(accounts=frozenset({some}))).model_dump(
        mode="json"
    )
    assert {o["account_id"] for o in scoped["opportunities"]} == {some}
