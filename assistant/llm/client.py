"""Talking to any OpenAI-compatible chat-completions endpoint through the official SDK.

Plain chat completions with function tools, nothing vendor-specific, so OpenAI, Azure OpenAI,
vLLM, Ollama, llama.cpp's server and LM Studio all work. There is ONE retry layer, this one:
the SDK client is built with `max_retries=0`, and `ModelCaller` retries timeouts, connection
errors, 429 and 5xx itself, because only it knows the overall deadline (it never sleeps past
it, and each attempt's timeout is cut to the time left). Every way a call can fail ends in a
`ModelFailure` whose `reason` the response reports as `fallback_reason`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import openai
from pydantic import ValidationError

from assistant.config import Settings

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
_MALFORMED_ERRORS = (ValueError, ValidationError, AttributeError, KeyError, IndexError, TypeError)


class ModelFailure(Exception):
    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.reason in (TIMEOUT, CONNECTION, RATE_LIMITED, SERVER_ERROR)


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
        )


def build_client(config: LLMConfig) -> openai.OpenAI:
    """The SDK client with its own retries off (ours are deadline-aware). Local servers need
    no key; the SDK insists on one, so they get a placeholder."""
    return openai.OpenAI(
        base_url=config.base_url,
        api_key=config.api_key or "not-needed",
        max_retries=0,
        timeout=config.request_timeout,
    )


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


@dataclass
class _Progress:
    streamed: bool = False


# A model call yields the pieces of text as they arrive and returns the whole turn.
TurnStream = Generator[str, None, ModelTurn]


class ModelCaller:
    def __init__(
        self,
        client: openai.OpenAI,
        config: LLMConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock
        self.sleep = sleep

    def turn(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], deadline: float
    ) -> TurnStream:
        """One completion, retried on transient failures while the deadline allows and
        nothing has been streamed yet (a retry would repeat text the user already has)."""
        attempt = 0
        while True:
            progress = _Progress()
            try:
                return (yield from self._once(messages, tools, deadline, progress))
            except ModelFailure as failure:
                log.warning("model call failed (attempt %d): %s", attempt + 1, failure)
                wait = failure.retry_after
                if wait is None or wait < 0:
                    wait = 0.25 * 2**attempt * (1 - 0.25 * random.random())
                if (
                    progress.streamed
                    or not failure.retryable
                    or attempt >= self.config.retries
                    or self.clock() + wait >= deadline
                ):
                    raise
                self.sleep(wait)
                attempt += 1

    def _once(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        deadline: float,
        progress: _Progress,
    ) -> TurnStream:
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise ModelFailure(DEADLINE, "no time left for another model call")
        request: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "timeout": min(self.config.request_timeout, remaining),
        }
        if tools:
            request["tools"] = [{"type": "function", "function": schema} for schema in tools]
        try:
            if self.config.stream:
                turn = yield from self._streamed(request, deadline, progress)
            else:
                turn = _parse(self.client.chat.completions.create(**request))
        except openai.APITimeoutError as error:
            if self.clock() >= deadline - 0.01:  # the attempt was cut to the time left
                raise ModelFailure(
                    DEADLINE, "the model did not answer before the deadline"
                ) from error
            raise ModelFailure(TIMEOUT, str(error)) from error
        except openai.APIConnectionError as error:
            raise ModelFailure(CONNECTION, str(error)) from error
        except openai.APIStatusError as error:
            raise _status_failure(error) from error
        except openai.APIError as error:  # an error event inside a stream
            raise ModelFailure(SERVER_ERROR, str(error)) from error
        except _MALFORMED_ERRORS as error:
            raise ModelFailure(MALFORMED, f"{type(error).__name__}: {error}") from error
        if not turn.content.strip() and not turn.calls:
            raise ModelFailure(MALFORMED, "the reply has neither text nor tool calls")
        return turn

    def _streamed(
        self, request: dict[str, Any], deadline: float, progress: _Progress
    ) -> TurnStream:
        turn = ModelTurn()
        parts: dict[int, dict[str, str]] = {}
        with self.client.chat.completions.create(**request, stream=True) as chunks:
            for chunk in chunks:
                if self.clock() > deadline:
                    raise ModelFailure(DEADLINE, "the model was still writing at the deadline")
                if not chunk.choices:
                    continue  # e.g. a usage chunk
                choice = chunk.choices[0]
                delta = choice.delta
                if delta.content:
                    turn.content += delta.content
                    progress.streamed = True
                    yield delta.content
                for call in delta.tool_calls or []:
                    part = parts.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    part["id"] = call.id or part["id"]
                    if call.function is not None:
                        part["name"] += call.function.name or ""
                        part["arguments"] += call.function.arguments or ""
                turn.finish_reason = choice.finish_reason or turn.finish_reason
        turn.calls = [
            RequestedCall(p["id"] or f"call_{i}", p["name"], p["arguments"] or "{}")
            for i, p in sorted(parts.items())
        ]
        return turn


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
    return ModelTurn(message.content or "", calls, choice.finish_reason)


def _status_failure(error: openai.APIStatusError) -> ModelFailure:
    status = error.status_code
    detail = f"HTTP {status} from the model: {error.message}"
    if status == 429:
        return ModelFailure(RATE_LIMITED, detail, _retry_after(error))
    if status >= 500 or status in (408, 409):
        return ModelFailure(SERVER_ERROR, detail, _retry_after(error))
    return ModelFailure(HTTP_ERROR, detail)


def _retry_after(error: openai.APIStatusError) -> float | None:
    headers = error.response.headers
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) / divisor
            except ValueError:
                return None
    return None
