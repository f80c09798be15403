"""One writer per data directory: an exclusive lock file held for a whole ingest run.

Two runs at once would both embed everything, and the later one would take the live one's
`pending` files for an interrupted run and delete their chunks. So `Ingestor.run` holds an
`fcntl` lock on `<data dir>/ingest.lock`; a second run waits up to the configured timeout
and then fails with `IngestLockedError`. The operating system drops the lock when the
holder exits, however it exits (kill -9 included), so a stale lock file never blocks.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from assistant.errors import IngestLockedError

_POLL_SECONDS = 0.1


class WriterLock:
    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise IngestLockedError(
                        f"another ingest{holder} is writing to {self.path.parent} and did not "
                        f"finish within {self.timeout:g}s; wait for it to finish and run again, "
                        "or raise ASSISTANT_INGEST_LOCK_TIMEOUT"
                    ) from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""
