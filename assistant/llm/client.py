"""Talking to any OpenAI-compatible chat-completions endpoint through the official SDK.

Plain chat completions with function tools, nothing vendor-specific, so OpenAI, Azure OpenAI,
vLLM, Ollama, llama.cpp's server and LM Studio all work. There is ONE retry layer, this one:
the SDK client is built with `max_retries=0`, and `ModelCaller` retries timeouts, connection
errors, cut streams, 429 and 5xx itself, because only it knows the overall deadline: it never
waits longer than `max_retry_wait` nor past the deadline (a longer `Retry-After` falls back at
once, the grounded answer being instant), and each attempt's timeout is cut to the time left.

Calls run on the client's own event loop (`transport`), each cancelled at the deadline, so a
hung model never holds a request longer than `ASSISTANT_LLM_DEADLINE`. Every reply is held
to its bounds: `max_tokens` is always sent, a reply longer than `max_answer_chars` is refused
as soon as it passes the limit (never read, let alone stored, whole), and only a proper end
counts as an answer: a stream without a `finish_reason` was cut, and `finish_reason` `length`
or `content_filter` is no full answer either. Every way a call can fail ends in a
`ModelFailure` whose `reason` the response reports as `fallback_reason`.

The request is shaped for the provider (`providers.Shape`: reasoning models, Ollama's
`num_ctx`, parameters the endpoint rejected); a 400 naming a parameter it does not take
drops that parameter and sends the call again at once. Tools go natively, or, when the
endpoint has no native tool calling (`ASSISTANT_LLM_TOOL_CALLS=text`, or a 400 about
tools), described in the prompt, with the calls read from the reply's text
(`textcalls`); in `auto` mode a reply that writes calls as text is read the same way. Each
turn carries its token usage (the endpoint's, else an estimate).

What is around it, each in its own module: the settings and the client they build
(`config`), the fallback reasons and HTTP errors (`failures`), the request body (`request`),
a streamed reply read into a turn (`streaming`), the turn itself and a whole completion
(`turns`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import ValidationError

from assistant import tracing
from assistant.llm.config import LLMConfig, build_client
from assistant.llm.failures import (
    BUSY,
    CONNECTION,
    CONTEXT,
    CUT_STREAM,
    DEADLINE,
    FILTERED,
    HTTP_ERROR,
    MALFORMED,
    MAX_STEPS,
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    TOO_LONG,
    TRUNCATED,
    ModelFailure,
    status_failure,
)
from assistant.llm.providers import Shape, estimate_tokens
from assistant.llm.request import build_request
from assistant.llm.streaming import read_stream
from assistant.llm.transport import ModelClient
from assistant.llm.turns import (
    ModelTurn,
    Pieces,
    RequestedCall,
    TurnStream,
    parse_completion,
    read_text_calls,
)
from assistant.llm.usage import Usage

__all__ = [  # the names callers have always imported from here
    "BUSY",
    "CONNECTION",
    "CONTEXT",
    "CUT_STREAM",
    "DEADLINE",
    "FILTERED",
    "HTTP_ERROR",
    "MALFORMED",
    "MAX_STEPS",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "TIMEOUT",
    "TOO_LONG",
    "TRUNCATED",
    "LLMConfig",
    "ModelCaller",
    "ModelFailure",
    "ModelTurn",
    "RequestedCall",
    "TurnStream",
    "build_client",
]

log = logging.getLogger(__name__)

_MALFORMED_ERRORS = (ValueError, ValidationError, AttributeError, KeyError, IndexError, TypeError)
_UNFINISHED = {"length": TRUNCATED, "content_filter": FILTERED}
_GRACE = 0.5  # seconds the waiting thread allows past the deadline for the cancelled call


@dataclass
class _Progress:
    streamed: bool = False


class ModelCaller:
    def __init__(
        self,
        client: ModelClient,
        config: LLMConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.sleep = sleep

    @property
    def shape(self) -> Shape:
        return self.client.shape

    def turn(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        deadline: float,
        response_format: dict[str, Any] | None = None,
    ) -> TurnStream:
        """One completion, retried on transient failures while the deadline allows and
        nothing has been streamed yet (a retry would repeat text the user already has).
        A parameter the endpoint rejected is dropped and the call sent again at once."""
        attempt = 0
        while True:
            progress = _Progress()
            try:
                return (yield from self._once(messages, tools, deadline, progress, response_format))
            except ModelFailure as failure:
                if failure.adapted is not None and not progress.streamed:
                    log.warning("the endpoint rejects %s; sent again without it", failure.adapted)
                    continue
                log.warning("model call failed (attempt %d): %s", attempt + 1, failure)
                wait = failure.retry_after
                if wait is None or wait < 0:
                    wait = 0.25 * 2**attempt * (1 - 0.25 * random.random())
                if (
                    progress.streamed
                    or not failure.retryable
                    or attempt >= self.config.retries
                    or wait > self.config.max_retry_wait
                    or self.clock() + wait >= deadline
                ):
                    raise
                self.sleep(wait)
                attempt += 1

    def request(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        response_format: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The request body for this endpoint (without the per-attempt timeout)."""
        return build_request(self.config, self.shape, messages, tools, response_format)

    def _once(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        deadline: float,
        progress: _Progress,
        response_format: dict[str, Any] | None = None,
    ) -> TurnStream:
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise ModelFailure(DEADLINE, "no time left for another model call")
        request = self.request(messages, tools, response_format)
        request["timeout"] = min(self.config.request_timeout, remaining)
        names = {schema["name"] for schema in tools}
        text_calls = bool(tools) and self.config.tool_calls != "native"
        pieces: Pieces = queue.SimpleQueue()
        with tracing.span(
            "llm.call",
            model=self.config.model,
            provider=self.config.provider,
            tools=len(tools),
            native_tools="tools" in request,
        ) as span:
            future = self.client.submit(self._call(request, remaining, pieces, names, text_calls))
            try:
                while (piece := self._next(pieces, deadline)) is not None:
                    progress.streamed = True
                    yield piece
                turn = future.result(timeout=_GRACE)
            except concurrent.futures.TimeoutError as error:
                raise ModelFailure(DEADLINE, "the model call outlived the deadline") from error
            except concurrent.futures.CancelledError as error:
                raise ModelFailure(CONNECTION, "the model client was closed") from error
            finally:
                future.cancel()  # a call the caller stopped waiting for ends here
            span.set(
                finish_reason=turn.finish_reason or "",
                prompt_tokens=turn.usage.prompt_tokens,
                completion_tokens=turn.usage.completion_tokens,
                usage_estimated=turn.usage.estimated,
                cost_usd=turn.usage.cost(self.config.model, self.config.prices),
                tool_calls=len(turn.calls),
                text_calls=turn.text_calls,
            )
        if turn.finish_reason in _UNFINISHED:
            raise ModelFailure(
                _UNFINISHED[turn.finish_reason],
                f"the model stopped with finish_reason {turn.finish_reason!r}",
            )
        if not turn.content.strip() and not turn.calls:
            raise ModelFailure(MALFORMED, "the reply has neither text nor tool calls")
        return turn

    def _next(self, pieces: Pieces, deadline: float) -> str | None:
        try:
            return pieces.get(timeout=max(deadline - self.clock(), 0.0) + _GRACE)
        except queue.Empty:
            raise ModelFailure(DEADLINE, "the model did not answer before the deadline") from None

    async def _call(
        self,
        request: dict[str, Any],
        budget: float,
        pieces: Pieces,
        names: set[str],
        text_calls: bool,
    ) -> ModelTurn:
        """The HTTP exchange on the model loop, cancelled when the budget is spent."""
        try:
            async with asyncio.timeout(budget):
                if self.config.stream:
                    turn = await self._streamed(request, pieces, names if text_calls else None)
                else:
                    turn = parse_completion(
                        await self.client.sdk.chat.completions.create(**request)
                    )
                    self._bound(len(turn.content) + sum(len(c.arguments) for c in turn.calls))
                if text_calls and not turn.calls:
                    read_text_calls(turn, names)
                if turn.usage.calls == 0:  # the endpoint reported none
                    turn.usage = Usage(
                        estimate_tokens([request["messages"], request.get("tools")]),
                        estimate_tokens(turn.content + "".join(c.arguments for c in turn.calls)),
                        1,
                        estimated=True,
                    )
                return turn
        except TimeoutError as error:
            raise ModelFailure(DEADLINE, "the model did not finish before the deadline") from error
        except openai.APITimeoutError as error:
            if budget <= request["timeout"] + 0.01:  # the attempt was cut to the time left
                raise ModelFailure(
                    DEADLINE, "the model did not answer before the deadline"
                ) from error
            raise ModelFailure(TIMEOUT, str(error)) from error
        except openai.APIConnectionError as error:
            raise ModelFailure(CONNECTION, str(error)) from error
        except openai.APIStatusError as error:
            failure = status_failure(error)
            failure.adapted = self.shape.learn(error, request)
            raise failure from error
        except openai.APIError as error:  # an error event inside a stream
            raise ModelFailure(SERVER_ERROR, str(error)) from error
        except _MALFORMED_ERRORS as error:
            raise ModelFailure(MALFORMED, f"{type(error).__name__}: {error}") from error
        finally:
            pieces.put(None)

    async def _streamed(
        self, request: dict[str, Any], pieces: Pieces, names: set[str] | None
    ) -> ModelTurn:
        stream = await self.client.sdk.chat.completions.create(**request)
        return await read_stream(stream, pieces, names, self._bound)

    def _bound(self, size: int) -> int:
        if size > self.config.max_answer_chars:
            raise ModelFailure(
                TOO_LONG,
                f"the reply passed {self.config.max_answer_chars} characters "
                "(ASSISTANT_LLM_MAX_ANSWER_CHARS); it was not read further",
            )
        return size
