"""A scripted OpenAI-compatible chat model: a real HTTP server for the real SDK to talk to.

`enqueue()` queues what the next request gets: plain content, tool calls, an HTTP error, a
malformed body, a delay, a hang, a cut stream, a connection broken mid-stream, a given
`finish_reason`. A request with
`"stream": true` gets the same reply as server-sent chunks (content split into pieces, tool
arguments split into fragments). A hang keeps the connection busy without ever answering (an
SSE comment, or a space of the JSON body, every 0.2 s), so no read timeout ends it: only the
client giving up does. Every request body
is kept in `.history`. Without a queued reply the server answers 599, which no test expects.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Call:
    """A tool call the model makes: arguments as a dict, or a raw (possibly broken) string."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)

    @property
    def raw(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    content: str | None = None
    calls: tuple[Call, ...] = ()
    status: int = 200
    body: str | None = None  # sent as is (an error body, or malformed output)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts
    chunk_delay: float = 0.0  # seconds between streamed chunks
    piece: int = 7  # characters of content per streamed chunk
    hang: bool = False  # never answer; keep the connection alive until the client leaves
    cut: bool = False  # the stream stops after the content: no finish_reason, no [DONE]
    drop: bool = False  # the connection breaks after the content (an incomplete HTTP body)
    finish: str | None = None  # the finish_reason to report (default: stop or tool_calls)


def content(text: str, **kw: Any) -> Reply:
    return Reply(content=text, **kw)


def tools(*calls: Call, text: str | None = None, **kw: Any) -> Reply:
    return Reply(content=text, calls=calls, **kw)


def error(status: int, message: str = "scripted failure", **kw: Any) -> Reply:
    body = json.dumps({"error": {"message": message, "type": "server_error", "code": None}})
    return Reply(status=status, body=body, **kw)


def malformed(body: str = "{this is not json", **kw: Any) -> Reply:
    return Reply(body=body, **kw)


def hang(**kw: Any) -> Reply:
    return Reply(hang=True, **kw)


HANG_LIMIT = 60.0  # seconds a hang lasts at most, so a broken test cannot hold the server


class ScriptedModel:
    def __init__(self, model: str = "scripted-1") -> None:
        self.model = model
        self.queue: deque[Reply] = deque()
        self.history: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._complete, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    def enqueue(self, *replies: Reply) -> ScriptedModel:
        with self.lock:
            self.queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        return len(self.queue)

    async def _models(self, _: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            self.history.append(body)
            reply = self.queue.popleft() if self.queue else None
        if reply is None:
            return JSONResponse({"error": {"message": "no scripted reply"}}, status_code=599)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.hang:
            media = "text/event-stream" if body.get("stream") else "application/json"
            return StreamingResponse(
                self._trickle(request, bool(body.get("stream"))), 200, media_type=media
            )
        if reply.body is not None and reply.status == 200 and body.get("stream"):
            sse = f"data: {reply.body}\n\n"  # a malformed chunk
            return Response(sse, 200, reply.headers, media_type="text/event-stream")
        if reply.body is not None:
            media = "application/json"
            return Response(reply.body, reply.status, reply.headers, media_type=media)
        if body.get("stream"):
            return StreamingResponse(self._chunks(reply), media_type="text/event-stream")
        return JSONResponse(self._completion(reply), headers=reply.headers)

    def _completion(self, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{i}",
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.raw},
                }
                for i, c in enumerate(reply.calls)
            ]
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": _finish(reply),
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    async def _chunks(self, reply: Reply) -> AsyncIterator[str]:
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        text = reply.content or ""
        step = reply.piece
        deltas += [{"content": text[i : i + step]} for i in range(0, len(text), step)]
        for i, call in enumerate(reply.calls):
            head = {"index": i, "id": f"call_{i}", "type": "function"}
            deltas.append(
                {"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]}
            )
            raw = call.raw
            for j in range(0, len(raw), 9):
                deltas.append(
                    {"tool_calls": [{"index": i, "function": {"arguments": raw[j : j + 9]}}]}
                )
        for n, delta in enumerate(deltas):
            if n and reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
            yield _sse(self._chunk(delta, None))
        if reply.cut:
            return
        if reply.drop:
            raise ConnectionResetError("scripted: the connection broke mid-stream")
        yield _sse(self._chunk({}, _finish(reply)))
        yield "data: [DONE]\n\n"

    async def _trickle(self, request: Request, stream: bool) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + HANG_LIMIT
        while loop.time() < ends and not await request.is_disconnected():
            yield ": still thinking\n\n" if stream else " "
            await asyncio.sleep(0.2)

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }


def _finish(reply: Reply) -> str:
    return reply.finish or ("tool_calls" if reply.calls else "stop")


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"
