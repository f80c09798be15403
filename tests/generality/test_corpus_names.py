"""Product code (assistant/, ingest/, prompts/) must not name the shipped corpus: its company,
its account names or their first words, its document titles and headings. The vocabulary is
derived from knowledge/ itself (tests/generality/corpus_terms.py), one case per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.generality.corpus_terms import GENERIC, Terms, derive, product_files, scan

TERMS = derive(REPO / "knowledge")
# known remaining hits, each with what is left to do (strict: a mark on a clean file fails,
# so a mark goes as soon as its file is clean)
OWNED_ELSEWHERE: dict[str, str] = {}


def _cases() -> list[object]:
    cases: list[object] = []
    for path in product_files(REPO):
        rel = str(path.relative_to(REPO))
        marks = []
        if rel in OWNED_ELSEWHERE:
            marks.append(pytest.mark.xfail(strict=True, reason=OWNED_ELSEWHERE[rel]))
        cases.append(pytest.param(path, id=rel, marks=marks))
    return cases


@pytest.mark.parametrize("path", _cases())
def test_product_file_does_not_name_the_shipped_corpus(path: Path) -> None:
    hits = scan(path, REPO, TERMS)
    assert not hits, "names the shipped corpus:\n" + "\n".join(str(h) for h in hits)


def test_vocabulary_is_derived_from_the_corpus() -> None:
    """The derivation finds the company, account first words, titles and headings."""
    assert "lumen" in TERMS.words  # the company, found in most guidance documents
    assert {"northwind", "woodgrove", "contoso"} <= TERMS.words
    assert "health scoring guide" in TERMS.phrases
    assert "how partners take part" in TERMS.phrases
    assert "growth pods" in TERMS.keys
    assert all(" " not in word for word in GENERIC)  # words only, never a phrase


def test_scanner_finds_each_kind_of_name(tmp_path: Path) -> None:
    code = tmp_path / "assistant" / "fitted.py"
    code.parent.mkdir()
    code.write_text(
        '"""Answers for the Lumen platform."""\n'
        'QUERY = "what does northwind buy"\n'
        'SECTION = ctx.pick("Growth pods")\n'
        'ok = "growth pods are a generic idea in prose"\n'
        "# see How partners take part\n",
        encoding="utf-8",
    )
    found = {(h.line, h.term) for h in scan(code, tmp_path, TERMS)}
    assert found == {
        (1, "lumen"),
        (2, "northwind"),
        (3, "Growth pods"),
        (5, "how partners take part"),
    }


def test_a_generic_use_is_not_a_hit(tmp_path: Path) -> None:
    code = tmp_path / "generic.py"
    code.write_text('NOTE = "the data platform shows a blue bar"\n', encoding="utf-8")
    terms = Terms(frozenset({"lumen"}), frozenset({"growth pods"}), frozenset())
    assert scan(code, tmp_path, terms) == []
