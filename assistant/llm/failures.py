"""How a model call fails: the fallback reasons (each response that fell back names one in
`fallback_reason`), `ModelFailure`, and how an HTTP error of the endpoint becomes one (a 429
or 5xx with the wait it asks for, from `retry-after-ms` or `Retry-After`).
"""

from __future__ import annotations

import datetime as dt
import email.utils

import openai

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


def status_failure(error: openai.APIStatusError) -> ModelFailure:
    status = error.status_code
    detail = f"HTTP {status} from the model: {error.message}"
    if status == 429:
        return ModelFailure(RATE_LIMITED, detail, retry_after(error))
    if status >= 500 or status in (408, 409):
        return ModelFailure(SERVER_ERROR, detail, retry_after(error))
    return ModelFailure(HTTP_ERROR, detail)


def retry_after(error: openai.APIStatusError) -> float | None:
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
