"""The admin page's model usage and cost (per day and model, per model) equal what the store
holds: answers written by the scripted model through our server, both on loopback."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.store.db import build_engine
from assistant.store.usage import usage
from tests.accounts.keys import ADMIN_KEY, bearer
from tests.conftest import LiveServer
from tests.llm.live import serve
from tests.llm.scripted import Call, ScriptedModel, content, tools

PRICES = {"scripted-1": (2.5, 10.0)}  # USD per million tokens in, out


@pytest.fixture(scope="module")
def priced(data_dir: Path, model_server: tuple[ScriptedModel, LiveServer]) -> Iterator[LiveServer]:
    url = f"{model_server[1].url}/v1"
    with serve(data_dir, llm_base_url=url, llm_prices=PRICES) as server:
        yield server


def table(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert body is not None, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1).split("<tbody>")[1], re.S)
    return [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_model_usage_and_cost_on_the_admin_page_equal_the_store(
    priced: LiveServer, model: ScriptedModel
) -> None:
    model.enqueue(
        tools(Call("search_knowledge", {"query": "how soon should a customer be live"})),
        content("A new customer should be live within 30 days of signature [1]."),
        content("Partners receive a referral fee [1]."),
    )
    for question in ("When should a new customer be live?", "What do partners receive?"):
        answered = httpx.post(
            f"{priced.url}/api/chat",
            json={"message": question},
            headers=bearer(ADMIN_KEY),
            timeout=30,
        ).json()
        assert answered["engine"] == "llm:scripted-1", answered
    settings = priced.server.config.app.state.services.settings  # type: ignore[attr-defined]
    database = build_engine(settings)
    try:
        stored = usage(database, dt.date(2000, 1, 1))
    finally:
        database.dispose()
    (per_model,) = stored.llm_per_model
    assert (per_model.model, per_model.answers, per_model.calls) == ("scripted-1", 2, 3)
    assert per_model.prompt_tokens > 0 and per_model.completion_tokens > 0
    expected = (per_model.prompt_tokens * 2.5 + per_model.completion_tokens * 10.0) / 1e6
    assert per_model.cost_usd == pytest.approx(expected, abs=2e-6)

    with httpx.Client(base_url=priced.url, timeout=30) as browser:
        signed = browser.post("/sign-in", data={"key": ADMIN_KEY, "next": "/admin"})
        assert signed.status_code == 303
        page = browser.get(signed.headers["location"]).text
    shown = table(page, "llm-per-model")
    assert shown == [
        [
            "scripted-1",
            "2",
            "3",
            str(per_model.prompt_tokens),
            str(per_model.completion_tokens),
            f"${per_model.cost_usd:.4f}",
        ]
    ]
    days = table(page, "llm-per-day")
    assert [(d[0], d[1], int(d[2])) for d in days] == [
        (str(u.day), u.model, u.answers) for u in stored.llm_per_day
    ]
    assert sum(int(d[4]) for d in days) == per_model.prompt_tokens
    report = httpx.get(f"{priced.url}/api/admin/usage", headers=bearer(ADMIN_KEY)).json()
    assert report["llm_per_model"][0]["cost_usd"] == per_model.cost_usd
    assert report["llm_per_day"][0]["day"] == str(stored.llm_per_day[0].day)
