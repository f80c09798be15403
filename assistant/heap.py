"""The server's long-lived objects, kept out of the garbage collector's full passes.

A serving process holds some 600,000 objects tracked by the cyclic garbage collector from
start-up on (the embedding model and its libraries, Chroma, the BM25 index, the rules).
Every full (generation 2) collection walked all of them, holding the GIL for 0.5-3 s on
the 2-core machine: the event loop stopped and `/healthz` took 2 s under load. `settle()`
moves them into the permanent generation (`gc.freeze`), so later collections walk only what
requests create. Objects replaced later (a reloaded index
generation) are freed by reference counting as before; `resettle()`, called after a new
index generation is swapped in, also collects what the retired one left in cycles, then
freezes again: one full pass per reload instead of one every few seconds under load.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle() -> None:
    """Freeze what exists now (at the end of the server's start-up). No collection first: it
    would cost the full pass once more, for the little start-up garbage there is."""
    gc.freeze()
    log.debug("%d objects frozen", gc.get_freeze_count())


def resettle() -> None:
    """Unfreeze, collect what is garbage now, freeze again (after an index reload)."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info(
        "heap resettled after an index reload: %d objects frozen in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )


def release() -> None:
    """Give the frozen objects back to the collector (at shutdown: what the app built can be
    collected again once the app is gone, e.g. between the servers of a test run)."""
    gc.unfreeze()
