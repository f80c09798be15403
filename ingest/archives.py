"""Zip-based formats (DOCX) are checked before anything is inflated.

A small DOCX can inflate to gigabytes. The sizes a zip declares for its members bound what
Python's `zipfile` will inflate (it stops at the declared size and fails on a mismatch), so
summing them before opening the document is enough to refuse a zip bomb.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.policy import Limits, megabytes

ZIP_FORMATS = frozenset({".docx"})
_MAX_MEMBERS = 10_000


def over_unpacked_limit(path: Path, limits: Limits) -> str | None:
    """Why the inflated archive is too big, or None (also None for a non-zip: the loader
    reports an unreadable file itself)."""
    if path.suffix.lower() not in ZIP_FORMATS:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if len(members) > _MAX_MEMBERS:
        return f"archive has {len(members)} members, over {_MAX_MEMBERS}"
    total = sum(member.file_size for member in members)
    if total <= limits.max_unpacked_bytes:
        return None
    return (
        f"inflates to {megabytes(total)}, over the {megabytes(limits.max_unpacked_bytes)} "
        "limit on decompressed size (raise ASSISTANT_INGEST_MAX_UNPACKED_MB to index it)"
    )
