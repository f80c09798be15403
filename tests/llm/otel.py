"""Tracing reset between tests: `tracing.shutdown()` and OpenTelemetry's global tracer
provider cleared, which it lets a process set only once (as OpenTelemetry's own test
utilities do), so each test's provider is the one FastAPI's request spans go to."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.util._once import Once

from assistant import tracing


def reset_tracing() -> None:
    tracing.shutdown()
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
