"""The chart routes against a real server with an API keys file: the figures equal the
account exports (independently of the tool code), out-of-scope ids answer as unknown ones,
SVG is well-formed with a <title> per 2x2 point, PNG is a PNG, bad input is a clear 422."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from assistant.rules import load_rules
from tests.accounts.expected import DATA, accounts, band, health_rows, rows
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY, bearer
from tests.accounts.test_api import serve

SVG = "{http://www.w3.org/2000/svg}"
RULES = load_rules(DATA.parent / "rules.yaml")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("charts")) as live:
        yield live.url


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=bearer(ADMIN_KEY), timeout=60) as client:
        yield client


@pytest.fixture
def seller(server: str) -> Iterator[httpx.Client]:  # sees ACC-002 and ACC-005
    with httpx.Client(base_url=server, headers=bearer(SELLER_KEY), timeout=60) as client:
        yield client


def test_health_trend_json_is_the_last_12_snapshots(admin: httpx.Client) -> None:
    body = admin.get("/api/accounts/acc-002/charts/health-trend.json").json()
    expected = health_rows("ACC-002")[-12:]
    assert body["kind"] == "health_trend" and body["account_id"] == "ACC-002"
    assert body["months"] == [r["month"] for r in expected]
    assert body["overall"]["values"] == [int(r["overall"]) for r in expected]
    by_key = {s["key"]: s["values"] for s in body["components"]}
    assert list(by_key) == RULES.component_keys
    for key, values in by_key.items():
        assert values == [int(r[key]) for r in expected]
    assert [b["name"] for b in body["bands"]] == RULES.band_names
    assert body["healthy_from"] == RULES.health.healthy_from
    assert body["as_of"] == expected[-1]["month"] and body["tool"] == "health_score"
    assert body["table"]["rows"][0][:2] == [expected[0]["month"], int(expected[0]["overall"])]
    assert band(int(expected[-1]["overall"])) in body["summary"]


def test_health_trend_months_parameter(admin: httpx.Client) -> None:
    body = admin.get("/api/accounts/ACC-002/charts/health-trend.json?months=6").json()
    assert len(body["months"]) <= 7 and body["months"][-1] == health_rows("ACC-002")[-1]["month"]
    bad = admin.get("/api/accounts/ACC-002/charts/health-trend.json?months=1")
    assert bad.status_code == 422 and "months" in str(bad.json()["errors"])


def test_health_trend_svg_and_png(admin: httpx.Client) -> None:
    svg = admin.get("/api/accounts/ACC-002/charts/health-trend.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and accounts()["ACC-002"]["name"] in (title.text or "")
    text = "".join(root.itertext())
    for component in RULES.health.components:
        assert component.label in text  # the legend is text, not paths
    png = admin.get("/api/accounts/ACC-002/charts/health-trend.png")
    assert png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png.content[16:24])
    assert width >= 900 and height >= 500


def test_licenses_json_equals_the_export(admin: httpx.Client) -> None:
    body = admin.get("/api/accounts/ACC-002/charts/licenses.json").json()
    expected = {r["module"]: r for r in rows("licenses.csv") if r["account_id"] == "ACC-002"}
    assert {b["module"] for b in body["bars"]} == set(expected)
    for bar in body["bars"]:
        row = expected[bar["module"]]
        licensed, active = int(row["licensed"]), int(row["active"])
        assert (bar["licensed"], bar["active"]) == (licensed, active)
        assert bar["utilization_pct"] == round(100 * active / licensed, 1)
        assert bar["risk"] == RULES.license_risk(licensed, active)
    assert body["levels"] == RULES.licenses.names
    svg = admin.get("/api/accounts/ACC-002/charts/licenses.svg")
    assert all(m in "".join(ET.fromstring(svg.content).itertext()) for m in expected)


@pytest.mark.parametrize("chart", ["health-trend", "licenses"])
@pytest.mark.parametrize("fmt", ["json", "svg", "png"])
def test_out_of_scope_answers_as_unknown(seller: httpx.Client, chart: str, fmt: str) -> None:
    assert seller.get(f"/api/accounts/ACC-005/charts/{chart}.{fmt}").status_code == 200
    hidden = seller.get(f"/api/accounts/ACC-001/charts/{chart}.{fmt}")
    unknown = seller.get(f"/api/accounts/ACC-999/charts/{chart}.{fmt}")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"].replace("999", "001")


def test_quadrant_points_are_the_callers_accounts(seller: httpx.Client) -> None:
    body = seller.get("/api/portfolio/charts/quadrant.json").json()
    assert sorted(p["account_id"] for p in body["points"]) == ["ACC-002", "ACC-005"]
    assert body["low_penetration_below"] == RULES.expansion.penetration.low_below
    assert body["healthy_from"] == RULES.health.healthy_from
    assert [q["name"] for q in body["quadrants"]] == RULES.quadrant_names
    known = accounts()
    for point in body["points"]:
        account = known[point["account_id"]]
        arr, employees = int(account["arr"]), int(account["employees"])
        assert point["arr_per_employee"] == round(arr / employees, 2)
        overall = int(health_rows(point["account_id"])[-1]["overall"])
        assert point["overall"] == overall
        assert point["quadrant"] == RULES.quadrant_for(overall, arr, employees)


def test_quadrant_svg_has_a_title_per_point(admin: httpx.Client) -> None:
    body = admin.get("/api/portfolio/charts/quadrant.json").json()
    root = ET.fromstring(admin.get("/api/portfolio/charts/quadrant.svg").content)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles[0] == body["title"]
    assert titles[1:] == [p["label"] for p in body["points"]]
    assert len(body["points"]) == len({a for a in accounts() if health_rows(a)})
    text = "".join(root.itertext())
    assert all(name in text for name in RULES.quadrant_names)


def test_quadrant_takes_the_portfolio_filters(admin: httpx.Client) -> None:
    red = admin.get("/api/portfolio/charts/quadrant.json", params={"band": "red"}).json()
    assert red["points"] and {p["band"] for p in red["points"]} == {"red"}
    one = admin.get("/api/portfolio/charts/quadrant.json", params={"quadrant": "save"}).json()
    assert {p["quadrant"] for p in one["points"]} == {RULES.quadrant_names[-1]}
    bad = admin.get("/api/portfolio/charts/quadrant.svg", params={"band": "purple"})
    assert bad.status_code == 422 and "red" in bad.json()["detail"]


def test_bad_format_and_id_are_422(admin: httpx.Client) -> None:
    bad = admin.get("/api/accounts/ACC-002/charts/licenses.gif")
    assert bad.status_code == 422 and "svg" in str(bad.json()["errors"])
    assert admin.get("/api/accounts/nope/charts/licenses.svg").status_code == 422


def test_charts_need_a_key(server: str) -> None:
    assert httpx.get(server + "/api/portfolio/charts/quadrant.svg").status_code == 401
