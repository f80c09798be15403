"""Canary values planted in one account never reach a key without that account, through
chat, search, tools or REST; the key that holds the account does see them (the control)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.errors import PermissionDeniedError
from assistant.principal import Principal
from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import DATA, TODAY
from tests.accounts.keys import SELLER_KEY, bearer, write_keys
from tests.conftest import REPO, LiveServer, make_settings

HOLDER_KEY = "holder-key-0123456789abcdef"
CANARIES = [
    "Zephyrine",
    "Quintessa",
    "7,777,777",
    "7777777",
    "quartz-heron",
    "Ottoline",
    "Bartholomew",
    "OPP-900",
]
OUTSIDER = Principal("sam", "seller", frozenset({"ACC-002", "ACC-005"}))

NOTE = """---
title: "Account note: Zephyrine Canary Holdings"
doc_type: account_note
accounts: [ACC-900]
---
# Account note: Zephyrine Canary Holdings

## Snapshot
Zephyrine Canary Holdings has an ARR of $7,777,777 and its CSM is Quintessa Marlowe-Vance.
The quartz-heron migration of Zephyrine Canary Holdings is at risk and the health score is red.
"""
MEDDICC = """---
title: "MEDDICC: Zephyrine quartz-heron expansion"
doc_type: meddicc
accounts: [ACC-900]
---
# MEDDICC: Zephyrine quartz-heron expansion

