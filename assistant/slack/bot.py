"""The bot's work once Slack has its acknowledgement: who asks, may they, which conversation,
then the same engine as the API (`services.engine`), with progress and the answer in Block
Kit; every failure ends in a short reason in the thread and a log line with the event id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from assistant.drafts.service import docx
from assistant.engine.events import DeltaEvent, DoneEvent, ErrorEvent, Event, StatusEvent
from assistant.engine.types import ChatResponse, Citation, ToolCall
from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.services import Services
from assistant.slack import failures
from assistant.slack.blocks import answer_blocks, comment_view, fallback_text
from assistant.slack.people import Directory, knowledge_only
from assistant.slack.targets import Target, ThreadTarget
from assistant.store.feedback import FeedbackStore
from assistant.store.slack import SlackStore

log = logging.getLogger(__name__)
WORKING = "\u23f3 Working on it\u2026"
STAGES = {
    "received": "\u23f3 Reading the question\u2026",
    "searching": "\U0001f50e Searching the knowledge base\u2026",
    "thinking": "\U0001f914 Thinking\u2026",
    "composing": "\u270d\ufe0f Writing the answer\u2026",
    "fallback": "\u23f3 The model failed; answering from the knowledge base\u2026",
}
_MENTION = re.compile(r"<@[A-Z0-9]+>")
_DONE = object()


@dataclass
class Question:
    text: str
    user: str
    channel: str
    event_id: str  # what the logs name (an event id, or the interaction's trigger id)
    shared_flag: bool = False  # the envelope says the channel is shared (Slack Connect)
    new_conversation: bool = False  # the slash command starts a fresh conversation


def clean(text: str) -> str:
    """The question without mentions of the bot (or anyone)."""
    return _MENTION.sub(" ", text).strip()


class SlackBot:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        keep = max(self.settings.slack_dedupe_seconds, self.settings.slack_quota_window)
        self.store = SlackStore(services.database, keep)
        self.directory = Directory(services.api_keys, self.settings.slack_lookup_cache_seconds)
        self.feedback = FeedbackStore(services.database)

    # -- retries ----------------------------------------------------------------------------
    async def claim(self, event_id: str, user: str | None) -> bool:
        """First delivery of this id (False: a retry, or another worker took it)."""
        return await asyncio.to_thread(self.store.claim, event_id, user)

    async def answered_thread(self, channel: str, thread_ts: str) -> bool:
        return await asyncio.to_thread(self.store.answered, channel, thread_ts)

    # -- answering --------------------------------------------------------------------------
    async def answer(
        self, client: AsyncWebClient, question: Question, target: Target, *, shareable: bool = False
    ) -> None:
        """Answer in `target`; never returns without something shown there (or logged, when
        even the reason cannot be posted)."""
        try:
            await self._answer(client, question, target, shareable)
        except Exception as error:
            log.warning(
                "slack: answer failed (event %s, user %s, channel %s): %r",
                question.event_id,
                question.user,
                question.channel,
                error,
                exc_info=not isinstance(error, failures.EngineFailed | TimeoutError),
            )
            await self.tell(target, failures.reason(error, question.event_id), question.event_id)

    async def tell(self, target: Target, text: str, reference: str) -> None:
        try:
            await target.say(text)
        except Exception:
            log.exception("slack: could not post the reason either (event %s)", reference)

    async def principal_for(
        self, client: AsyncWebClient, question: Question, target: Target
    ) -> tuple[Principal | None, bool]:
        """The asker's principal for this channel (None after telling them why not), and
        whether it was cut to knowledge only (a shared channel, a guest)."""
        principal = await self.directory.principal(client, question.user)
        if principal is None:
            log.info("slack: unmapped user %s (event %s)", question.user, question.event_id)
            await target.say(failures.NOT_MAPPED.format(user=question.user))
            return None, False
        shared = await self.directory.shared(client, question.channel, question.shared_flag)
        if not shared:
            shared = (await self.directory.user(client, question.user)).guest
        if not shared:
            return principal, False
        if self.settings.slack_shared_channels == "decline":
            log.info(
                "slack: declined in shared channel %s (event %s)",
                question.channel,
                question.event_id,
            )
            await target.say(failures.SHARED_DECLINED)
            return None, False
        return knowledge_only(principal), True

    async def _answer(
        self, client: AsyncWebClient, question: Question, target: Target, shareable: bool
    ) -> None:
        principal, restricted = await self.principal_for(client, question, target)
        if principal is None:
            return
        s = self.settings
        await asyncio.to_thread(self.store.charge, question.event_id, question.user)
        count = await asyncio.to_thread(self.store.asked_since, question.user, s.slack_quota_window)
        if count > s.slack_user_quota:
            await target.say(
                failures.QUOTA.format(
                    count=count,
                    window=failures.window_words(s.slack_quota_window),
                    limit=s.slack_user_quota,
                )
            )
            return
        conversation = None
        if target.thread_ts is not None and not question.new_conversation:
            conversation = await asyncio.to_thread(
                self.store.conversation, question.channel, target.thread_ts, question.user
            )
        await target.progress(WORKING)
        response = await asyncio.wait_for(
            self._run(question.text, principal, conversation, target), s.slack_answer_timeout
        )
        conversation_id = response.conversation_id
        if target.thread_ts is not None:
            await asyncio.to_thread(
                self.store.link, question.channel, target.thread_ts, question.user, conversation_id
            )
        message_id = await asyncio.to_thread(self.store.latest_answer, conversation_id)
        rating = f"{conversation_id}:{message_id}" if message_id else None
        note = failures.SHARED_NOTE if restricted else None
        blocks = answer_blocks(response, rating=rating, shareable=shareable, note=note)
        await target.final(blocks, fallback_text(response))
        if response.draft and target.thread_ts is not None:
            await self._upload_draft(client, response, principal, question.channel, target)

    async def _run(
        self, text: str, principal: Principal, conversation: str | None, target: Target
    ) -> ChatResponse:
        """The engine's stream, read in a worker thread; progress goes to the placeholder."""
        events: Iterator[Event] = self.services.engine.stream(text, principal, conversation, None)
        streamed = ""
        while True:
            event = await asyncio.to_thread(next, events, _DONE)
            if event is _DONE:
                raise failures.EngineFailed(500, "the engine stopped without an answer")
            if isinstance(event, DoneEvent):
                return event.response
            if isinstance(event, ErrorEvent):
                if not event.final:  # the model's text is withdrawn; the grounded answer follows
                    streamed = ""
                    continue
                raise failures.EngineFailed(event.status, event.detail)
            if isinstance(event, StatusEvent):
                if event.discard:
                    streamed = ""
                await target.progress(STAGES.get(event.stage, WORKING))
            elif isinstance(event, DeltaEvent):
                streamed += event.text
                await target.progress(f"{streamed}\u2026")

    async def _upload_draft(
        self,
        client: AsyncWebClient,
        response: ChatResponse,
        principal: Principal,
        channel: str,
        target: Target,
    ) -> None:
        drafts = self.services.drafts
        draft_id = (response.draft or {}).get("draft_id")
        if drafts is None or not draft_id:
            return
        draft = await asyncio.to_thread(drafts.load, str(draft_id), principal)
        content = await asyncio.to_thread(docx, draft)
        kind = str(draft.kind).replace("_", "-")
        await client.files_upload_v2(
            channel=channel,
            thread_ts=target.thread_ts,
            content=content,
            filename=f"{kind}-{str(draft_id)[:8]}.docx",
            title=draft.title,
        )

    # -- buttons ----------------------------------------------------------------------------
    async def rate(
        self,
        client: AsyncWebClient,
        user: str,
        channel: str,
        value: str,
        rating: str,
        trigger_id: str | None,
    ) -> None:
        """Record a thumbs up/down (the same store as the web UI), then offer the comment."""
        conversation_id, _, message = value.partition(":")
        principal = await self.directory.principal(client, user)
        if principal is None:
            await _ephemeral(client, channel, user, failures.NOT_MAPPED.format(user=user))
            return
        try:
            saved = await asyncio.to_thread(
                self.feedback.record,
                conversation_id,
                "up" if rating == "up" else "down",
                message_id=int(message) if message.isdigit() else None,
                user=principal.user,
            )
        except NotFoundError:  # another person's conversation (or gone)
            await _ephemeral(
                client, channel, user, "Only the person who asked can rate this answer."
            )
            return
        if trigger_id:
            await client.views_open(trigger_id=trigger_id, view=comment_view(saved.id, rating))

    async def comment(self, client: AsyncWebClient, user: str, metadata: str, text: str) -> None:
        principal = await self.directory.principal(client, user)
        if principal is None or not metadata.isdigit() or not text.strip():
            return
        await asyncio.to_thread(self.store.comment, int(metadata), principal.user, text.strip())

    async def share(self, client: AsyncWebClient, user: str, channel: str, value: str) -> bool:
        """Post an ephemeral answer of the slash command for the channel to see."""
        conversation_id, _, message = value.partition(":")
        principal = await self.directory.principal(client, user)
        owner = await asyncio.to_thread(self.store.owner, conversation_id)
        if principal is None or owner != principal.user or not message.isdigit():
            await _ephemeral(
                client, channel, user, "Only the person who asked can share this answer."
            )
            return False
        found = await asyncio.to_thread(self.store.answer, conversation_id, int(message))
        if found is None:
            await _ephemeral(client, channel, user, "That answer is no longer available.")
            return False
        content, payload = found
        data: dict[str, Any] = json.loads(payload or "{}")
        response = ChatResponse(
            conversation_id=conversation_id,
            answer=content,
            citations=[Citation.model_validate(c) for c in data.get("citations", [])],
            tool_calls=[ToolCall.model_validate(c) for c in data.get("tool_calls", [])],
        )
        posted = await client.chat_postMessage(
            channel=channel,
            text=fallback_text(response),
            blocks=answer_blocks(response, rating=value) + _shared_by(user),
        )
        await asyncio.to_thread(self.store.link, channel, str(posted["ts"]), user, conversation_id)
        return True


def _shared_by(user: str) -> list[dict[str, Any]]:
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"Asked by <@{user}>"}]}]


async def _ephemeral(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    await client.chat_postEphemeral(channel=channel, user=user, text=text)


def thread_target(client: AsyncWebClient, channel: str, thread_ts: str) -> ThreadTarget:
    return ThreadTarget(client, channel, thread_ts)
