"""A bounded pool for CPU-bound work (query encoding, answer scoring), apart from the web
server's threads.

The routes run synchronous engines in the server's thread pool (about 40 threads). Left
there, CPU-bound steps of 40 requests would run at once on a machine with two cores, each
slower than alone, and a burst would hold every thread. Submitted here, at most `workers`
run at a time and the rest queue; a request that waits longer than `queue_timeout` for a
worker gets a 503 ("busy") instead of waiting on. Work already running in the pool (a
composer step that embeds) runs inline, so nested submissions cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import ParamSpec, TypeVar

from assistant.errors import OverloadedError

P = ParamSpec("P")
T = TypeVar("T")
_inside = threading.local()


class CpuPool:
    def __init__(self, workers: int, queue_timeout: float = 30.0) -> None:
        self.workers = workers
        self.queue_timeout = queue_timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cpu")

    def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)` on a pool thread; the caller waits for the result."""
        if getattr(_inside, "active", False):
            return function(*args, **kwargs)
        started = threading.Event()

        def job() -> T:
            started.set()
            _inside.active = True
            try:
                return function(*args, **kwargs)
            finally:
                _inside.active = False

        future: Future[T] = self._pool.submit(job)
        try:
            return future.result(timeout=self.queue_timeout)
        except FutureTimeout:
            if not started.is_set() and future.cancel():
                raise OverloadedError(
                    f"the server is busy: no CPU worker was free for {self.queue_timeout:g}s; "
                    "retry shortly"
                ) from None
            return future.result()  # it started: let it finish

    def bound(self, function: Callable[P, T]) -> Callable[P, T]:
        """`function`, run in the pool when called."""

        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return self.run(function, *args, **kwargs)

        return run

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
