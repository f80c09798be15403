"""Draft templates are data: the shipped ones load, a customer's edit changes the draft, and
a bad file fails with the file, the key and what to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from assistant.drafts.templates import (
    SECTION_KEYS,
    default_templates_dir,
    load_template,
    load_templates,
    templates_dir,
)
from assistant.errors import ConfigurationError


def test_shipped_templates_cover_every_kind_and_section() -> None:
    templates = load_templates(default_templates_dir())
    for kind, template in templates.items():
        assert [s.key for s in template.sections] == list(SECTION_KEYS[kind])
        for section in template.sections:
            assert section.question.endswith("?"), (kind, section.key)
            assert all(g.question for g in section.guidance.values())


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), folder)
    return folder


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_an_edited_title_and_question_are_what_the_template_holds(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def rename(data: dict[str, object]) -> None:
        sections = data["sections"]
        assert isinstance(sections, list)
        sections[4]["title"] = "Risks we watch"
        sections[4]["guidance"]["levers"]["question"] = "How do we keep a customer at risk?"

    _edit(folder / "success_plan.yaml", rename)
    template = load_templates(folder)["success_plan"]
    assert template.titles["risks"] == "Risks we watch"
    assert template.lookup("risks", "levers").question == "How do we keep a customer at risk?"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sections"].pop(0), "missing: snapshot"),
        (lambda d: d["sections"][0].update(heading="x"), "sections.0.heading"),
        (lambda d: d["sections"][0]["guidance"]["bands"].update(must="(unclosed"), "regular"),
        (lambda d: d.update(kind="pitch"), "must equal the file name"),
        (lambda d: d["sections"][0]["guidance"]["bands"].pop("question"), "question"),
    ],
)
def test_a_bad_template_names_the_file_and_key(
    tmp_path: Path, change: object, message: str
) -> None:
    folder = _copy(tmp_path)
    path = folder / "success_plan.yaml"
    _edit(path, change)
    with pytest.raises(ConfigurationError) as error:
        load_template(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_missing_template_file_is_a_configuration_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "pitch.yaml").unlink()
    with pytest.raises(ConfigurationError, match="no template for the pitch drafts"):
        load_templates(folder)


def test_templates_folder_resolution(tmp_path: Path) -> None:
    assert templates_dir(tmp_path / "mine", tmp_path) == tmp_path / "mine"
    assert templates_dir(None, tmp_path) == default_templates_dir()  # no templates/ there
    (tmp_path / "templates").mkdir()
    assert templates_dir(None, tmp_path) == tmp_path / "templates"
