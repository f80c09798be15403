"""Engine events as server-sent events. The engine's stream runs in a worker thread (it is
synchronous, like the engines); an error after the stream started becomes an `error` event
with the status the same error would have had as a plain response."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from sse_starlette import EventSourceResponse, ServerSentEvent

from assistant.api.errors import status_for
from assistant.engine.events import ErrorEvent, Event, payload
from assistant.errors import AssistantError

log = logging.getLogger(__name__)


def guarded(events: Iterator[Event]) -> Iterator[Event]:
    """The events, ending in an `error` event instead of an exception."""
    try:
        yield from events
    except AssistantError as error:
        yield ErrorEvent(status=status_for(error), detail=str(error))
    except Exception:
        log.exception("stream failed")
        yield ErrorEvent(status=500, detail="internal error; the answer could not be completed")


def event_stream(events: Iterator[Event]) -> EventSourceResponse:
    """`event: <type>` and `data: <json>` per event (see `assistant.engine.events`)."""

    def encode() -> Iterator[ServerSentEvent]:
        for event in guarded(events):
            yield ServerSentEvent(data=json.dumps(payload(event)), event=event.type)

    return EventSourceResponse(encode(), headers={"Cache-Control": "no-store"})
