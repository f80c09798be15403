"""Helpers for API tests of the LLM path: our server on loopback over a prepared data dir
(see the `data_dir` fixture), and server-sent events read back as (name, data) pairs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from assistant.api.app import create_app
from ingest.embedding import HashingEmbedder
from tests.accounts.keys import bearer
from tests.conftest import LiveServer
from tests.llm.conftest import llm_settings

Event = tuple[str, dict[str, Any]]


def read_events(lines: Iterator[str]) -> Iterator[Event]:
    name, data = "", ""
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            yield name, json.loads(data)
            name, data = "", ""


def stream_chat(client: httpx.Client, key: str, **body: Any) -> list[Event]:
    with client.stream(
        "POST", "/api/chat", json={**body, "stream": True}, headers=bearer(key)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(read_events(response.iter_lines()))


def serve(data_dir: Path, **overrides: Any) -> LiveServer:
    settings = llm_settings(
        data_dir / "data", "http://unused", api_keys_file=data_dir / "keys.yaml", **overrides
    )
    return LiveServer(create_app(settings, HashingEmbedder()))