## Champion
Bartholomew Canary, who sponsors the quartz-heron migration and owns the health budget.
"""


def plant(tmp: Path) -> tuple[Path, Path]:
    exports = tmp / "exports"
    shutil.copytree(DATA, exports)
    rows = {
        "accounts.csv": "ACC-900,Zephyrine Canary Holdings,retail,enterprise,100000,7777777,"
        "2025-01-01,2026-12-01,Quintessa Marlowe-Vance,Rachel Adams,,none,renew",
        "licenses.csv": "ACC-900,search,9000,900,4000",
        "health_snapshots.csv": "ACC-900,2026-10-01,20,25,30,35,40,30\n"
        "ACC-900,2025-11-01,60,60,60,60,60,60",
        "surveys.csv": "ACC-900,2026-10-05,nps,2,Ottoline Canarywood (CIO)",
        "incidents.csv": "ACC-900,2026-10-01,sev1,7",
        "outcomes.csv": "ACC-900,2026-09-01,Quartz-heron pilot live,Ottoline signed off,"
        "Ottoline Canarywood (CIO)",
    }
    for name, line in rows.items():
        with (exports / name).open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    opportunities = json.loads((exports / "opportunities.json").read_text())
    meddicc = dict.fromkeys(opportunities[0]["meddicc"], None)
    meddicc["champion"] = "Bartholomew Canary"
    opportunities.append(
        {
            "id": "OPP-900",
            "account_id": "ACC-900",
            "name": "Zephyrine quartz-heron",
            "service": "genai-search-accelerator",
            "stage": "demo",
            "amount": 7777777,
            "close_date": "2026-12-15",
            "meddicc": meddicc,
        }
    )
    (exports / "opportunities.json").write_text(json.dumps(opportunities))
    knowledge = tmp / "knowledge"
    for sub in ("account-notes", "meddicc", "guides"):
        (knowledge / sub).mkdir(parents=True)
    (knowledge / "account-notes" / "acc-900.md").write_text(NOTE)
    (knowledge / "meddicc" / "opp-900.md").write_text(MEDDICC)
    shutil.copy(REPO / "knowledge/account-notes/acc-002.md", knowledge / "account-notes")
    shutil.copy(REPO / "knowledge/guides/health-scoring.md", knowledge / "guides")
    return exports, knowledge


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from assistant.api.app import create_app

    tmp = tmp_path_factory.mktemp("leak")
    exports, knowledge = plant(tmp)
    holder = {"key": HOLDER_KEY, "user": "hal", "role": "csm", "accounts": ["ACC-900"]}
    keys = write_keys(tmp / "keys.yaml", [holder])
    settings = make_settings(tmp / "data", today=TODAY, api_keys_file=keys)
    services = build_services(settings, HashingEmbedder())
    report = import_into(services, exports)
    assert not [i for i in report.rejected if "ACC-900" in str(i)], report.rejected
    services.ingestor().run([knowledge])
    services.close()
    services = build_services(settings, HashingEmbedder())
    with LiveServer(create_app(settings, HashingEmbedder())) as live:
        yield live.url, services
    services.close()


QUESTIONS = [
    "How is Zephyrine Canary Holdings doing?",
    "How is Zephyrine doing?",
    "What is the health of Zephyrine Canary?",
    "Who is the CSM Quintessa Marlowe-Vance working with?",
    "Tell me about the quartz-heron migration",
    "What is the quartz-heron migration at risk for?",
    "Who is the champion Bartholomew Canary?",
    "Which accounts renew in the next 365 days?",
    "Which accounts renew in the next 90 days with red health?",
    "Which accounts are at risk?",
    "List our enterprise accounts",
    "Where are we under-deployed?",
    "Which accounts are expansion targets?",
    "Which accounts are in the Fix adoption quadrant?",
    "What is the health score of ACC-900?",
    "MEDDICC of OPP-900",
    "Show the MEDDICC of the Zephyrine deal",
    "account with ARR of $7,777,777",
]


def exchanges(url: str, key: str) -> list[tuple[str, str]]:
    """(request, response body) on every path that could carry the canaries."""
    out: list[tuple[str, str]] = []
    with httpx.Client(base_url=url, headers=bearer(key), timeout=60) as client:

        def post(path: str, body: dict[str, Any]) -> None:
            out.append((json.dumps(body), client.post(path, json=body).text))

        def get(path: str, params: dict[str, Any] | None = None) -> None:
            out.append((path + json.dumps(params), client.get(path, params=params).text))

        for question in QUESTIONS:
            post("/api/chat", {"message": question})
            post("/api/search", {"query": question, "k": 50})
        for doc_type in (["account_note"], ["meddicc"], None):
            post(
                "/api/search",
                {"query": "migration at risk champion", "k": 50, "doc_type": doc_type},
            )
        get("/api/accounts")
        get("/api/accounts", {"band": ["red"]})
        get("/api/renewals", {"days": 1095})
        get("/api/accounts/ACC-900")
        post("/api/chat", {"message": "NPS?", "account_id": "ACC-900"})
        post("/api/search", {"query": "migration", "account": "ACC-900"})
    return out


def leaks(pairs: list[tuple[str, str]]) -> set[str]:
    """Canaries in a response that its request did not contain (an echo is not a leak)."""
    return {
        c for request, response in pairs for c in CANARIES if c in response and c not in request
    }


def test_a_key_without_the_account_never_sees_the_canaries(planted: tuple[str, Any]) -> None:
    url, _ = planted
    assert not leaks(exchanges(url, SELLER_KEY))


def test_the_holder_does_see_them(planted: tuple[str, Any]) -> None:
    url, _ = planted
    assert leaks(exchanges(url, HOLDER_KEY)) == set(CANARIES)


def test_out_of_scope_requests_are_403(planted: tuple[str, Any]) -> None:
    url, _ = planted
    with httpx.Client(base_url=url, headers=bearer(SELLER_KEY), timeout=60) as client:
        assert client.get("/api/accounts/ACC-900").status_code == 403
        assert (
            client.post("/api/chat", json={"message": "x", "account_id": "ACC-900"}).status_code
            == 403
        )
        assert (
            client.post("/api/search", json={"query": "x", "account": "ACC-900"}).status_code == 403
        )


def test_tools_never_return_the_canaries(planted: tuple[str, Any]) -> None:
    _, services = planted
    tools = services.tools
    portfolio = [
        ("list_accounts", {}),
        ("renewals_due", {"days": 1095}),
        ("license_utilization", {}),
        ("license_utilization", {"risk": ["High"]}),
        ("expansion_targets", {}),
        ("expansion_targets", {"quadrant": "Fix adoption"}),
    ]
    for name, args in portfolio:
        text = tools.call(name, args, OUTSIDER).model_dump_json()
        assert not [c for c in [*CANARIES, "ACC-900"] if c in text], name
        holder = tools.call(name, args, Principal("hal", "csm", frozenset({"ACC-900"})))
        assert "ACC-900" in holder.model_dump_json(), name
    for name in (
        "account_overview",
        "health_score",
        "license_utilization",
        "survey_trend",
        "support_incidents",
        "expansion_targets",
        "opportunity",
    ):
        with pytest.raises(PermissionDeniedError):
            tools.call(name, {"account_id": "ACC-900"}, OUTSIDER)
    with pytest.raises(PermissionDeniedError):
        tools.call("opportunity", {"opportunity_id": "OPP-900"}, OUTSIDER)
