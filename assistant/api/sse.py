"""Engine events as server-sent events. The engine's stream runs in a worker thread (it is
synchronous, like the engines); an error after the stream started becomes an `error` event
with the status the same error would have had as a plain response.

When the server is stopping (SIGTERM), every open stream gets an `error` event (503, "the
server is stopping") and ends, instead of being cut with neither `done` nor `error`:
sse-starlette sets the response's shutdown event when uvicorn starts to exit and allows
`SHUTDOWN_GRACE` seconds for that last event before it cancels the stream.

When the client goes away (the web UI's Stop closes its EventSource; any client may close
the connection), sse-starlette cancels the stream and the engine's stream is closed before
its next step: nothing of that turn is stored (see `close_after`)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Generator, Iterator

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from assistant.api.errors import status_for
from assistant.engine.events import ErrorEvent, Event, payload
from assistant.errors import AssistantError

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0  # seconds; below uvicorn's graceful-shutdown timeout
STOPPING = "the server is stopping; the answer was not completed, send the question again"


def guarded(events: Iterator[Event]) -> Generator[Event, None, None]:
    """The events, ending in an `error` event instead of an exception."""
    try:
        yield from events
    except AssistantError as error:
        yield ErrorEvent(status=status_for(error), detail=str(error))
    except Exception:
        log.exception("stream failed")
        yield ErrorEvent(status=500, detail="internal error; the answer could not be completed")


def _encoded(event: Event) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(payload(event)), event=event.type)


async def until_shutdown(events: Iterator[Event], shutdown: anyio.Event) -> AsyncIterator[Event]:
    """Each event as it comes (read in a worker thread, errors as `error` events); an `error`
    event (503, the server is stopping) and the end as soon as `shutdown` is set. Every
    streaming route relays its engine's events through this."""
    iterator = guarded(events)
    stopping = asyncio.ensure_future(shutdown.wait())
    step: asyncio.Future[Event | None] | None = None
    try:
        while True:
            step = asyncio.ensure_future(run_in_threadpool(next, iterator, None))
            await asyncio.wait({step, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                yield ErrorEvent(status=503, detail=STOPPING)
                return
            event = step.result()
            if event is None:
                return
            yield event
    finally:  # the end, the server stopping, or the client gone (Stop): cancelled here
        stopping.cancel()
        close_after(step, iterator)


def close_after(
    step: asyncio.Future[Event | None] | None, iterator: Generator[Event, None, None]
) -> None:
    """Close the engine's stream now, or when the step its worker thread runs has finished
    (a generator cannot be closed mid-step): it stops before its next step, so an answer
    not stored yet is never stored, and a model's HTTP stream is closed."""
    if step is None or step.done():
        iterator.close()
    else:
        step.add_done_callback(lambda _: iterator.close())


async def _encoded_all(events: AsyncIterator[Event]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield _encoded(event)


def event_stream(events: Iterator[Event]) -> EventSourceResponse:
    """`event: <type>` and `data: <json>` per event (see `assistant.engine.events`)."""
    shutdown = anyio.Event()
    return EventSourceResponse(
        _encoded_all(until_shutdown(events, shutdown)),
        headers={"Cache-Control": "no-store"},
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE,
    )
