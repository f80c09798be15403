"""Where model calls run: an `AsyncOpenAI` client on an event loop of its own.

The engines are synchronous (a request's answer is computed in a worker thread), but a model
that hangs must not hold that thread past the deadline, and no number of hanging calls may
tie up the threads every other route needs. So each model call is a task on one event loop
in a daemon thread: a task is cancelled at its deadline (`asyncio.timeout` ends the HTTP
exchange whatever the server does, trickling bytes included), and the thread that waits for
it waits with a timeout too. How many answers may wait on the model at once is bounded by
the engine (`ASSISTANT_LLM_MAX_CONCURRENT`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import openai

from assistant.llm.providers import Shape

T = TypeVar("T")


class ModelClient:
    """The SDK's async client, how requests are shaped for its endpoint, and the loop its
    calls run on (started at the first call)."""

    def __init__(self, sdk: openai.AsyncOpenAI, shape: Shape | None = None) -> None:
        self.sdk = sdk
        self.shape = shape or Shape()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def max_retries(self) -> int:
        return self.sdk.max_retries

    @property
    def api_key(self) -> str:
        return self.sdk.api_key

    def submit(self, call: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the model loop; cancelling the future cancels the call."""
        return asyncio.run_coroutine_threadsafe(call, self._running())

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=loop.run_forever, name="model-calls", daemon=True
                )
                self._thread.start()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Close the HTTP client and stop the loop (calls still running are cancelled)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.sdk.close()
