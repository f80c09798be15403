"""OpenTelemetry spans, one trace per turn; off unless an exporter is configured
(`ASSISTANT_OTEL_EXPORTER=console|otlp`).

    turn                      engine, intent, conversation_id, declined, fallback_reason
    |-- plan                  the grounded planner's reading (intent, scope)
    |-- retrieval.search      k, hits, degraded
    |-- tool.call             tool, ok
    |-- llm.call              model, provider, prompt_tokens, completion_tokens,
    |                         finish_reason, cost_usd
    |-- compose               the grounded composer, or the LLM answer's post-check
    |-- answer.grounded       the grounded engine answering for a failed model (its own
    |                         children below it)
    '-- store.turn            the turn written to the conversation store

`turn()` opens the root span (or, inside a turn already, a child named `answer.grounded`);
`span()` opens a child of whatever span is current; `annotate_turn()` sets attributes on the
turn from deep inside it (the store knows the conversation id). The question's text is never
recorded unless `ASSISTANT_OTEL_QUESTION_TEXT` allows it.

The current span lives in a context variable of this module, not in OpenTelemetry's global
context. A streamed answer is a generator that yields to its caller between steps, and each
step may run in another copy of the context (Starlette iterates a sync stream in a thread
pool, one copied context per step), so a generator that opens spans runs in a context of its
own (`own_context`): its spans nest across its yields and never leak into the caller.

Off, every call here is a no-op and OpenTelemetry is never imported (no import cost).
`configure()` installs a tracer provider with a batch exporter once, at start-up; tests pass
their own exporter (an in-memory one) to read the spans back.

    with tracing.span("llm.call", model="gpt-4o") as span:
        ...
        span.set(prompt_tokens=812)
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_tracer: Any = None  # an opentelemetry Tracer once configured
_provider: Any = None
_question_text = False  # ASSISTANT_OTEL_QUESTION_TEXT
_current: contextvars.ContextVar[Any] = contextvars.ContextVar("assistant_span", default=None)
_turn: contextvars.ContextVar[Any] = contextvars.ContextVar("assistant_turn", default=None)

Attribute = str | int | float | bool
TURN = "turn"
NESTED_TURN = "answer.grounded"


class Span:
    """The span handed to a `with` block; attributes set on it are recorded (or dropped)."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, **attributes: Attribute | None) -> None:
        """Set attributes; a None value is left out (OpenTelemetry takes no nulls)."""
        if self._span is not None:
            for key, value in attributes.items():
                if value is not None:
                    self._span.set_attribute(key, value)


def enabled() -> bool:
    return _tracer is not None


@contextlib.contextmanager
def span(name: str, **attributes: Attribute | None) -> Iterator[Span]:
    """A child of the current span (a root when there is none), current inside the block."""
    tracer = _tracer
    if tracer is None:
        yield Span()
        return
    with _opened(tracer, name, attributes) as started:
        yield Span(started)


@contextlib.contextmanager
def turn(question: str | None = None, **attributes: Attribute | None) -> Iterator[Span]:
    """The root span of one turn; inside a turn already (the grounded engine answering for a
    failed model), a child span `answer.grounded` and the outer turn stays the turn."""
    tracer = _tracer
    if tracer is None:
        yield Span()
        return
    if _question_text and question is not None:
        attributes["question"] = question
    nested = _turn.get() is not None
    with _opened(tracer, NESTED_TURN if nested else TURN, attributes) as started:
        if nested:
            yield Span(started)
            return
        token = _turn.set(started)
        try:
            yield Span(started)
        finally:
            with contextlib.suppress(ValueError):  # closed from another context (GC)
                _turn.reset(token)


def annotate_turn(**attributes: Attribute | None) -> None:
    """Attributes on the current turn's root span (nothing when there is none)."""
    root = _turn.get()
    if root is not None:
        Span(root).set(**attributes)


def own_context(function: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
    """A generator function whose generators run every step in one context of their own
    (see the module docstring); unchanged when tracing is off."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        iterator = function(*args, **kwargs)
        if _tracer is None:
            return iterator
        return _OwnContext(iterator, contextvars.copy_context())

    return wrapper


class _OwnContext(Iterator[T]):
    def __init__(self, iterator: Iterator[T], context: contextvars.Context) -> None:
        self._iterator = iterator
        self._context = context

    def __next__(self) -> T:
        return self._context.run(next, self._iterator)

    def close(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            self._context.run(close)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


@contextlib.contextmanager
def _opened(tracer: Any, name: str, attributes: dict[str, Attribute | None]) -> Iterator[Any]:
    from opentelemetry import trace

    parent = _current.get()
    context = trace.set_span_in_context(parent) if parent is not None else None
    kept = {key: value for key, value in attributes.items() if value is not None}
    started = tracer.start_span(name, context=context, attributes=kept)
    token = _current.set(started)
    try:
        yield started
    except BaseException as error:
        if not isinstance(error, GeneratorExit):
            started.record_exception(error)
            started.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        raise
    finally:
        with contextlib.suppress(ValueError):  # closed from another context (GC)
            _current.reset(token)
        started.end()


def configure(
    exporter: str,
    endpoint: str | None = None,
    span_exporter: Any = None,
    *,
    question_text: bool = False,
) -> bool:
    """Install the tracer provider (once); False when `exporter` is "none"."""
    global _tracer, _provider, _question_text
    if exporter == "none" and span_exporter is None:
        return False
    with _lock:
        if _tracer is not None:
            return True
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )

        provider = TracerProvider(resource=Resource.create({"service.name": "success-assistant"}))
        if span_exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        elif exporter == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        _provider = provider
        _tracer = provider.get_tracer("assistant")
        _question_text = question_text
        with contextlib.suppress(Exception):  # a global provider may be set already
            trace.set_tracer_provider(provider)
        return True


def flush(timeout_seconds: float = 5.0) -> bool:
    """Export the finished spans now (a process about to stop, a test about to read them)."""
    provider = _provider
    if provider is None:
        return True
    return bool(provider.force_flush(int(timeout_seconds * 1000)))


def shutdown() -> None:
    """Flush and stop (tests reset between runs)."""
    global _tracer, _provider, _question_text
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        _tracer = _provider = None
        _question_text = False
