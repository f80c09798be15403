"""The Slack surface: a Bolt `AsyncApp` whose listeners hand questions to `SlackBot`.

Bolt acknowledges each request at once (events automatically, commands and actions with
`ack()`) and runs the listener after the acknowledgement, so Slack gets its answer within
3 s whatever the engine does. A global middleware drops a retried event (`event_id` seen
before, in the database every worker shares). The same app serves HTTP (`/slack/events` in
the FastAPI app, signature checked by Bolt: 401 for a bad signature or a timestamp older
than 5 minutes) and Socket Mode (`assistant slack --socket`).

Triggers: a mention; a direct message; a message in a thread the bot answered; `/assist`
(an ephemeral answer with "share in channel"); the message shortcut `ask_about_message`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from assistant.config import Settings
from assistant.errors import ConfigurationError
from assistant.services import Services
from assistant.slack.blocks import COMMENT_VIEW, FEEDBACK_DOWN, FEEDBACK_UP, SHARE
from assistant.slack.bot import WORKING, Question, SlackBot, clean
from assistant.slack.failures import reason
from assistant.slack.targets import EphemeralTarget, ThreadTarget

log = logging.getLogger(__name__)
COMMAND = "/assist"
SHORTCUT = "ask_about_message"
SEEN_REACTION = "eyes"
RETRIES = 2  # per Slack call: 429 (after its Retry-After), 500/503, connection errors


def web_client(settings: Settings) -> AsyncWebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        ],
    )


class SlackSurface:
    """The Bolt app and its listeners; `start(services)` gives it the engine."""

    def __init__(self, settings: Settings, *, socket_mode: bool = False) -> None:
        if settings.slack_bot_token is None:
            raise ConfigurationError("ASSISTANT_SLACK_BOT_TOKEN is not set")
        if not socket_mode and settings.slack_signing_secret is None:
            raise ConfigurationError(
                "ASSISTANT_SLACK_SIGNING_SECRET is not set: the Slack bot over HTTP needs the "
                "app's signing secret (Basic Information > App Credentials)"
            )
        secret = settings.slack_signing_secret
        self.settings = settings
        self._bot: SlackBot | None = None
        self.app = AsyncApp(
            client=web_client(settings),
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=not socket_mode,
            process_before_response=False,
        )
        self.handler = AsyncSlackRequestHandler(self.app)
        self._register()

    def start(self, services: Services) -> None:
        self._bot = SlackBot(services)

    def router(self) -> APIRouter:
        return slack_router()

    @property
    def bot(self) -> SlackBot:
        if self._bot is None:
            raise RuntimeError("the Slack surface has not been started")
        return self._bot

    def _register(self) -> None:
        app = self.app
        app.middleware(self._dedupe)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.command(COMMAND)(self._on_command)
        app.shortcut(SHORTCUT)(self._on_shortcut)
        app.action(FEEDBACK_UP)(self._on_feedback)
        app.action(FEEDBACK_DOWN)(self._on_feedback)
        app.action(SHARE)(self._on_share)
        app.view(COMMENT_VIEW)(self._on_comment)
        app.error(self._on_error)

    # -- middleware -------------------------------------------------------------------------
    async def _dedupe(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]], req: Any
    ) -> BoltResponse | None:
        event_id = body.get("event_id")
        first = True
        if body.get("type") == "event_callback" and event_id:
            first = await self.bot.claim(str(event_id), None)
        if not first:
            retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
            log.info("slack: dropped a repeat of event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        await next()
        return None

    # -- questions --------------------------------------------------------------------------
    async def _on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        await self._ask(client, event, body)

    async def _on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: Any
    ) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        bot_user = context.get("bot_user_id")
        text = str(event.get("text") or "")
        if event.get("channel_type") == "im":
            await self._ask(client, event, body)
            return
        thread = event.get("thread_ts")
        if not thread or (bot_user and f"<@{bot_user}>" in text):
            return  # a top-level channel message, or a mention (app_mention answers it)
        if await self.bot.answered_thread(str(event["channel"]), str(thread)):
            await self._ask(client, event, body)

    async def _ask(
        self, client: AsyncWebClient, event: dict[str, Any], body: dict[str, Any]
    ) -> None:
        channel = str(event["channel"])
        question = Question(
            text=clean(str(event.get("text") or "")),
            user=str(event["user"]),
            channel=channel,
            event_id=str(body.get("event_id") or event.get("client_msg_id") or event.get("ts")),
            shared_flag=bool(body.get("is_ext_shared_channel")),
        )
        thread = str(event.get("thread_ts") or event["ts"])
        await self._seen(client, channel, str(event["ts"]), question.event_id)
        await self.bot.answer(client, question, ThreadTarget(client, channel, thread))

    async def _seen(self, client: AsyncWebClient, channel: str, ts: str, reference: str) -> None:
        """An eyes reaction on the question: taken (the answer or a reason always follows)."""
        try:
            await client.reactions_add(channel=channel, timestamp=ts, name=SEEN_REACTION)
        except Exception as error:  # a missing scope must not stop the answer
            log.info("slack: no reaction on event %s: %r", reference, error)

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack(response_type="ephemeral", text=WORKING)
        channel = str(command.get("channel_id") or "")
        question = Question(
            text=str(command.get("text") or "").strip(),
            user=str(command.get("user_id") or ""),
            channel=channel,
            event_id=f"command:{command.get('trigger_id')}",
            new_conversation=True,
        )
        await self.bot.answer(client, question, EphemeralTarget(respond, channel), shareable=True)

    async def _on_shortcut(
        self, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        message = shortcut.get("message") or {}
        channel = str((shortcut.get("channel") or {}).get("id") or "")
        question = Question(
            text=clean(str(message.get("text") or "")),
            user=str((shortcut.get("user") or {}).get("id") or ""),
            channel=channel,
            event_id=f"shortcut:{shortcut.get('trigger_id')}",
        )
        thread = str(message.get("thread_ts") or message.get("ts") or "")
        await self.bot.answer(client, question, ThreadTarget(client, channel, thread))

    # -- buttons and the modal --------------------------------------------------------------
    async def _on_feedback(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user, channel = _who(body)
        rating = "up" if action.get("action_id") == FEEDBACK_UP else "down"
        try:
            await self.bot.rate(
                client,
                user,
                channel,
                str(action.get("value") or ""),
                rating,
                body.get("trigger_id"),
            )
        except Exception as error:
            await self._action_failed(client, body, error)

    async def _on_share(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        user, channel = _who(body)
        try:
            if await self.bot.share(client, user, channel, str(action.get("value") or "")):
                await respond(delete_original=True)
        except Exception as error:
            await self._action_failed(client, body, error)

    async def _on_comment(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        values = (view.get("state") or {}).get("values") or {}
        text = str(((values.get("comment") or {}).get("text") or {}).get("value") or "")
        user = str((body.get("user") or {}).get("id") or "")
        try:
            await self.bot.comment(client, user, str(view.get("private_metadata") or ""), text)
        except Exception:
            log.exception("slack: the feedback comment of %s was not saved", user)

    async def _action_failed(
        self, client: AsyncWebClient, body: dict[str, Any], error: Exception
    ) -> None:
        user, channel = _who(body)
        reference = str(body.get("trigger_id") or "")
        log.warning("slack: action failed (trigger %s, user %s): %r", reference, user, error)
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=reason(error, reference)
            )
        except Exception:
            log.exception("slack: could not post the reason either (trigger %s)", reference)

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: unhandled error (event %s): %r", body.get("event_id"), error)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = str((body.get("user") or {}).get("id") or "")
    channel = str(
        (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or ""
    )
    return user, channel


def slack_router() -> APIRouter:
    """`POST /slack/events`: the Events API, slash commands and interactivity (one URL)."""
    router = APIRouter(include_in_schema=False)

    @router.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        surface: SlackSurface = request.app.state.slack
        return await surface.handler.handle(request)

    return router


def socket_mode_handler(surface: SlackSurface) -> AsyncSocketModeHandler:
    """The Socket Mode connection of the same app (same listeners, no signature: the
    app-level token authenticates the WebSocket)."""
    token = surface.settings.slack_app_token
    if token is None:
        raise ConfigurationError("ASSISTANT_SLACK_APP_TOKEN (xapp-) is not set")
    return AsyncSocketModeHandler(surface.app, token.get_secret_value())
