"""The stamp of a saved BM25 index: the manifest generation it was built from, in a file of
its own, written last (`LexicalIndex.save`). Read without importing bm25s, so an ingest with
nothing to do can tell the index is current (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

STAMP = "generation.json"


def stored_generation(directory: Path) -> int | None:
    """The generation of the index saved in `directory`; None when none is (or unreadable)."""
    try:
        return int(json.loads((directory / STAMP).read_text())["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
