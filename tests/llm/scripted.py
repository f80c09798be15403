"""A scripted OpenAI-compatible chat model: a real HTTP server for the real SDK to talk to.

`enqueue()` queues what the next request gets: plain content, tool calls, an HTTP error, a
malformed body, a delay, a hang, a cut stream, a connection broken mid-stream, a given
`finish_reason`. A request with
`"stream": true` gets the same reply as server-sent chunks (content split into pieces, tool
arguments split into fragments). A hang keeps the connection busy without ever answering (an
SSE comment, or a space of the JSON body, every 0.2 s), so no read timeout ends it: only the
client giving up does. Every request body
is kept in `.history` (its path, query and headers in `.requests`). Without a queued reply
the server answers 599, which no test expects.

`quirks` make it behave like a real provider that is not OpenAI (set per test):

    azure          only /openai/deployments/<deployment>/chat/completions, with an
                   `api-version` query and an `api-key` header (else 404 / 401)
    no_sampling    a reasoning model: 400 for `temperature` and for `max_tokens`
    ollama_ctx     a context of `options.num_ctx` tokens (2048 when unset): a longer prompt
                   (messages and tool schemas)
                   is cut silently, from the start, so the model never sees its instructions
    no_tools       400 for `tools` (vLLM without --enable-auto-tool-choice, llama.cpp
                   without --jinja)
    no_usage       no usage chunk in a stream, whatever `stream_options` asks
    no_json_schema 400 for `response_format`

Usage is counted as a real server would: prompt tokens from the request size, completion
tokens from the reply.
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
        self.requests: list[dict[str, Any]] = []
        self.quirks: set[str] = set()
        self.streams: list[str] = []  # each streamed reply: "finished" or "abandoned"
        self.lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._complete, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route(
                    "/openai/deployments/{deployment}/chat/completions",
                    self._complete,
                    methods=["POST"],
                ),
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

    def reset(self) -> None:
        with self.lock:
            self.queue.clear()
            self.history.clear()
            self.requests.clear()
            self.streams.clear()
            self.quirks = set()

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        with self.lock:
            self.history.append(body)
            self.requests.append(
                {
                    "path": request.url.path,
                    "query": dict(request.query_params),
                    "headers": dict(request.headers),
                }
            )
            refusal = self._refusal(request, body)
            reply = self.queue.popleft() if self.queue and refusal is None else None
        if refusal is not None:
            return refusal
        if reply is None:
            return JSONResponse({"error": {"message": "no scripted reply"}}, status_code=599)
        if "ollama_ctx" in self.quirks and _tokens(
            [body["messages"], body.get("tools")]
        ) > _num_ctx(body):
            reply = Reply(content="I have no instructions; what would you like to know?")
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
            return StreamingResponse(self._chunks(body, reply), media_type="text/event-stream")
        return JSONResponse(self._completion(body, reply), headers=reply.headers)

    def _refusal(self, request: Request, body: dict[str, Any]) -> Response | None:
        """What a provider with these quirks answers instead of a completion (or None)."""
        azure = request.url.path.startswith("/openai/deployments/")
        if "azure" in self.quirks and not azure:
            return _refuse(404, "Resource not found", None, "404")
        if azure and "api-version" not in request.query_params:
            return _refuse(404, "Resource not found (no api-version)", None, "404")
        if azure and request.headers.get("api-key") is None:
            return _refuse(401, "Access denied due to missing api-key header", None, "401")
        if "no_sampling" in self.quirks:
            for name, hint in (("temperature", ""), ("max_tokens", " Use 'max_completion_tokens'")):
                if name in body:
                    message = (
                        f"Unsupported parameter: '{name}' is not supported with this model.{hint}"
                    )
                    return _refuse(400, message, name, "unsupported_parameter")
        if "no_tools" in self.quirks and "tools" in body:
            message = (
                '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser '
                "to be set"
            )
            return _refuse(400, message, None, None)
        if "no_json_schema" in self.quirks and "response_format" in body:
            return _refuse(400, "response_format json_schema is not supported", None, None)
        return None

    def usage(self, body: dict[str, Any], reply: Reply) -> dict[str, int]:
        prompt = _tokens([body.get("messages"), body.get("tools")])
        completion = _tokens(reply.content or "") + sum(_tokens(c.raw) for c in reply.calls)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
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
            **({} if "no_usage" in self.quirks else {"usage": self.usage(body, reply)}),
        }

    async def _chunks(self, body: dict[str, Any], reply: Reply) -> AsyncIterator[str]:
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
        ended = "abandoned"  # unless the client reads to the end: it closed the stream
        try:
            for n, delta in enumerate(deltas):
                if n and reply.chunk_delay:
                    await asyncio.sleep(reply.chunk_delay)
                yield _sse(self._chunk(delta, None))
            ended = "finished"
        finally:
            self.streams.append(ended)
        if reply.cut:
            return
        if reply.drop:
            raise ConnectionResetError("scripted: the connection broke mid-stream")
        yield _sse(self._chunk({}, _finish(reply)))
        wants = (body.get("stream_options") or {}).get("include_usage")
        if wants and "no_usage" not in self.quirks:
            usage = {**self._chunk({}, None), "choices": [], "usage": self.usage(body, reply)}
            yield _sse(usage)
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


def _refuse(status: int, message: str, param: str | None, code: str | None) -> Response:
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return JSONResponse({"error": error}, status_code=status)


def _tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value)
    return len(text) // 4


def _num_ctx(body: dict[str, Any]) -> int:
    options = body.get("options") or {}
    return int(options.get("num_ctx", 2048))
