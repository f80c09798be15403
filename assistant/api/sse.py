"""Engine events as server-sent events. The engine's stream runs in a worker thread (it is
synchronous, like the engines); an error after the stream started becomes an `error` event
with the status the same error would have had as a plain response.

When the server is stopping (SIGTERM), every open stream gets an `error` event (503, "the
server is stopping") and ends, instead of being cut with neither `done` nor `error`:
sse-starlette sets the response's shutdown event when uvicorn starts to exit and allows
`SHUTDOWN_GRACE` seconds for that last event before it cancels the stream."""

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
    try:
        while True:
            step = asyncio.ensure_future(run_in_threadpool(next, iterator, None))
            await asyncio.wait({step, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                # the worker finishes its step on its own; the engine's stream is closed then
                step.add_done_callback(lambda _: iterator.close())
                yield ErrorEvent(status=503, detail=STOPPING)
                return
            event = step.result()
            if event is None:
                return
            yield event
    finally:
        stopping.cancel()


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
