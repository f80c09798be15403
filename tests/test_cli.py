"""The `assistant` command line, in process, on a temporary data directory."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import get_settings
from tests.conftest import REPO


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("ASSISTANT_ANSWER_MIN_SIMILARITY", "0.05")
    monkeypatch.delenv("ASSISTANT_API_KEYS_FILE", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_ingest_then_ask(env: Path, corpus: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", str(corpus)])
    assert first.exit_code == 0, first.output
    assert "files seen 3, new 3, changed 0, removed 0, skipped 0" in first.output
    again = runner.invoke(app, ["ingest", str(corpus)])
    assert "new 0, changed 0, removed 0, skipped 0, chunks embedded 0" in again.output

    answer = runner.invoke(app, ["ask", "When should a new customer be live?"])
    assert answer.exit_code == 0
    assert "30 days" in answer.output and "[1] Onboarding Playbook" in answer.output

    as_json = runner.invoke(app, ["ask", "When should a new customer be live?", "--json"])
    body = json.loads(as_json.output)
    assert body["engine"] == "grounded" and body["citations"][0]["n"] == 1
    assert set(body) >= {"conversation_id", "answer", "citations", "timings_ms"}


def test_ingest_reports_skipped_files(env: Path, corpus: Path) -> None:
    (corpus / "broken.json").write_text("{oops")
    result = CliRunner().invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 0
    assert "broken.json: invalid JSON" in result.output
    assert "skipped 1" in result.output


def test_ask_rejects_blank_question(env: Path) -> None:
    result = CliRunner().invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "empty or blank" in result.output


def test_serve_refuses_public_interface_without_keys(env: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1
    assert "only binds to loopback" in result.output


# issue 11, findings 13 and 17: clear one-line failures, no traceback ---------------------
def _unwritable_data_dirs(tmp: Path) -> list[Path]:
    """A data dir under a regular file always; a read-only one where the OS allows it
    (chmod when not root; a read-only tmpfs mount when root)."""
    blocker = tmp / "a-file"
    blocker.write_text("not a folder")
    found = [blocker / "data"]
    readonly = tmp / "readonly"
    readonly.mkdir()
    if os.geteuid() != 0:
        readonly.chmod(0o555)
        found += [readonly, readonly / "data"]
    elif (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)],
            capture_output=True,
        ).returncode
        == 0
    ):
        found += [readonly, readonly / "data"]
    return found


@pytest.fixture
def unwritable(env: Path) -> Iterator[list[Path]]:
    dirs = _unwritable_data_dirs(env)
    yield dirs
    readonly = env / "readonly"
    if os.path.ismount(readonly):
        subprocess.run(["umount", str(readonly)], check=False)
    readonly.chmod(0o755)


@pytest.mark.parametrize(
    "command",
    [["ingest", "{corpus}"], ["import-accounts", "{exports}"], ["serve", "--port", "9"]],
)
def test_unwritable_data_dir_is_one_clear_line(
    unwritable: list[Path],
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    exports = REPO / "knowledge" / "accounts"
    args = [part.format(corpus=corpus, exports=exports) for part in command]
    for data_dir in unwritable:
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (data_dir, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1, result.output
        assert lines[0].startswith(f"error: data directory {data_dir}")
        assert "ASSISTANT_DATA_DIR" in lines[0] and "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        )


def test_a_second_ingest_exits_with_a_clear_message(env: Path, corpus: Path) -> None:
    from ingest.writer_lock import WriterLock

    os.environ["ASSISTANT_INGEST_LOCK_TIMEOUT"] = "0.2"
    try:
        get_settings.cache_clear()
        with WriterLock(env / "data" / "ingest.lock", 0):
            result = CliRunner().invoke(app, ["ingest", str(corpus)])
    finally:
        del os.environ["ASSISTANT_INGEST_LOCK_TIMEOUT"]
    assert result.exit_code == 1
    assert f"another ingest (process {os.getpid()}) is writing to {env / 'data'}" in result.output
    assert "ASSISTANT_INGEST_LOCK_TIMEOUT" in result.output
    again = CliRunner().invoke(app, ["ingest", str(corpus)])
    assert again.exit_code == 0 and "new 3" in again.output
