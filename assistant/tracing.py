"""OpenTelemetry spans for retrieval, tool calls and model calls; off unless an exporter is
configured (`ASSISTANT_OTEL_EXPORTER=console|otlp`).

Off, `span()` is a no-op and OpenTelemetry is never imported (no import cost). `configure()`
installs a tracer provider with a batch exporter once, at start-up; tests pass their own
exporter (an in-memory one) to read the spans back.

    with tracing.span("llm.call", model="gpt-4o") as span:
        ...
        span.set(prompt_tokens=812)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_tracer: Any = None  # an opentelemetry Tracer once configured
_provider: Any = None

Attribute = str | int | float | bool


class Span:
    """The span handed to a `with` block; attributes set on it are recorded (or dropped)."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, **attributes: Attribute) -> None:
        if self._span is not None:
            for key, value in attributes.items():
                self._span.set_attribute(key, value)


def enabled() -> bool:
    return _tracer is not None


@contextlib.contextmanager
def span(name: str, **attributes: Attribute) -> Iterator[Span]:
    tracer = _tracer
    if tracer is None:
        yield Span()
        return
    # not made the current span: these blocks hold generators that yield to the caller,
    # and a context attached in one would leak into whatever runs between the yields
    started = tracer.start_span(name, attributes=attributes)
    try:
        yield Span(started)
    except BaseException as error:
        if not isinstance(error, GeneratorExit):
            started.record_exception(error)
            from opentelemetry.trace import Status, StatusCode

            started.set_status(Status(StatusCode.ERROR, str(error)))
        raise
    finally:
        started.end()


def configure(exporter: str, endpoint: str | None = None, span_exporter: Any = None) -> bool:
    """Install the tracer provider (once); False when `exporter` is "none"."""
    global _tracer, _provider
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
        with contextlib.suppress(Exception):  # a global provider may be set already
            trace.set_tracer_provider(provider)
        return True


def shutdown() -> None:
    """Flush and stop (tests reset between runs)."""
    global _tracer, _provider
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        _tracer = _provider = None
