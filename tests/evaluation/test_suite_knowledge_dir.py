"""A suite may name the knowledge folder it asks about (`knowledge_dir:`, as
eval/suites/second_kb.yaml does): it then runs on that folder, with its own rules file, index
and database, and never mixes with the configured knowledge base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import Settings
from assistant.errors import InvalidInputError
from assistant.evaluation.session import suite_settings
from assistant.evaluation.suite import Suite
from tests.conftest import REPO, write_corpus
from tests.evaluation.conftest import tiny_suite, write_suite


def other_kb(root: Path) -> Path:
    """The small corpus with another go-live window, and a rules file of its own."""
    folder = write_corpus(root / "other-kb")
    onboarding = folder / "playbooks" / "onboarding.md"
    text = onboarding.read_text(encoding="utf-8")
    onboarding.write_text(text.replace("within 30 days", "within 45 days"), encoding="utf-8")
    shutil.copy(REPO / "knowledge" / "rules.yaml", folder / "rules.yaml")
    return folder


def test_a_suite_on_another_kb_gets_its_own_folder_rules_and_stores(tmp_path: Path) -> None:
    folder = other_kb(tmp_path)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        rules_file=tmp_path / "rules.yaml",
    )
    suite = Suite.model_validate({"suite": "other", "knowledge_dir": folder, "cases": []})
    moved = suite_settings(settings, suite)
    assert moved.knowledge_dir == folder
    assert moved.rules_path == folder / "rules.yaml"
    assert moved.data_dir.parent == tmp_path / "data" / "suites"
    assert moved.collection != settings.collection
    same = Suite.model_validate(
        {"suite": "same", "knowledge_dir": tmp_path / "knowledge", "cases": []}
    )
    assert suite_settings(settings, same) is settings
    missing = Suite.model_validate(
        {"suite": "gone", "knowledge_dir": tmp_path / "nowhere", "cases": []}
    )
    with pytest.raises(InvalidInputError, match=r"knowledge_dir .* is not a folder"):
        suite_settings(settings, missing)


def test_two_suites_on_two_kbs_each_answer_from_their_own(eval_env: Path) -> None:
    other_kb(eval_env)
    shipped = write_suite(eval_env / "shipped.yaml", tiny_suite(name="shipped"))
    second = tiny_suite(name="second")
    second["knowledge_dir"] = "other-kb"
    for case in second["cases"]:  # type: ignore[attr-defined]
        expect = case["expect"]
        expect["sources"] = [
            s.replace("knowledge/", "other-kb/") for s in expect.get("sources", [])
        ]
        if case["id"] == "go-live":
            expect["facts"] = ["within 45 days"]
    path = write_suite(eval_env / "second.yaml", second)
    result = CliRunner().invoke(
        app, ["eval", str(shipped), str(path), "--out", "out"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "ingesting other-kb first" in result.output
    suites = json.loads((eval_env / "out" / "report.json").read_text(encoding="utf-8"))["suites"]
    answers = {s["suite"]: s["cases"][0]["answer"] for s in suites}
    assert "within 30 days" in answers["shipped"] and "45" not in answers["shipped"]
    assert "within 45 days" in answers["second"] and "30 days" not in answers["second"]
    assert any((eval_env / "data" / "suites").glob("other-kb-*"))
