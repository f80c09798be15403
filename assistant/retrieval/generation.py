"""The index generation a server reads: one BM25 index and the Chroma collection of the same
ingest, swapped together while the server runs.

Ingestion (often another process: `assistant ingest`) writes Chroma as it goes and stamps
the BM25 files with the manifest generation last. An embedded Chroma client keeps its HNSW
index in memory and never learns of another process's writes, so a server that reloaded
only BM25 asked Chroma for ids it had never heard of ("Error finding id") and never found
the new documents. `LiveIndex` notices a new stamp, opens a fresh Chroma system
(`dense.connect_private`) and loads the new BM25 files off the request path, then swaps
both in one assignment. A search leases the generation it started with, so it sees one
generation throughout; a replaced generation's Chroma system is stopped when its last lease
ends. While an ingest is under way the two halves can still disagree for a moment (a chunk
deleted from one, not yet added to the other): retrieval takes the ids either side has.

What is missing is reported, not hidden: `Generation.problems` says which half is not
available and why (the BM25 files are gone, Chroma cannot be opened), `/readyz` answers 503
with it, and each answer carries it as `degraded`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import System

from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.lexical_stamp import STAMP

log = logging.getLogger(__name__)

Stamp = tuple[int, int] | None  # (inode, mtime in ns) of the BM25 generation file
# opens Chroma: the collection and the system to stop when the generation is done with
ChromaOpener = Callable[[], tuple[ClientAPI, Collection, System | None]]


def stamp_of(path: Path) -> Stamp:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


@dataclass(eq=False)
class Generation:
    """One consistent view of the index: BM25 and the Chroma collection of the same ingest."""

    number: int  # the manifest generation the BM25 files were stamped with (0: none)
    lexical: LexicalIndex
    collection: Collection | None  # None when Chroma could not be opened
    problems: tuple[str, ...] = ()  # why retrieval is degraded; empty when it is whole
    stamp: Stamp = None
    client: ClientAPI | None = None
    chunks: int = 0  # what the collection held when the generation was loaded
    system: System | None = None  # the Chroma system only this generation uses
    leases: int = 0
    retired: bool = False
    pinned: bool = False  # an in-process writer uses its collection: never stopped early
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        if self.system is not None and not self._stopped:
            self._stopped = True
            try:
                self.system.stop()
            except Exception:  # a system that failed to start has nothing to release
                log.debug("stopping a Chroma system failed", exc_info=True)


class LiveIndex:
    """The current `Generation`, replaced when ingestion stamps a newer one."""

    def __init__(
        self,
        lexical_path: Path,
        open_chroma: ChromaOpener,
        *,
        check_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lexical_path = lexical_path
        self._open_chroma = open_chroma
        self._check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()  # guards _current, leases, retirement
        self._loading = threading.Lock()  # one thread loads a new generation at a time
        self._checked = clock()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._kept: list[Generation] = []  # replaced but pinned: stopped on close
        self._current = self._load(self._stamp())
        self.reloads = 0  # generations loaded after the first
        # run by the thread that swapped a new generation in, after the old one is stopped
        # (the server frees the retired generation's heap there: `assistant.heap`)
        self.after_reload: Callable[[], None] | None = None

    # reading ---------------------------------------------------------------------------
    @property
    def current(self) -> Generation:
        """The newest generation (loading it first when ingestion stamped a newer one)."""
        self.refresh()
        return self._current

    @contextmanager
    def lease(self) -> Iterator[Generation]:
        """The current generation, kept open until the block ends."""
        self.refresh()
        with self._lock:
            generation = self._current
            generation.leases += 1
        try:
            yield generation
        finally:
            with self._lock:
                generation.leases -= 1
                done = generation.retired and generation.leases == 0 and not generation.pinned
            if done:
                generation.stop()

    def pin(self) -> Generation:
        """The current generation for a writer in this process (its system stays open)."""
        with self._lock:
            self._current.pinned = True
            return self._current

    # reloading -------------------------------------------------------------------------
    def refresh(self, *, force: bool = False) -> bool:
        """Load a new generation when the BM25 stamp changed (checked at most every
        `check_interval` seconds unless forced); True when a new one was swapped in."""
        now = self._clock()
        if not force and now - self._checked < self._check_interval:
            return False
        self._checked = now
        stamp = self._stamp()
        if not force and stamp == self._current.stamp:
            return False
        if not self._loading.acquire(blocking=force):
            return False  # another thread is loading it; keep serving the current one
        try:
            if not force and stamp == self._current.stamp:
                return False
            if stamp is None and self._current.stamp is not None:
                stamp = self._settled()
                if stamp == self._current.stamp and not force:
                    return False
            fresh = self._load(stamp)
            with self._lock:
                old, self._current = self._current, fresh
                old.retired = True
                done = old.leases == 0 and not old.pinned
                if old.pinned:
                    self._kept.append(old)
            self.reloads += 1
            log.info("index generation %s loaded (was %s)", fresh.number, old.number)
            if done:
                old.stop()
            if self.after_reload is not None:
                self.after_reload()
            return True
        finally:
            self._loading.release()

    def _settled(self, wait: float = 1.0) -> Stamp:
        """The stamp once the BM25 directory is back: ingestion swaps it by two renames, so
        it is missing for a moment; only a directory still missing after `wait` is gone."""
        deadline = time.monotonic() + wait
        stamp = self._stamp()
        while stamp is None and time.monotonic() < deadline:
            time.sleep(0.05)
            stamp = self._stamp()
        return stamp

    def _stamp(self) -> Stamp:
        return stamp_of(self.lexical_path / STAMP)

    def _load(self, stamp: Stamp) -> Generation:
        problems: list[str] = []
        try:
            lexical = LexicalIndex.load(self.lexical_path)
        except Exception as error:  # half-written or corrupt files: serve dense only
            log.warning("cannot load the BM25 index: %s", error)
            lexical = LexicalIndex([], 0)
            problems.append(
                f"lexical: the BM25 index under {self.lexical_path} cannot be read ({error}); "
                "run `assistant ingest` to rebuild it"
            )
        client: ClientAPI | None = None
        collection: Collection | None = None
        system: System | None = None
        try:
            client, collection, system = self._open_chroma()
            count = collection.count()
        except Exception as error:
            log.warning("cannot open the Chroma collection: %s", error)
            client, collection, count = None, None, 0
            problems.append(
                f"dense: the vector index cannot be opened ({error}); answers use BM25 only"
            )
        if collection is not None and count and not len(lexical) and not problems:
            problems.append(
                f"lexical: the BM25 index under {self.lexical_path} is missing although the "
                f"vector index holds {count} chunks; answers use dense retrieval only; "
                "run `assistant ingest` to rebuild it"
            )
        return Generation(
            lexical.generation,
            lexical,
            collection,
            tuple(problems),
            stamp,
            client,
            count,
            system,
        )

    def watch(self) -> None:
        """Check for a new generation every `check_interval` seconds in a thread of its own
        (a server: so the reload never waits for a request, and /readyz sees it)."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while not self._stopping.wait(max(self._check_interval, 0.05)):
                try:
                    self.refresh()
                except Exception:
                    log.exception("loading a new index generation failed")

        self._watcher = threading.Thread(target=loop, name="index-watcher", daemon=True)
        self._watcher.start()

    @property
    def index(self) -> LexicalIndex:
        """The BM25 index of the current generation (what `LexicalStore.index` gives)."""
        return self.current.lexical

    def peek(self) -> Generation:
        """The current generation without looking for a newer one (never blocks)."""
        return self._current

    def close(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
        with self._lock:
            generations = [self._current, *self._kept]
            self._kept = []
            for generation in generations:
                generation.retired = True
        for generation in generations:
            generation.stop()
