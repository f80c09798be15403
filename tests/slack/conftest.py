"""The Slack bot against a fake Slack Web API on loopback: the real app (uvicorn on
loopback) gets requests signed as Slack signs them; accounts imported, a small corpus
ingested, people mapped through a keys file."""

from __future__ import annotations

import itertools
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from fastapi import FastAPI
from slack_sdk.signature import SignatureVerifier

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.conftest import LiveServer, make_settings, write_corpus
from tests.slack.fake_slack import BOT_USER, FakeSlack

SECRET = "test-signing-secret"
PEOPLE = [  # user -> (role, accounts, slack ids, emails)
    {
        "key": "dana-key-0123456789abcdef",
        "user": "dana",
        "role": "seller",
        "accounts": ["ACC-002"],
        "slack_users": ["UDANA"],
    },
    {
        "key": "eve-key-0123456789abcdefgh",
        "user": "eve",
        "role": "csm",
        "accounts": ["ACC-002"],
        "emails": ["Eve@Example.com"],
    },
    {
        "key": "quinn-key-0123456789abcdef",
        "user": "quinn",
        "role": "seller",
        "accounts": ["ACC-002"],
        "slack_users": ["UQUINN"],
    },
]
SLACK_USERS = {
    "UDANA": {"profile": {"email": "dana@example.com"}},
    "UEVE": {"profile": {"email": "eve@example.com"}},
    "UNOBODY": {"profile": {"email": "nobody@example.com"}},
    "UQUINN": {"profile": {"email": "quinn@example.com"}},
}
SHARED = "CSHARED"


def bot_settings(data_dir: Path, fake: FakeSlack, keys: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "today": TODAY,
        "api_keys_file": keys,
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_app_token": "xapp-test-token",
        "slack_api_url": fake.api_url,
    }
    values.update(overrides)
    return make_settings(data_dir, **values)


def prepare(settings: Settings, knowledge: Path) -> None:
    """Accounts imported and the corpus ingested (then the process-wide resources closed)."""
    built = build_services(settings, HashingEmbedder())
    import_into(built)
    built.ingestor().run([write_corpus(knowledge)])
    built.close()


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory with the accounts and the corpus, copied for each bot."""
    root = tmp_path_factory.mktemp("slack-template")
    prepare(make_settings(root / "data", today=TODAY), root / "knowledge")
    return root / "data"


@dataclass
class Bot:
    """The app on loopback, the fake Slack it talks to, and a way to sign requests."""

    url: str
    app: FastAPI
    fake: FakeSlack
    http: httpx.Client

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ids):06d}"

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        return self.http.post("/slack/events", content=body.encode(), headers=sent)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        headers: dict[str, str] | None = None,
        **envelope: Any,
    ) -> httpx.Response:
        body = {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
            "event": event,
            **envelope,
        }
        return self.post(json.dumps(body), "application/json", headers=headers)

    def mention(self, text: str, user: str = "UDANA", channel: str = "CGENERAL", **kw: Any) -> str:
        """A mention at the top of a channel; returns the message ts (= the thread)."""
        ts = self.next_ts()
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER}> {text}",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        response = self.event(event, **kw)
        assert response.status_code == 200, response.text
        return ts

    def message(self, text: str, user: str, channel: str, **fields: Any) -> httpx.Response:
        ts = self.next_ts()
        event = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            **fields,
        }
        return self.event(event)

    def form(self, fields: dict[str, str], **kw: Any) -> httpx.Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return self.form({"payload": json.dumps(payload)})


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keys.yaml"
    path.write_text(yaml.safe_dump({"keys": PEOPLE}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(users=dict(SLACK_USERS), channels={SHARED: {"is_ext_shared": True}}) as server:
        yield server


def running_bot(
    root: Path, fake: FakeSlack, keys: Path, prepared: Path, **overrides: Any
) -> Iterator[Bot]:
    shutil.copytree(prepared, root / "data")
    settings = bot_settings(root / "data", fake, keys, **overrides)
    app = create_app(settings, HashingEmbedder())
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Bot(server.url, app, fake, http)


@pytest.fixture(scope="module")
def bot(
    tmp_path_factory: pytest.TempPathFactory, fake: FakeSlack, keys_file: Path, prepared: Path
) -> Iterator[Bot]:
    yield from running_bot(tmp_path_factory.mktemp("bot"), fake, keys_file, prepared)
