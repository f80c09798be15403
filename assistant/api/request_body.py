"""`RequestBodyGuard`: the request body is size-limited and JSON in the strict sense.

Before any route sees a body, this ASGI middleware
- refuses one over `settings.max_request_bytes` with 413, from its `Content-Length` or, for
  a chunked body, as soon as the bytes read pass the limit (the rest is not read);
- refuses, with 422, JSON that Python's parser takes but JSON (RFC 8259) does not, and that
  would otherwise fail deep in the service: `NaN`/`Infinity`, a lone surrogate escape
  (`"\\ud800"`, not encodable as UTF-8, so not storable or printable), and nesting too deep
  for the parser; and, with 422 too, a NUL character (`"\\u0000"`), which PostgreSQL cannot
  store.
Anything else, valid or not, goes on unchanged; the routes' own validation answers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_response
from assistant.config import Settings


class BodyRejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _NotJSON(ValueError):
    """A token RFC 8259 does not have (NaN, Infinity, -Infinity)."""


class RequestBodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _settings(scope).max_request_bytes
        try:
            _check_length(scope, limit)
            body, last = await _read(receive, limit)
            if body and _is_json(scope):
                check_json(body)
        except BodyRejected as rejected:
            await error_response(rejected.status, rejected.detail)(scope, receive, send)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return last if last["type"] == "http.disconnect" else await receive()

        await self.app(scope, replay, send)


def _settings(scope: Scope) -> Settings:
    settings = scope["app"].state.services.settings
    assert isinstance(settings, Settings)
    return settings


def _too_large(size: str, limit: int) -> BodyRejected:
    return BodyRejected(
        413,
        f"request body is {size} bytes; the limit is {limit} (ASSISTANT_MAX_REQUEST_BYTES): "
        "send less (a shorter message or history)",
    )


def _check_length(scope: Scope, limit: int) -> None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise BodyRejected(422, "Content-Length is not a number") from None
            if length > limit:
                raise _too_large(str(length), limit)


async def _read(receive: Receive, limit: int) -> tuple[bytes, Message]:
    """The whole body (refused past `limit`) and the last message received."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(f"over {limit}", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), message


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON without a content type too."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = bytes(value).decode("latin-1").split(";")[0].strip().lower()
            return media == "application/json" or media.endswith("+json")
    return True


def _reject_constant(token: str) -> Any:
    raise _NotJSON(token)


def check_json(body: bytes) -> None:
    """BodyRejected (422) for NaN/Infinity, lone surrogates or too deep nesting."""
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except _NotJSON as error:
        raise BodyRejected(
            422, f"request body has {error}, which is not a JSON number: send a finite number"
        ) from None
    except RecursionError:
        raise BodyRejected(422, "request body is nested too deeply") from None
    except ValueError:
        return  # not JSON at all: the route's validation says so
    where = _unencodable(value, "body")
    if where is not None:
        raise BodyRejected(
            422,
            f"{where} has a lone surrogate escape (such as \\ud800), which is not a character: "
            "send valid Unicode text",
        )
    # hardening (issue 11): PostgreSQL cannot store NUL in text (a 500 there), SQLite keeps
    # it and every reader trips over it later; no field of the API has a use for it
    where = _first(value, "body", lambda text: "\x00" in text)
    if where is not None:
        raise BodyRejected(
            422, f"{where} has a NUL character (\\u0000), which cannot be stored: remove it"
        )


def _unencodable(value: object, where: str) -> str | None:
    """The location of the first string UTF-8 cannot encode, if any."""
    return _first(value, where, lambda text: not _encodable(text))


def _first(value: object, where: str, bad: Callable[[str], bool]) -> str | None:
    """The location of the first string (value or key) that is `bad`, if any."""
    stack: list[tuple[object, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if bad(item):
                return at
        elif isinstance(item, dict):
            for key, child in item.items():
                if bad(key):
                    return f"{at} (a key)"
                stack.append((child, f"{at}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{at}[{i}]") for i, child in enumerate(item))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
