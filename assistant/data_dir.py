"""Startup check: the data directory can be created and written.

Without it a read-only or foreign-owned data directory surfaces as a Chroma or SQLite
traceback deep in a command. The CLI calls `check_writable` first and prints one line
naming the directory and what to do.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from assistant.config import Settings
from assistant.errors import DataDirError

_ADVICE = "make it writable for this user, or set ASSISTANT_DATA_DIR to a writable folder"


def _reason(error: OSError) -> str:
    if error.errno == errno.EROFS:
        return "read-only file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


def _fail(directory: Path, error: OSError, what: str = "is not writable") -> DataDirError:
    return DataDirError(f"data directory {directory} {what} ({_reason(error)}): {_ADVICE}")


def _probe_folder(folder: Path, data_dir: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        what = "cannot be created" if not data_dir.is_dir() else "is not writable"
        raise _fail(data_dir, error, what) from error
    try:
        handle, name = tempfile.mkstemp(prefix=".write-check-", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as error:
        raise _fail(data_dir, error) from error


def _probe_file(path: Path, data_dir: Path) -> None:
    """Open an existing file for writing (nothing is written) to see whether we may."""
    if not path.is_file():
        return
    try:
        with path.open("r+b"):
            pass
    except OSError as error:
        raise _fail(data_dir, error, f"holds {path.name}, which is not writable") from error


def check_writable(settings: Settings) -> None:
    """Raise `DataDirError` (one line: the directory and what to do) when the data directory,
    or what lives in it (local Chroma, the manifest, the BM25 files, the SQLite database),
    cannot be written."""
    data_dir = settings.data_dir
    _probe_folder(data_dir, data_dir)
    folders = [settings.lexical_path] if settings.lexical_path.is_dir() else []
    if not settings.chroma_url:
        folders.append(settings.chroma_path)
    for folder in folders:
        _probe_folder(folder, data_dir)
    files = [settings.lexical_path / "generation.json"]
    if not settings.chroma_url:
        files.append(settings.chroma_path / "chroma.sqlite3")
    if settings.database_url is None:
        files.append(data_dir / "assistant.sqlite3")
    for path in files:
        _probe_file(path, data_dir)
