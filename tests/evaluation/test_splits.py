"""Dev/test splits by a fixed hash of the case id, multi-turn cases and `absent` facts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from assistant.evaluation.runner import Scorer, run_suite
from assistant.evaluation.suite import Suite, load_suite, split_of
from assistant.services import Services
from tests.conftest import REPO
from tests.evaluation.conftest import tiny_suite, write_suite
from tests.evaluation.test_cli import assistant, report


def test_split_is_a_fixed_hash_of_the_id() -> None:
    for case_id in ("go-live", "red-band", "training", "x" * 80):
        bucket = int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) % 100
        assert split_of(case_id) == ("test" if bucket < 30 else "dev")
    assert split_of("training") == "test" and split_of("go-live") == "dev"


@pytest.mark.parametrize("path", sorted((REPO / "eval" / "suites").glob("*.yaml")))
def test_every_shipped_suite_splits_about_70_30(path: Path) -> None:
    suite = load_suite(path)
    dev, test = suite.select("dev"), suite.select("test")
    assert len(dev.cases) + len(test.cases) == len(suite.cases)
    assert {c.id for c in dev.cases}.isdisjoint({c.id for c in test.cases})
    share = len(test.cases) / len(suite.cases)
    assert 0.15 <= share <= 0.45, f"{path.name}: {len(test.cases)}/{len(suite.cases)} held out"
    assert dev.split == "dev" and test.split == "test" and suite.select("all").split == "all"


def test_eval_runs_one_split_and_reports_both_for_all(eval_env: Path) -> None:
    suite = write_suite(eval_env / "tiny.yaml", tiny_suite())
    assert assistant("eval", str(suite), "--split", "test", "--out", "test").exit_code == 0
    held_out = report(eval_env / "test")["suites"][0]
    assert held_out["split"] == "test" and [c["id"] for c in held_out["cases"]] == ["training"]
    result = assistant("eval", str(suite), "--out", "all")
    assert result.exit_code == 0, result.output
    whole = report(eval_env / "all")["suites"][0]
    assert whole["split"] == "all" and whole["summary"]["cases"] == 4
    assert whole["by_split"]["dev"]["summary"]["cases"] == 3
    assert whole["by_split"]["test"]["summary"]["cases"] == 1
    assert "test split (1 cases)" in result.output
    markdown = (eval_env / "all" / "report.md").read_text(encoding="utf-8")
    assert "| test | 1 |" in markdown
    bad = assistant("eval", str(suite), "--split", "train", "--out", "bad")
    assert bad.exit_code == 2 and "train" in bad.output


def test_a_conversation_runs_its_turns_in_one_conversation(indexed: Services) -> None:
    suite = Suite.model_validate(
        {
            "suite": "talk",
            "cases": [
                {
                    "id": "onboarding-then-training",
                    "turns": [
                        {"ask": "When should a new customer be live?", "expect": {"facts": ["30"]}},
                        {"ask": "and the administrator training?", "expect": {"facts": ["week"]}},
                    ],
                }
            ],
        }
    )
    result = run_suite(indexed.chat, suite, scorer=Scorer())
    first, second = result.cases
    assert [first.case.id, second.case.id] == [
        "onboarding-then-training#1",
        "onboarding-then-training#2",
    ]
    assert first.response.conversation_id == second.response.conversation_id
    history = indexed.chat.conversations.history(second.response.conversation_id)
    assert [turn.content for turn in history if turn.role == "user"] == [
        "When should a new customer be live?",
        "and the administrator training?",
    ]
    assert result.subset(split_of("onboarding-then-training")).summary["cases"] == 2


def test_a_case_needs_ask_or_turns_not_both(tmp_path: Path) -> None:
    from assistant.errors import InvalidInputError

    for case in (
        {"id": "none"},
        {"id": "both", "ask": "hi", "turns": [{"ask": "hello"}]},
    ):
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump({"suite": "s", "cases": [case]}), encoding="utf-8")
        with pytest.raises(InvalidInputError, match=case["id"]):
            load_suite(path)


def test_absent_facts_make_a_list_answer_inexact(indexed: Services) -> None:
    suite = Suite.model_validate(
        {
            "suite": "lists",
            "cases": [
                {
                    "id": "live",
                    "ask": "When should a new customer be live?",
                    "expect": {"facts": ["30 days"], "absent": ["lunch menu"]},
                },
                {
                    "id": "live-wrong",
                    "ask": "When should a new customer be live?",
                    "expect": {"facts": ["30 days"], "absent": ["30 days"]},
                },
            ],
        }
    )
    exact, inexact = run_suite(indexed.chat, suite, scorer=Scorer()).cases
    assert exact.scores["exact"] == 1.0 and exact.scores["fact_recall"] == 1.0
    assert inexact.scores["exact"] == 0.0 and inexact.scores["fact_recall"] == 1.0
    assert inexact.details["unexpected_facts"] == ["30 days"]


def test_a_conversation_suite_needs_the_account_store() -> None:
    """A conversation's turns name accounts without an `account:` field: the runner imports
    the knowledge folder's accounts for it, as for a case with an account or tools."""
    from assistant.evaluation.session import needs_accounts

    talk = Suite.model_validate(
        {"suite": "talk", "cases": [{"id": "c", "turns": [{"ask": "How is Acme doing?"}]}]}
    )
    plain = Suite.model_validate({"suite": "plain", "cases": [{"id": "k", "ask": "What is X?"}]})
    one = Suite.model_validate(
        {"suite": "one", "cases": [{"id": "a", "ask": "How is it?", "account": "ACC-1"}]}
    )
    assert needs_accounts(talk) and needs_accounts(one) and not needs_accounts(plain)
