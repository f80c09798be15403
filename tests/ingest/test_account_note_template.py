"""The account notes' headings come from the note template shipped beside the rules file
(templates/account_note.yaml), not from code: another template, other headings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.errors import ConfigurationError
from ingest import account_notes
from tests.conftest import REPO

KNOWLEDGE = REPO / "knowledge"
SHIPPED = yaml.safe_load((KNOWLEDGE / "templates" / "account_note.yaml").read_text("utf-8"))


def _run(tmp_path: Path, template: Path) -> str:
    account_notes.main(
        [
            "--accounts-dir",
            str(KNOWLEDGE / "accounts"),
            "--out-dir",
            str(tmp_path / "out"),
            "--rules",
            str(KNOWLEDGE / "rules.yaml"),
            "--template",
            str(template),
        ]
    )
    return (tmp_path / "out" / "account-notes" / "acc-001.md").read_text(encoding="utf-8")


def test_the_notes_use_the_templates_headings(tmp_path: Path) -> None:
    other = {
        "title": "Customer file: {name}",
        "sections": {
            "snapshot": "At a glance",
            "health": "Vitality",
            "licenses": "Seats",
            "voice": "What they say",
            "support": "Tickets",
            "outcomes": "Proven results",
            "opportunities": "Deals in flight",
        },
        "opportunity": ["deal in flight", "deals in flight"],
    }
    path = tmp_path / "note.yaml"
    path.write_text(yaml.safe_dump(other), encoding="utf-8")
    note = _run(tmp_path, path)
    assert (
        note.splitlines()[note.splitlines().index("---", 1) + 1]
        == "# Customer file: Northwind Traders"
    )
    for heading in other["sections"].values():
        assert f"\n## {heading}\n" in note
    for heading in SHIPPED["sections"].values():
        assert f"\n## {heading}\n" not in note


def test_a_template_missing_a_section_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = {**SHIPPED, "sections": {k: v for k, v in SHIPPED["sections"].items() if k != "voice"}}
    path = tmp_path / "note.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"(?s)note\.yaml.*sections\.voice"):
        _run(tmp_path, path)
