"""The draft prompts: loaded and validated at start-up; every prompt renders; a missing
variable or a malformed prompt raises."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from assistant.drafts.models import KINDS, draft_schema
from assistant.errors import ConfigurationError, InvalidInputError
from assistant.prompts import Prompt, default_prompts_dir, load_prompt, load_prompts
from tests.conftest import make_settings

SAMPLE = {
    "account_id": "ACC-001",
    "service": "observability-quick-start",
    "opportunity_id": "OPP-007",
    "today": "2026-11-01",
    "tool_results": '[{"name": "account_overview", "as_of": "2026-11-01"}]',
    "knowledge": "[1] Customer Success Plan Guide > Cadence\nA weekly touchpoint ...",
}


def test_every_draft_prompt_renders() -> None:
    prompts = load_prompts(default_prompts_dir())
    assert set(KINDS) <= set(prompts)
    for kind in KINDS:
        prompt = prompts[kind]
        assert prompt.kind == kind and prompt.description
        text = prompt.render(**{name: SAMPLE[name] for name in prompt.variables})
        schema = json.dumps(draft_schema(kind, evidence=False), indent=1)
        assert schema in text  # the output schema, generated from the model at render time
        assert "needs_input" in text and "Nothing is invented" in text
        assert SAMPLE["knowledge"] in text and SAMPLE["tool_results"] in text
        assert "{{" not in text and "{%" not in text


def test_the_one_pager_prompt_without_an_account() -> None:
    prompt = load_prompts(default_prompts_dir())["one_pager"]
    values = {name: SAMPLE[name] for name in prompt.variables}
    assert "tailored to account ACC-001" in prompt.render(**values)
    assert "tailored" not in prompt.render(**{**values, "account_id": None})


def test_missing_or_unknown_variables_raise() -> None:
    prompt = load_prompts(default_prompts_dir())["pitch"]
    with pytest.raises(InvalidInputError, match=r"missing variable\(s\): service, today"):
        prompt.render(account_id="ACC-001", tool_results="", knowledge="")
    values = {name: SAMPLE[name] for name in prompt.variables}
    with pytest.raises(InvalidInputError, match=r"unknown variable\(s\): colour"):
        prompt.render(**values, colour="red")


def test_a_nested_missing_attribute_raises() -> None:
    prompt = Prompt(name="p", description="d", variables=["account"], template="{{ account.x }}")
    with pytest.raises(InvalidInputError, match="prompt p"):
        prompt.render(account={})


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(default_prompts_dir(), folder, ignore=shutil.ignore_patterns("llm"))
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: (f / "pitch.md").unlink(), "prompts missing in .*: pitch"),
        (lambda f: (f / "pitch.md").write_text("no front matter"), "invalid front matter"),
        (lambda f: (f / "pitch.md").write_text("---\nname: [oops\n---\nx"), "cannot read"),
        (
            lambda f: (f / "pitch.md").write_text(
                (f / "pitch.md").read_text().replace("{{ today }}", "{{ today }} {{ extra }}")
            ),
            r"uses \[.*'extra'.*\] but declares",
        ),
        (
            lambda f: (f / "pitch.md").write_text(
                (f / "pitch.md").read_text().replace("{{ today }}", "{{ today ")
            ),
            "does not compile",
        ),
        (
            lambda f: (f / "pitch.md").write_text(
                (f / "pitch.md").read_text().replace("needs_input", "needs input")
            ),
            "must state the needs_input rule",
        ),
        (
            lambda f: (f / "pitch.md").write_text(
                (f / "pitch.md").read_text().replace("name: pitch", "name: pitches")
            ),
            "is not the file name",
        ),
    ],
)
def test_a_bad_prompt_folder_is_a_configuration_error(
    tmp_path: Path, change: object, message: str
) -> None:
    folder = _copy(tmp_path)
    change(folder)  # type: ignore[operator]
    with pytest.raises(ConfigurationError, match=message):
        load_prompts(folder)


def test_load_prompt_reads_one_file() -> None:
    assert load_prompt(default_prompts_dir() / "meddicc_review.md").kind == "meddicc_review"
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_prompts(Path("/nonexistent/prompts"))


def test_the_server_does_not_start_with_a_bad_prompt(tmp_path: Path) -> None:
    from assistant.api.app import create_app
    from ingest.embedding import HashingEmbedder

    folder = _copy(tmp_path)
    (folder / "success_plan.md").unlink()
    app = create_app(make_settings(tmp_path / "data", prompts_dir=folder), HashingEmbedder())

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(ConfigurationError, match="success_plan"):
        asyncio.run(start())
