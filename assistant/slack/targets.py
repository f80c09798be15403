"""Where an answer goes: a thread (a placeholder message, updated as the answer comes, then
replaced by it) or, for the slash command, the asker's ephemeral reply (`response_url`)."""

from __future__ import annotations

import time
from typing import Any, Protocol

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from assistant.slack.blocks import Block, notice

PROGRESS_INTERVAL = 1.0  # seconds between two updates of the placeholder


class Target(Protocol):
    channel: str
    thread_ts: str | None

    async def progress(self, text: str) -> None: ...

    async def final(self, blocks: list[Block], text: str) -> str | None:
        """Show the answer; the message ts when it is a channel message."""

    async def say(self, text: str) -> None:
        """A short message (a refusal, a reason), in place of the placeholder if any."""


class ThreadTarget:
    def __init__(self, client: AsyncWebClient, channel: str, thread_ts: str) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts: str | None = thread_ts
        self.placeholder: str | None = None
        self._shown = ""
        self._last = 0.0

    async def progress(self, text: str) -> None:
        if text == self._shown:
            return
        now = time.monotonic()
        if self.placeholder is None:
            response = await self.client.chat_postMessage(
                channel=self.channel, thread_ts=self.thread_ts, text=text, blocks=notice(text)
            )
            self.placeholder = str(response["ts"])
        elif now - self._last >= PROGRESS_INTERVAL:
            await self.client.chat_update(
                channel=self.channel, ts=self.placeholder, text=text, blocks=notice(text)
            )
        else:
            return
        self._shown = text
        self._last = now

    async def final(self, blocks: list[Block], text: str) -> str | None:
        if self.placeholder is not None:
            await self.client.chat_update(
                channel=self.channel, ts=self.placeholder, text=text, blocks=blocks
            )
            return self.placeholder
        response = await self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread_ts, text=text, blocks=blocks
        )
        return str(response["ts"])

    async def say(self, text: str) -> None:
        await self.final(notice(text), text)


class EphemeralTarget:
    """The slash command's reply, visible to the asker only."""

    def __init__(self, respond: AsyncRespond, channel: str) -> None:
        self.respond = respond
        self.channel = channel
        self.thread_ts: str | None = None
        self._last = 0.0

    async def _send(self, **kwargs: Any) -> None:
        response = await self.respond(response_type="ephemeral", replace_original=True, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"response_url answered {response.status_code}: {response.body}")

    async def progress(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            await self._send(text=text)

    async def final(self, blocks: list[Block], text: str) -> str | None:
        await self._send(text=text, blocks=blocks)
        return None

    async def say(self, text: str) -> None:
        await self._send(text=text, blocks=notice(text))
