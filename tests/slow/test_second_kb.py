"""The shared generality cases on the second vendor's knowledge base through the real
embedding model: fact recall over the fact and rule cases, decline rate over the off-topic
ones (targets 0.85 and 0.90, issue 12). Marked slow; prints the two figures:

    pytest tests/slow/test_second_kb.py -m slow -s
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.principal import Principal
from assistant.services import Services, build_services
from tests.generality.cases import load_cases, load_kb, problems, settings_for

pytestmark = pytest.mark.slow
ADMIN = Principal()


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = build_services(settings_for("second", tmp_path_factory.mktemp("second") / "data"))
    load_kb(services, "second")
    yield services
    services.close()


@pytest.fixture(scope="module")
def scores(second: Services) -> tuple[float, float]:
    """(fact recall, decline rate) of the second KB's shared cases."""
    facts = found = declines = declined = 0
    for case in load_cases("second"):
        response = second.chat.chat(case.question, ADMIN)
        if case.kind == "decline":
            declines += 1
            declined += response.declined
        elif case.kind in ("fact", "rule"):
            missing = sum(1 for p in problems(case, response) if p.startswith("fact "))
            facts += len(case.facts)
            found += len(case.facts) - min(missing, len(case.facts))
    print(f"\nsecond KB, real model: fact recall {found / facts:.3f} ({found}/{facts}), "
          f"declined {declined / declines:.3f} ({declined}/{declines})")  # fmt: skip
    return found / facts, declined / declines


def test_second_kb_declines_off_topic(scores: tuple[float, float]) -> None:
    assert scores[1] >= 0.90


def test_second_kb_fact_recall(scores: tuple[float, float]) -> None:
    assert scores[0] >= 0.85
