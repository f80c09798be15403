"""The same questions on the shipped knowledge base and on a second vendor's
(tests/fixtures/second_kb), with no code change: knowledge facts cited, off-topic questions
declined, account answers in that KB's own band names, a portfolio filter, a rule question.
Fast: the deterministic hashing embedder. tests/slow/test_second_kb.py runs the real model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.principal import Principal
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder
from tests.generality.cases import KBS, Case, load_cases, load_kb, problems, settings_for

ADMIN = Principal()


def _params() -> list[object]:
    out: list[object] = []
    for kb in KBS:
        for case in load_cases(kb):
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
            out.append(pytest.param(kb, case, id=f"{kb}-{case.id}", marks=marks))
    return out


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Services]]:
    built: dict[str, Services] = {}
    try:
        for kb in KBS:
            data = tmp_path_factory.mktemp(f"generality-{kb}") / "data"
            # the hashing embedder's similarities are low: the tests' usual floor, and a
            # weak-answer overlap for its scale (the real model's figures: tests/slow)
            settings = settings_for(
                kb,
                data,
                embedding_model="hashing",
                answer_min_similarity=0.05,
                answer_weak_answer_overlap=0.35,
            )
            built[kb] = build_services(settings, HashingEmbedder())
            load_kb(built[kb], kb)
        yield built
    finally:
        for services in built.values():
            services.close()


@pytest.mark.parametrize(("kb", "case"), _params())
def test_shared_question(engines: dict[str, Services], kb: str, case: Case) -> None:
    response = engines[kb].chat.chat(case.question, ADMIN)
    assert not problems(case, response), (problems(case, response), response.answer)


def test_both_knowledge_bases_answer_the_same_set() -> None:
    """The set is shared: every case runs on both KBs, with facts of each KB's own."""
    shipped, second = load_cases("shipped"), load_cases("second")
    assert [c.id for c in shipped] == [c.id for c in second]
    assert {c.kind for c in shipped} >= {"fact", "decline", "account", "portfolio", "rule"}
    for a, b in zip(shipped, second, strict=True):
        if a.kind != "decline":
            assert a.facts and b.facts and a.facts != b.facts, a.id


def test_second_kb_rules_cite_its_own_documents() -> None:
    """The second KB's rules file loads and every rule's section states its numbers."""
    from assistant.rules.check import check_rules
    from assistant.rules.load import load_rules

    rules = load_rules(KBS["second"] / "rules.yaml")
    assert check_rules(rules, KBS["second"]) == []
    assert rules.band_for(44).name == "Red" and rules.qualification.name == "MEDDPICC"
