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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import email.utils
import json
import logging
import queue
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import openai
from pydantic import ValidationError

from assistant import tracing
from assistant.config import Settings
from assistant.llm.providers import Shape, build_sdk, estimate_tokens
from assistant.llm.textcalls import TextCallGuard, parse_text_calls, text_messages
from assistant.llm.transport import ModelClient
from assistant.llm.usage import Usage

log = logging.getLogger(__name__)

# fallback reasons
TIMEOUT = "timeout"
CONNECTION = "connection_error"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
HTTP_ERROR = "http_error"
MALFORMED = "malformed_output"
DEADLINE = "deadline_exceeded"
MAX_STEPS = "max_steps_exceeded"
CUT_STREAM = "incomplete_stream"  # the stream ended without a finish_reason
TRUNCATED = "output_truncated"  # finish_reason "length": max_tokens or the context ran out
FILTERED = "content_filtered"  # finish_reason "content_filter"
TOO_LONG = "answer_too_long"  # longer than max_answer_chars
BUSY = "model_busy"  # max_concurrent answers are waiting on the model already
CONTEXT = "context_exceeded"  # the prompt does not fit the model's context
_MALFORMED_ERRORS = (ValueError, ValidationError, AttributeError, KeyError, IndexError, TypeError)
_UNFINISHED = {"length": TRUNCATED, "content_filter": FILTERED}
_GRACE = 0.5  # seconds the waiting thread allows past the deadline for the cancelled call


