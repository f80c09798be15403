"""A streamed completion read into a `ModelTurn`: text pieces passed on as they arrive, tool
call fragments joined, the usage chunk kept, and the reply held to its size bound.

Only a proper end counts: a stream without a `finish_reason` was cut (`incomplete_stream`).
When tool calls may come as text (`names` given), text that could be the start of a call
is held back (`TextCallGuard`) and passed on only once it turns out to be answer text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from assistant.llm.failures import CUT_STREAM, ModelFailure
from assistant.llm.textcalls import TextCallGuard, parse_text_calls
from assistant.llm.turns import ModelTurn, Pieces, RequestedCall
from assistant.llm.usage import Usage


async def read_stream(
    stream: Any, pieces: Pieces, names: set[str] | None, bound: Callable[[int], int]
) -> ModelTurn:
    """The turn of an SDK chat-completion stream; `bound(size)` raises past the size limit."""
    turn = ModelTurn()
    texts: list[str] = []
    size = 0
    parts: dict[int, dict[str, str]] = {}
    guard = TextCallGuard() if names is not None else None
    # the SDK stream's own SSE generator is closed here, not left to the garbage collector
    # (a reply refused mid-stream otherwise leaves `Response.aiter_raw` suspended, and it is
    # finalised later on whatever loop runs then)
    inner = getattr(stream, "_iterator", None)
    async with stream, _closing(inner):
        async for chunk in stream:
            if chunk.usage is not None:
                turn.usage = Usage(
                    chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0, 1
                )
            if not chunk.choices:
                continue  # the usage chunk
            choice = chunk.choices[0]
            delta = choice.delta
            if delta.content:
                size = bound(size + len(delta.content))
                texts.append(delta.content)
                ready = guard.feed(delta.content) if guard is not None else delta.content
                if ready:
                    pieces.put(ready)
            for call in delta.tool_calls or []:
                part = parts.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                part["id"] = call.id or part["id"]
                if call.function is not None:
                    arguments = call.function.arguments or ""
                    size = bound(size + len(arguments))
                    part["name"] += call.function.name or ""
                    part["arguments"] += arguments
            turn.finish_reason = choice.finish_reason or turn.finish_reason
    if turn.finish_reason is None:
        raise ModelFailure(CUT_STREAM, "the stream ended without a finish_reason")
    turn.content = "".join(texts)
    turn.calls = [
        RequestedCall(p["id"] or f"call_{i}", p["name"], p["arguments"] or "{}")
        for i, p in sorted(parts.items())
    ]
    if guard is not None and names is not None:
        held = guard.flush()
        if held and (turn.calls or not parse_text_calls(held, names)[1]):
            pieces.put(held)  # no call after all: the held text is answer text
    return turn


@asynccontextmanager
async def _closing(generator: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        close = getattr(generator, "aclose", None)
        if close is not None:
            await close()
