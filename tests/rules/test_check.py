"""The citation check: a rule whose section no longer states its numbers or names fails;
/readyz reports it as a warning."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from assistant.rules import check_rules, load_rules
from assistant.rules.check import stated_numbers
from tests.rules.test_load import KNOWLEDGE, SHIPPED, shipped_data, write


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the shipped guides and playbooks to edit."""
    folder = tmp_path / "knowledge"
    for sub in ("guides", "playbooks"):
        shutil.copytree(KNOWLEDGE / sub, folder / sub)
    return folder


def test_numbers_as_documents_write_them() -> None:
    found = stated_numbers("from 40 to 59, 50% or more, $1-2M of ARR, 1,200 seats, 4.2 CSAT")
    assert {40, 59, 0.5, 50, 1_000_000, 2_000_000, 1200, 4.2} <= found


def test_a_changed_band_boundary_fails_the_check(knowledge: Path) -> None:
    guide = knowledge / "guides" / "health-scoring.md"
    text = guide.read_text(encoding="utf-8")
    moved = text.replace("below 40", "below 45").replace("from 40 to 59", "from 45 to 59")
    guide.write_text(moved, encoding="utf-8")
    problems = check_rules(load_rules(SHIPPED), knowledge)
    assert [p.rule for p in problems] == ["health.bands"]
    assert "no longer states 40" in problems[0].message
    assert "Health Scoring Guide > Bands" in str(problems[0])


def test_a_renamed_quadrant_fails_the_check(knowledge: Path) -> None:
    playbook = knowledge / "playbooks" / "expansion-targeting.md"
    text = playbook.read_text(encoding="utf-8")
    playbook.write_text(text.replace('"Advocate"', '"Champion"'), encoding="utf-8")
    problems = check_rules(load_rules(SHIPPED), knowledge)
    assert [p.rule for p in problems] == ["expansion.quadrants"]
    assert "'Advocate'" in problems[0].message


def test_a_missing_section_names_the_sections_there_are(knowledge: Path, tmp_path: Path) -> None:
    data = shipped_data()
    data["renewal"]["windows"][0]["source"]["section"] = "Calendar"  # type: ignore[index]
    problems = check_rules(load_rules(write(tmp_path, data)), knowledge)
    assert [p.rule for p in problems] == ["renewal.windows.portfolio_review"]
    assert "no section 'Calendar'" in problems[0].message and "Timeline" in problems[0].message


def test_a_rule_changed_in_the_file_but_not_in_the_document_fails(
    knowledge: Path, tmp_path: Path
) -> None:
    data = shipped_data()
    data["expansion"]["penetration"]["low_below"] = 175  # type: ignore[index]
    problems = check_rules(load_rules(write(tmp_path, data)), knowledge)
    assert [p.rule for p in problems] == ["expansion.penetration"]
    assert "175" in problems[0].message


def test_an_escalation_window_the_playbook_does_not_state_fails(
    knowledge: Path, tmp_path: Path
) -> None:
    data = shipped_data()
    data["expansion"]["escalate"]["renews_within_months"] = 9  # type: ignore[index]
    problems = check_rules(load_rules(write(tmp_path, data)), knowledge)
    assert [p.rule for p in problems] == ["expansion.escalate"]
    assert "9" in problems[0].message and "When to escalate" in str(problems[0])


def test_a_heading_path_and_a_document_path_both_find_the_section(
    knowledge: Path, tmp_path: Path
) -> None:
    data = shipped_data()
    sources = data["health"]["sources"]  # type: ignore[index]
    sources["bands"] = {"document": "guides/health-scoring.md", "section": "Bands"}
    sources["trend"] = {
        "document": "Health Scoring Guide",
        "section": "Health Scoring Guide > Trends",
    }
    assert check_rules(load_rules(write(tmp_path, data)), knowledge) == []


def test_readyz_warns_about_rules_that_drifted(knowledge: Path, tmp_path: Path) -> None:
    from assistant.api.app import create_app
    from ingest.embedding import HashingEmbedder
    from tests.conftest import LiveServer, make_settings

    guide = knowledge / "guides" / "license-compliance.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("50%", "60%"), encoding="utf-8")
    settings = make_settings(tmp_path / "data", knowledge_dir=knowledge, rules_file=SHIPPED)
    with LiveServer(create_app(settings, HashingEmbedder())) as server:
        body = httpx.get(f"{server.url}/readyz", timeout=30).json()
    assert body["rules"]["file"] == str(SHIPPED)
    assert any(p.startswith("licenses.levels") for p in body["rules"]["problems"])
    assert "warning" in body


def test_shipped_rules_yaml_is_valid_yaml_with_every_block() -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert {"health", "licenses", "expansion", "renewal", "surveys", "qualification"} <= set(data)


def test_check_rules_command_exits_1_on_a_problem(
    knowledge: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.config import get_settings

    monkeypatch.setenv("ASSISTANT_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("ASSISTANT_RULES_FILE", str(SHIPPED))
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(app, ["check-rules"]).exit_code == 0
        guide = knowledge / "guides" / "csat-nps.md"
        guide.write_text(guide.read_text(encoding="utf-8").replace("4.9", "4.95"), "utf-8")
        result = CliRunner().invoke(app, ["check-rules"])
        assert result.exit_code == 1 and "surveys.csat" in result.output
    finally:
        get_settings.cache_clear()