class ModelFailure(Exception):
    def __init__(
        self,
        reason: str,
        detail: str,
        retry_after: float | None = None,
        adapted: str | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
        self.adapted = adapted  # the parameter dropped after this 400: send again

    @property
    def retryable(self) -> bool:
        return self.reason in (TIMEOUT, CONNECTION, RATE_LIMITED, SERVER_ERROR, CUT_STREAM)


@dataclass(frozen=True)
class LLMConfig:
    model: str
    base_url: str | None = None
    api_key: str | None = None
    request_timeout: float = 30.0  # one HTTP attempt (connect, and each read)
    deadline: float = 60.0  # the whole answer: every step, retry and wait
    retries: int = 1
    temperature: float = 0.2
    max_steps: int = 6
    stream: bool = True  # stream tokens from the model (off for servers that cannot)
    max_tokens: int = 4096  # sent with every call
    max_answer_chars: int = 20_000  # a longer reply is refused
    max_retry_wait: float = 2.0  # the longest wait before a retry (Retry-After included)
    max_concurrent: int = 8  # answers waiting on the model at once; more answer grounded
    # providers, usage, budget, numbers (issue 16)
    provider: str = "other"
    api_version: str = "2024-10-21"
    reasoning: bool = False  # no sampling parameters; max_completion_tokens
    context_tokens: int = 32_768
    tool_calls: str = "auto"  # auto | native | text
    tool_choice: str | None = None
    parallel_tool_calls: bool | None = None
    json_schema: bool = True
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    numbers: str = "mark"  # remove | mark | flag

    @property
    def prompt_budget(self) -> int:
        """Tokens a prompt may take: the context less the reply's room."""
        return max(self.context_tokens - self.max_tokens, self.context_tokens // 4)

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMConfig | None:
        """None unless a model is configured (then the engine is `llm:<model>`)."""
        if not settings.llm_model:
            return None
        key = settings.llm_api_key
        return cls(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=key.get_secret_value() if key is not None else None,
            request_timeout=settings.llm_request_timeout,
            deadline=settings.llm_deadline,
            retries=settings.llm_retries,
            temperature=settings.llm_temperature,
            max_steps=settings.llm_max_steps,
            stream=settings.llm_stream,
            max_tokens=settings.llm_max_tokens,
            max_answer_chars=settings.llm_max_answer_chars,
            max_retry_wait=settings.llm_max_retry_wait,
            max_concurrent=settings.llm_max_concurrent,
            provider=settings.llm_provider,
            api_version=settings.llm_api_version,
            reasoning=settings.llm_reasoning,
            context_tokens=settings.llm_context_tokens,
            tool_calls=settings.llm_tool_calls,
            tool_choice=settings.llm_tool_choice,
            parallel_tool_calls=settings.llm_parallel_tool_calls,
            json_schema=settings.llm_json_schema,
            prices=dict(settings.llm_prices),
            numbers=settings.llm_unsupported_numbers,
        )


def build_client(config: LLMConfig) -> ModelClient:
    """The provider's SDK client (its own retries off) and the request shape it needs."""
    sdk = build_sdk(
        config.provider,
        config.base_url,
        config.api_key,
        config.api_version,
        config.request_timeout,
    )
    shape = Shape(
        provider=config.provider,
        reasoning=config.reasoning,
        context_tokens=config.context_tokens,
        tool_choice=config.tool_choice,
        parallel_tool_calls=config.parallel_tool_calls,
    )
    if config.tool_calls == "text":
        shape.dropped.add("tools")
    return ModelClient(sdk, shape)


@dataclass(frozen=True)
class RequestedCall:
    id: str
    name: str
    arguments: str  # raw JSON text, as the model wrote it


@dataclass
class ModelTurn:
    content: str = ""
    calls: list[RequestedCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    text_calls: bool = False  # the calls were read from the reply's text


@dataclass
class _Progress:
    streamed: bool = False


# A model call yields the pieces of text as they arrive and returns the whole turn.
TurnStream = Generator[str, None, ModelTurn]
Pieces = queue.SimpleQueue[str | None]  # text as it arrives; None when the call is over


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
        request: dict[str, Any] = {"model": self.config.model}
        if tools and self.shape.native_tools:
            request["messages"] = messages
            request["tools"] = [{"type": "function", "function": schema} for schema in tools]
        elif tools:
            request["messages"] = text_messages(messages, tools)
        else:
            request["messages"] = (
                text_messages(messages, []) if self._text_history(messages) else messages
            )
        if response_format is not None:
            request["response_format"] = response_format
        if self.config.stream:
            request["stream"] = True
        self.shape.apply(request, self.config.temperature, self.config.max_tokens)
        return request

    def _text_history(self, messages: list[dict[str, Any]]) -> bool:
        return not self.shape.native_tools and any(m["role"] == "tool" for m in messages)

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
                    turn = _parse(await self.client.sdk.chat.completions.create(**request))
                    self._bound(len(turn.content) + sum(len(c.arguments) for c in turn.calls))
                if text_calls and not turn.calls:
                    _read_text_calls(turn, names)
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
            failure = _status_failure(error)
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
        turn = ModelTurn()
        texts: list[str] = []
        size = 0
        parts: dict[int, dict[str, str]] = {}
        guard = TextCallGuard() if names is not None else None
        stream = await self.client.sdk.chat.completions.create(**request)
        async with stream:
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
                    size = self._bound(size + len(delta.content))
                    texts.append(delta.content)
                    ready = guard.feed(delta.content) if guard is not None else delta.content
                    if ready:
                        pieces.put(ready)
                for call in delta.tool_calls or []:
                    part = parts.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    part["id"] = call.id or part["id"]
                    if call.function is not None:
                        arguments = call.function.arguments or ""
                        size = self._bound(size + len(arguments))
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

    def _bound(self, size: int) -> int:
        if size > self.config.max_answer_chars:
            raise ModelFailure(
                TOO_LONG,
                f"the reply passed {self.config.max_answer_chars} characters "
                "(ASSISTANT_LLM_MAX_ANSWER_CHARS); it was not read further",
            )
        return size


def _read_text_calls(turn: ModelTurn, names: set[str]) -> None:
    """Calls the reply wrote as text become the turn's calls (the text before them stays)."""
    text, calls = parse_text_calls(turn.content, names)
    if calls:
        turn.content = text
        turn.calls = [
            RequestedCall(f"text_call_{i}", c.name, c.arguments) for i, c in enumerate(calls)
        ]
        turn.text_calls = True
        if turn.finish_reason == "stop":
            turn.finish_reason = "tool_calls"


def _parse(completion: Any) -> ModelTurn:
    if isinstance(completion, str | bytes):  # a body the SDK could not decode
        json.loads(completion)
        raise ValueError("the reply is not a chat completion")
    choice = completion.choices[0]
    message = choice.message
    calls = [
        RequestedCall(call.id or f"call_{i}", call.function.name, call.function.arguments or "{}")
        for i, call in enumerate(message.tool_calls or [])
    ]
    turn = ModelTurn(message.content or "", calls, choice.finish_reason)
    if completion.usage is not None:
        usage = completion.usage
        turn.usage = Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0, 1)
    return turn


def _status_failure(error: openai.APIStatusError) -> ModelFailure:
    status = error.status_code
    detail = f"HTTP {status} from the model: {error.message}"
    if status == 429:
        return ModelFailure(RATE_LIMITED, detail, _retry_after(error))
    if status >= 500 or status in (408, 409):
        return ModelFailure(SERVER_ERROR, detail, _retry_after(error))
    return ModelFailure(HTTP_ERROR, detail)


def _retry_after(error: openai.APIStatusError) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms`, or `Retry-After` in seconds or as
    an HTTP date."""
    headers = error.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / divisor
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    return None
