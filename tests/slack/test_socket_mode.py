"""Socket Mode (`assistant slack --socket`) runs the same app and listeners as HTTP."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.services import build_services
from assistant.slack.surface import SlackSurface, socket_mode_handler
from ingest.embedding import HashingEmbedder
from tests.slack.conftest import bot_settings
from tests.slack.fake_slack import BOT_USER, FakeSlack


class Connection:
    """The Socket Mode client's side the handler talks back to: it records the acks."""

    def __init__(self) -> None:
        import logging

        self.logger = logging.getLogger("tests.socket")
        self.acks: list[SocketModeResponse] = []

    async def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.acks.append(response)


def _envelope(ts: str, event_id: str) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        "event": {
            "type": "app_mention",
            "user": "UDANA",
            "channel": "CSOCKET",
            "ts": ts,
            "text": f"<@{BOT_USER}> How fast should a new customer be onboarded?",
        },
    }


def test_socket_mode_runs_the_same_handlers(
    tmp_path: Path, fake: FakeSlack, keys_file: Path, prepared: Path
) -> None:
    shutil.copytree(prepared, tmp_path / "data")
    settings = bot_settings(tmp_path / "data", fake, keys_file)
    services = build_services(settings, HashingEmbedder())
    surface = SlackSurface(settings, socket_mode=True)
    surface.start(services)
    ts = "1700000500.000001"

    async def run() -> None:
        handler = socket_mode_handler(surface)
        connection = Connection()
        try:
            for envelope in ("env-1", "env-2"):  # Slack delivers it again: answered once
                request = SocketModeRequest(
                    type="events_api", envelope_id=envelope, payload=_envelope(ts, "EvSOCKET1")
                )
                await handler.handle(connection, request)  # type: ignore[arg-type]
            assert [a.envelope_id for a in connection.acks] == ["env-1", "env-2"]
            reply = await asyncio.to_thread(fake.final_reply, "CSOCKET", ts)
            assert "30 days of signature" in reply.text and reply.thread_ts == ts
        finally:
            await handler.client.close()

    try:
        asyncio.run(run())
    finally:
        services.close()
    posts = [c for c in fake.called("chat.postMessage") if c.args["channel"] == "CSOCKET"]
    assert len(posts) == 1
    assert json.dumps(posts[0].args).count("Working on it") == 2  # the placeholder, replaced


def test_the_cli_says_what_socket_mode_needs(tmp_path: Path, monkeypatch: Any) -> None:
    from assistant.config import get_settings

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ASSISTANT_SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("ASSISTANT_SLACK_BOT_TOKEN", "xoxb-test")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        over_http = runner.invoke(cli, ["slack"])
        assert over_http.exit_code == 1 and "/slack/events" in over_http.output
        no_token = runner.invoke(cli, ["slack", "--socket"])
        assert no_token.exit_code == 1 and "ASSISTANT_SLACK_APP_TOKEN" in no_token.output
    finally:
        get_settings.cache_clear()
