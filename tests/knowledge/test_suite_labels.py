"""The labels of eval/suites/knowledge.yaml must be answerable from the documents they name.

Every source path must exist, and every fact regex of an in-scope case must match inside a
single sentence of at least one listed source, so an extractive composer that quotes whole
sentences can satisfy it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "eval" / "suites" / "knowledge.yaml"
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def load_suite() -> dict[str, Any]:
    return dict(yaml.safe_load(SUITE.read_text(encoding="utf-8")))


@cache
def sentences(rel_path: str) -> tuple[str, ...]:
    """Body sentences of a Markdown document (no front matter, headings or tables)."""
    text = (ROOT / rel_path).read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        is_item = bool(LIST_MARKER.match(line))
        if not stripped or stripped.startswith(("#", "|")) or is_item:
            if current:
                blocks.append(" ".join(current))
                current = []
            if is_item:
                blocks.append(LIST_MARKER.sub("", line).strip())
            continue
        current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    return tuple(s for block in blocks for s in SENTENCE_END.split(block) if s)


CASES = load_suite()["cases"]
IN_SCOPE = [c for c in CASES if not c["expect"]["refuse"]]


def test_suite_shape() -> None:
    suite = load_suite()
    assert suite["suite"] == "knowledge"
    assert set(suite["thresholds"]) == {"hit_at_5", "fact_recall", "refusal_accuracy"}
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(IN_SCOPE) >= 80
    refusals = [c for c in CASES if c["expect"]["refuse"]]
    assert len(refusals) >= 12
    assert all(not c["expect"]["sources"] and not c["expect"]["facts"] for c in refusals)


def test_every_document_is_asked_about() -> None:
    asked = {s for c in IN_SCOPE for s in c["expect"]["sources"]}
    docs = {
        str(p.relative_to(ROOT))
        for folder in ("playbooks", "guides", "one-pagers")
        for p in (ROOT / "knowledge" / folder).glob("*.md")
    }
    assert docs - asked == set()


@pytest.mark.parametrize("case", IN_SCOPE, ids=[c["id"] for c in IN_SCOPE])
def test_facts_occur_in_a_sentence_of_a_listed_source(case: dict[str, Any]) -> None:
    sources = case["expect"]["sources"]
    assert sources and case["expect"]["facts"]
    for source in sources:
        assert (ROOT / source).is_file(), source
    for fact in case["expect"]["facts"]:
        pattern = re.compile(fact, re.IGNORECASE)
        hits = [s for src in sources for s in sentences(src) if pattern.search(s)]
        assert hits, f"{case['id']}: {fact!r} is in no sentence of {sources}"
