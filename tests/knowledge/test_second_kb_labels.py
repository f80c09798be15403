"""The labels of eval/suites/second_kb.yaml must be answerable from the documents they name.

The suite asks about the second vendor's knowledge base (tests/fixtures/second_kb): every
source must exist, every document must be asked about, and every fact regex of an in-scope
case must match inside one sentence of a listed source (as the ingest pipeline loads and
splits it), so an extractive composer that quotes whole sentences can satisfy it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from assistant.evaluation.suite import Case, load_suite
from ingest.loaders import load_document
from ingest.sentences import split_sentences, unwrap

ROOT = Path(__file__).resolve().parents[2]
SUITE = load_suite(ROOT / "eval" / "suites" / "second_kb.yaml")
IN_SCOPE = [c for c in SUITE.cases if not c.expect.refuse]
DECLINES = [c for c in SUITE.cases if c.expect.refuse]


@cache
def sentences(source: str) -> tuple[str, ...]:
    return tuple(split_sentences(unwrap(load_document(ROOT / source).text)))


def test_suite_shape() -> None:
    assert SUITE.knowledge_dir == Path("tests/fixtures/second_kb")
    assert (ROOT / SUITE.knowledge_dir / "rules.yaml").is_file()
    assert len(IN_SCOPE) >= 40
    assert len(DECLINES) >= 20
    assert all(not c.expect.sources and not c.expect.facts for c in DECLINES)
    splits = {c.split for c in IN_SCOPE} | {c.split for c in DECLINES}
    assert splits == {"dev", "test"}


def test_every_document_is_asked_about() -> None:
    asked = {s for c in IN_SCOPE for s in c.expect.sources}
    folder = ROOT / "tests" / "fixtures" / "second_kb"
    docs = {
        p.relative_to(ROOT).as_posix()
        for sub in ("playbooks", "guides", "one-pagers")
        for p in (folder / sub).iterdir()
    }
    assert docs - asked == set()


@pytest.mark.parametrize("case", IN_SCOPE, ids=[c.id for c in IN_SCOPE])
def test_facts_occur_in_a_sentence_of_a_listed_source(case: Case) -> None:
    assert case.expect.sources and case.expect.facts
    for fact in case.expect.facts:
        pattern = re.compile(fact, re.I)
        assert any(
            pattern.search(sentence)
            for source in case.expect.sources
            for sentence in sentences(source)
        ), f"{case.id}: {fact!r} is in no sentence of {case.expect.sources}"
