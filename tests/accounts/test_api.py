"""The accounts REST API and access control against a real server with an API keys file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.accounts.keys import ADMIN_KEY, CSM_KEY, SELLER_KEY, bearer, write_keys
from tests.conftest import LiveServer, make_settings


def serve(tmp: Path) -> LiveServer:
    from assistant.api.app import create_app

    settings = make_settings(tmp / "data", today=TODAY, api_keys_file=write_keys(tmp / "keys.yaml"))
    services = build_services(settings, HashingEmbedder())
    import_into(services)
    services.close()
    return LiveServer(create_app(settings, HashingEmbedder()))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("api")) as live:
        yield live.url


@pytest.fixture
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=bearer(ADMIN_KEY), timeout=30) as client:
        yield client


@pytest.fixture
def seller(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=bearer(SELLER_KEY), timeout=30) as client:
        yield client


ROUTES = [
    ("GET", "/api/accounts", None),
    ("GET", "/api/accounts/ACC-002", None),
    ("GET", "/api/renewals", None),
    (
        "POST",
        "/api/accounts/ACC-002/metrics",
        {"metric": "survey", "kind": "nps", "score": 9, "respondent": "X", "date": "2026-10-30"},
    ),
    ("POST", "/api/chat", {"message": "How is Contoso Health doing?"}),
    ("POST", "/api/search", {"query": "health"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key-0123456789"},
        {"Authorization": f"Basic {ADMIN_KEY}"},
        {"Authorization": "Bearer"},
    ],
    ids=["none", "unknown", "scheme", "empty"],
)
def test_401_without_a_valid_key(
    server: str, method: str, path: str, body: object, headers: dict[str, str]
) -> None:
    response = httpx.request(method, server + path, json=body, headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "key" in response.json()["detail"].lower()


def test_health_probes_need_no_key(server: str) -> None:
    assert httpx.get(server + "/healthz").status_code == 200


def test_403_outside_the_scope(seller: httpx.Client, server: str) -> None:
    assert seller.get("/api/accounts/ACC-001").status_code == 403
    assert seller.get("/api/accounts/ACC-999").status_code == 403  # no probing for ids
    denied = seller.post("/api/chat", json={"message": "NPS?", "account_id": "ACC-001"})
    assert denied.status_code == 403 and "ACC-001" in denied.json()["detail"]
    search = seller.post("/api/search", json={"query": "health", "account": "ACC-001"})
    assert search.status_code == 403
    body = {"metric": "survey", "kind": "nps", "score": 9, "respondent": "X", "date": "2026-10-30"}
    assert seller.post("/api/accounts/ACC-002/metrics", json=body).status_code == 403  # role
    with httpx.Client(base_url=server, headers=bearer(CSM_KEY)) as csm:
        assert csm.post("/api/accounts/ACC-005/metrics", json=body).status_code == 403


def test_list_accounts_is_scoped(admin: httpx.Client, seller: httpx.Client) -> None:
    everything = admin.get("/api/accounts").json()
    assert everything["count"] == 38 and everything["as_of"] == "2026-11-01"
    mine = seller.get("/api/accounts").json()
    assert [a["account_id"] for a in mine["accounts"]] == ["ACC-002", "ACC-005"]
    red = admin.get("/api/accounts", params={"band": ["red"], "segment": "smb"}).json()
    assert red["accounts"] and {(a["band"], a["segment"]) for a in red["accounts"]} == {
        ("red", "smb")
    }


def test_account_detail(seller: httpx.Client) -> None:
    body = seller.get("/api/accounts/acc-002").json()
    assert set(body) == {"overview", "health", "licenses"}
    assert body["overview"]["arr"] == 880000 and body["overview"]["days_to_renewal"] == 49
    assert body["health"]["overall"] == 52 and body["health"]["band"] == "orange"
    assert body["health"]["trend"]["direction"] == "declining"
    assert {m["module"]: m["risk"] for m in body["licenses"]["modules"]}["security"] == "High"
    assert body["licenses"]["source"] == ["licenses"]


def test_renewals(admin: httpx.Client, seller: httpx.Client) -> None:
    red = admin.get("/api/renewals", params={"days": 90, "band": "red"}).json()
    assert [r["account_id"] for r in red["renewals"]] == ["ACC-006", "ACC-009"]
    assert red["total_arr"] == 1448000 and red["window_end"] == "2027-01-30"
    scoped = seller.get("/api/renewals", params={"days": 365}).json()
    assert {r["account_id"] for r in scoped["renewals"]} <= {"ACC-002", "ACC-005"}
    for params in ({"days": 0}, {"days": "soon"}, {"band": "purple"}, {"segment": "huge"}):
        assert admin.get("/api/renewals", params=params).status_code == 422
    purple = admin.get("/api/renewals", params={"band": "purple"})
    assert "bands: red, orange, yellow, green" in purple.text  # the rules' names
    top = admin.get("/api/accounts", params={"sort": "arr", "descending": "true", "limit": 2})
    arrs = [a["arr"] for a in top.json()["accounts"]]
    assert len(arrs) == 2 and arrs == sorted(arrs, reverse=True)
    risky = admin.get("/api/renewals", params={"days": 365, "health_below": 50}).json()
    assert risky["renewals"] and all(r["overall"] < 50 for r in risky["renewals"])


def test_incident_nps_and_trend_filters_as_query_parameters(admin: httpx.Client) -> None:
    params = {"incident_severity": ["sev1", "sev2"], "incidents_since": "2026-10-01"}
    severe = admin.get("/api/accounts", params=params).json()
    assert severe["accounts"] and all(a["incidents"] >= 1 for a in severe["accounts"])
    assert {a["incidents_since"] for a in severe["accounts"]} == {"2026-10-01"}
    negative = admin.get("/api/accounts", params={"nps_below": 0, "sort": "nps"}).json()
    scores = [a["nps"] for a in negative["accounts"]]
    assert scores and scores == sorted(scores) and max(scores) < 0
    declining = admin.get("/api/renewals", params={"days": 365, "trend": "declining"}).json()
    assert declining["renewals"] and {r["trend"] for r in declining["renewals"]} == {"declining"}
    bad = admin.get("/api/accounts", params={"incident_severity": "P9"})
    assert bad.status_code == 422 and "severities: sev1, sev2, sev3, sev4" in bad.text


def test_openapi_lists_the_account_routes(admin: httpx.Client) -> None:
    paths = admin.get("/openapi.json").json()["paths"]
    assert {
        "/api/accounts",
        "/api/accounts/{account_id}",
        "/api/accounts/{account_id}/metrics",
        "/api/renewals",
    } <= set(paths)


def test_metrics_are_recorded_and_seen_by_the_next_question(tmp_path: Path) -> None:
    with (
        serve(tmp_path) as live,
        httpx.Client(base_url=live.url, headers=bearer(CSM_KEY), timeout=30) as csm,
    ):
        url = "/api/accounts/ACC-002/metrics"
        health = {
            "metric": "health",
            "month": "2026-11-01",
            "deployment": 70,
            "adoption": 72,
            "breadth": 68,
            "engagement": 75,
            "outcomes": 65,
        }
        created = csm.post(url, json=health)
        assert created.status_code == 201, created.text
        assert created.json()["created"] is True and created.json()["record"]["overall"] == 70
        assert csm.post(url, json=health).status_code == 200  # same month: replaced
        detail = csm.get("/api/accounts/ACC-002").json()
        assert detail["health"]["overall"] == 70 and detail["health"]["month"] == "2026-11-01"
        answer = csm.post("/api/chat", json={"message": "What is Contoso Health's health score?"})
        assert "**70** (yellow, healthy)" in answer.json()["answer"]

        licenses = {
            "metric": "licenses",
            "module": "security",
            "licensed": 400,
            "active": 320,
            "assigned": 350,
        }
        assert csm.post(url, json=licenses).status_code == 200  # the module exists: replaced
        modules = csm.get("/api/accounts/ACC-002").json()["licenses"]["modules"]
        security = next(m for m in modules if m["module"] == "security")
        assert (security["active"], security["risk"], security["unused_share_pct"]) == (
            320,
            "Low",
            20.0,
        )
        chat = csm.post("/api/chat", json={"message": "licenses of Contoso Health"}).json()
        assert "| security | 400 | 320 | 350 | 80 | 20% | Low |" in chat["answer"]

        survey = {
            "metric": "survey",
            "kind": "csat",
            "score": 4.9,
            "respondent": "Ana (CIO)",
            "date": "2026-10-30",
        }
        assert csm.post(url, json=survey).status_code == 201
        voice = csm.post("/api/chat", json={"message": "CSAT of Contoso Health"}).json()
        assert "latest 4.9" in voice["answer"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (
            {
                "metric": "health",
                "month": "2026-10-15",
                "deployment": 1,
                "adoption": 1,
                "breadth": 1,
                "engagement": 1,
                "outcomes": 1,
            },
            422,
            "first day of a month",
        ),
        (
            {
                "metric": "health",
                "month": "2026-10-01",
                "deployment": 101,
                "adoption": 1,
                "breadth": 1,
                "engagement": 1,
                "outcomes": 1,
            },
            422,
            "less than or equal to 100",
        ),
        (
            {
                "metric": "health",
                "month": "2026-10-01",
                "deployment": 50,
                "adoption": 50,
                "breadth": 50,
                "engagement": 50,
                "outcomes": 50,
                "overall": 60,
            },
            422,
            "formula",
        ),
        (
            {
                "metric": "health",
                "month": "2027-01-01",
                "deployment": 50,
                "adoption": 50,
                "breadth": 50,
                "engagement": 50,
                "outcomes": 50,
            },
            422,
            "after today",
        ),
        (
            {"metric": "licenses", "module": "search", "licensed": 0, "active": 0, "assigned": 0},
            422,
            "greater than or equal to 1",
        ),
        (
            {"metric": "licenses", "module": "crm", "licensed": 10, "active": 5, "assigned": 5},
            422,
            "module",
        ),
        (
            {
                "metric": "survey",
                "kind": "nps",
                "score": 11,
                "respondent": "X",
                "date": "2026-10-01",
            },
            422,
            "0 to 10",
        ),
        (
            {
                "metric": "survey",
                "kind": "csat",
                "score": 0.5,
                "respondent": "X",
                "date": "2026-10-01",
            },
            422,
            "1 to 5",
        ),
        (
            {
                "metric": "survey",
                "kind": "nps",
                "score": 9,
                "respondent": " ",
                "date": "2026-10-01",
            },
            422,
            "respondent",
        ),
        ({"metric": "weather", "value": 3}, 422, "metric"),
        (
            {
                "metric": "survey",
                "kind": "nps",
                "score": 9,
                "respondent": "X",
                "date": "2026-10-01",
                "extra": True,
            },
            422,
            "extra",
        ),
    ],
)
def test_bad_metric_values_are_422(
    admin: httpx.Client, body: dict[str, object], status: int, fragment: str
) -> None:
    response = admin.post("/api/accounts/ACC-002/metrics", json=body)
    assert response.status_code == status
    assert fragment in response.text


def test_over_deployed_licenses_are_recorded_and_flagged(admin: httpx.Client) -> None:
    """Active above licensed is a real state (a true-up or an upsell), not a bad value."""
    body = {"metric": "licenses", "module": "search", "licensed": 10, "active": 12, "assigned": 5}
    response = admin.post("/api/accounts/ACC-002/metrics", json=body)
    assert response.status_code in (200, 201), response.text
    detail = admin.get("/api/accounts/ACC-002").json()
    search = next(m for m in detail["licenses"]["modules"] if m["module"] == "search")
    assert (search["licensed"], search["active"]) == (10, 12)
    assert search["risk"] == "over-deployed" and search["compliance_issue"] is True
    assert search["over_deployed_by"] == 2 and search["unused_share_pct"] is None


def test_unknown_account_is_404(admin: httpx.Client) -> None:
    body = {"metric": "survey", "kind": "nps", "score": 9, "respondent": "X", "date": "2026-10-01"}
    assert admin.post("/api/accounts/ACC-999/metrics", json=body).status_code == 404
    assert admin.get("/api/accounts/ACC-999").status_code == 404
    assert admin.get("/api/accounts/not-an-id").status_code == 422
