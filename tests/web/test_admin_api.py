"""GET /api/admin/usage and /api/admin/feedback-export: figures from the store, admins only."""

from __future__ import annotations

import datetime as dt

import httpx
import yaml
from sqlalchemy import update

from assistant.store.conversations import MessageRow
from assistant.store.db import build_engine, session_factory
from assistant.store.usage import percentile, usage
from tests.accounts.keys import ADMIN_KEY, CSM_KEY, SELLER_KEY, bearer
from tests.api.conftest import Served


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0 and percentile(values, 0.95) == 95.0
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.0


def test_usage_counts_what_the_store_holds(keyed: Served) -> None:
    url = keyed.url
    asked = [
        (SELLER_KEY, "When should a new customer be live?"),
        (SELLER_KEY, "What is the health score of ACC-002?"),
        (CSM_KEY, "What is the capital of France?"),
    ]
    conversations = []
    for key, message in asked:
        response = httpx.post(
            f"{url}/api/chat", json={"message": message}, headers=bearer(key), timeout=30
        )
        assert response.status_code == 200, response.text
        conversations.append(response.json())
    assert conversations[2]["declined"]
    rated = httpx.post(
        f"{url}/api/feedback",
        json={
            "conversation_id": conversations[0]["conversation_id"],
            "rating": "down",
            "comment": "too short",
        },
        headers=bearer(SELLER_KEY),
    )
    assert rated.status_code == 201
    # an answer from long ago is outside the window
    database = build_engine(keyed.settings)
    try:
        with session_factory(database).begin() as session:
            session.execute(
                update(MessageRow)
                .where(MessageRow.conversation_id == conversations[1]["conversation_id"])
                .values(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            )
        stored = usage(database, dt.date(2000, 1, 1))
    finally:
        database.dispose()

    report = httpx.get(f"{url}/api/admin/usage?days=3650", headers=bearer(ADMIN_KEY)).json()
    recent = httpx.get(f"{url}/api/admin/usage?days=7", headers=bearer(ADMIN_KEY)).json()
    assert report["questions"] == stored.questions
    assert recent["questions"] == stored.questions - 1  # the old answer is left out
    assert sum(d["questions"] for d in report["per_day"]) == report["questions"]
    intents = {(d["engine"], d["intent"]) for d in report["per_day"]}
    assert ("grounded", "knowledge") in intents and len(intents) >= 2
    assert report["latency_p50_ms"] == stored.latency_p50_ms
    assert report["latency_p95_ms"] == stored.latency_p95_ms
    assert report["timed"] == report["questions"]
    assert [d["question"] for d in report["declined"]] == ["What is the capital of France?"]
    assert [(t["comment"], t["user"]) for t in report["thumbs_down"]] == [("too short", "sam")]
    assert {"account_id": "ACC-002", "answers": 1} in report["top_accounts"]

    exported = httpx.get(f"{url}/api/admin/feedback-export", headers=bearer(ADMIN_KEY))
    assert exported.status_code == 200
    suite = yaml.safe_load(exported.text)
    assert suite["needs_review"] is True
    assert [c["ask"] for c in suite["cases"]] == ["When should a new customer be live?"]


def test_admin_routes_need_the_admin_role(keyed: Served) -> None:
    for path in ("/api/admin/usage", "/api/admin/feedback-export"):
        response = httpx.get(f"{keyed.url}{path}", headers=bearer(SELLER_KEY))
        assert response.status_code == 403 and "admin" in response.json()["detail"]
    bad = httpx.get(f"{keyed.url}/api/admin/usage?days=0", headers=bearer(ADMIN_KEY))
    assert bad.status_code == 422
