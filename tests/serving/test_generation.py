"""The index generation swap (issue 11, finding 1) without a server: a search keeps the
generation it started with, a replaced one is stopped when its last search ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.generation import LiveIndex
from assistant.retrieval.lexical import LexicalIndex, StoredChunk


class FakeChroma:
    """Stands in for a Chroma collection and its system: counts, and records `stop()`."""

    def __init__(self, count: int) -> None:
        self._count = count
        self.stopped = False

    def count(self) -> int:
        return self._count

    def stop(self) -> None:
        self.stopped = True


def test_a_replaced_generation_is_stopped_when_its_last_search_ends(tmp_path: Path) -> None:
    lexical = tmp_path / "bm25"
    chunk = StoredChunk("c1", "the kickoff happens in week one", {})
    LexicalIndex.build([chunk], [chunk.text], generation=1).save(lexical)
    opened: list[FakeChroma] = []

    def open_chroma() -> tuple[object, object, object]:
        opened.append(FakeChroma(len(opened) + 1))
        return object(), opened[-1], opened[-1]

    index = LiveIndex(lexical, open_chroma, check_interval=0)  # type: ignore[arg-type]
    with index.lease() as first:
        assert first.number == 1 and first.chunks == 1
        LexicalIndex.build([chunk, chunk], [chunk.text] * 2, generation=2).save(lexical)
        assert index.current.number == 2 and len(opened) == 2
        assert not opened[0].stopped, "a search still reads the old generation"
        assert first.number == 1 and len(first.lexical) == 1  # unchanged under the search
    assert opened[0].stopped and not opened[1].stopped
    index.close()
    assert opened[1].stopped


@pytest.mark.parametrize("pinned", [True, False])
def test_a_writer_in_this_process_keeps_its_generation_open(tmp_path: Path, pinned: bool) -> None:
    lexical = tmp_path / "bm25"
    opened: list[FakeChroma] = []

    def open_chroma() -> tuple[object, object, object]:
        opened.append(FakeChroma(0))
        return object(), opened[-1], opened[-1]

    index = LiveIndex(lexical, open_chroma, check_interval=0)  # type: ignore[arg-type]
    if pinned:
        index.pin()
    chunk = StoredChunk("c1", "text", {})
    LexicalIndex.build([chunk], [chunk.text], generation=1).save(lexical)
    assert index.current.number == 1
    assert opened[0].stopped is not pinned
    index.close()
    assert all(chroma.stopped for chroma in opened)
