"""Ingest progress on the admin page, GET /api/admin/ingest and `assistant ingest --status`
(embedded profile, in-process ingest): the manifest's files, its generation, the runs
recorded in the jobs ledger; one computation (`assistant.jobs.progress`) behind all three."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from assistant.api.app import create_app
from assistant.cli import app
from assistant.config import get_settings
from assistant.services import Services, build_services
from assistant.store.db import build_engine
from ingest.embedding import HashingEmbedder
from ingest.manifest import Manifest
from tests.accounts.expected import TODAY
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY, bearer, write_keys
from tests.conftest import LiveServer, make_settings, write_corpus

EXTRA = """---
title: Renewal checklist
doc_type: playbook
---
# Renewal checklist

## Timing
Start the renewal conversation 120 days before the end of the term.
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    root = tmp_path_factory.mktemp("ingest-status")
    knowledge = write_corpus(root / "knowledge")
    (knowledge / "notes.txt").write_text("Plain notes.")
    (knowledge / "notes.txt.meta.yaml").write_text("- not\n- a mapping\n")  # skipped
    settings = make_settings(
        root / "data", today=TODAY, api_keys_file=write_keys(root / "keys.yaml")
    )
    built = build_services(settings, HashingEmbedder())
    try:
        report = built.ingestor().run([knowledge])
        assert report.new == 3 and len(report.skipped) == 1
    finally:
        built.close()
    with LiveServer(create_app(settings, HashingEmbedder())) as live:
        yield live, knowledge


def status(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/admin/ingest", headers=bearer(ADMIN_KEY))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def figure(page: str, name: str) -> str:
    match = re.search(rf'<dd id="ingest-{name}">([^<]*)</dd>', page)
    assert match is not None, name
    return match.group(1).strip()


def test_ingest_progress_equals_the_manifest_and_follows_a_new_run(
    served: tuple[LiveServer, Path],
) -> None:
    live, knowledge = served
    services: Services = live.server.config.app.state.services  # type: ignore[attr-defined]
    first = status(live.url)
    database = build_engine(services.settings)
    try:
        with Manifest(database) as manifest:
            files = manifest.files()
            generation, chunks = manifest.generation, manifest.chunk_count()
    finally:
        database.dispose()
    assert (first["files"], first["files_done"], first["files_pending"]) == (len(files), 3, 0)
    assert (first["generation"], first["chunks"]) == (generation, chunks)
    assert first["published_generation"] == generation
    assert first["files_failed"] == 1
    (run,) = first["runs"]
    assert run["finished"] and run["jobs"] == {"done": 1} and run["files"] == 4
    assert run["workers"][0].startswith("in-process")
    assert any("notes.txt" in line for line in run["skipped"])

    (knowledge / "playbooks" / "renewals.md").write_text(EXTRA)
    report = services.ingestor().run([knowledge])  # in-process, as the embedded profile does
    assert report.new == 1
    second = status(live.url)
    with Manifest(services.database) as manifest:
        now = manifest.generation
    assert second["files_done"] == 4 and second["generation"] == now > generation
    newest, older = second["runs"]
    assert older["run_id"] == run["run_id"] and newest["chunks_embedded"] == report.chunks_embedded

    with httpx.Client(base_url=live.url, timeout=30) as browser:
        signed = browser.post("/sign-in", data={"key": ADMIN_KEY, "next": "/admin"})
        page = browser.get(signed.headers["location"]).text
    assert figure(page, "done") == "4" and figure(page, "pending") == "0"
    assert figure(page, "failed") == str(second["files_failed"])
    assert figure(page, "generation") == str(now)
    assert figure(page, "chunks") == str(second["chunks"])
    rows = re.findall(r"<tr><td>(local-\w+)</td>", page)
    assert rows == [newest["run_id"], older["run_id"]]


def test_ingest_progress_needs_the_admin_role(served: tuple[LiveServer, Path]) -> None:
    response = httpx.get(f"{served[0].url}/api/admin/ingest", headers=bearer(SELLER_KEY))
    assert response.status_code == 403 and "admin" in response.json()["detail"]


def test_the_status_command_and_the_api_give_the_same_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge = write_corpus(tmp_path / "knowledge")
    (knowledge / "notes.txt").write_text("Plain notes.")
    (knowledge / "notes.txt.meta.yaml").write_text("- not\n- a mapping\n")  # skipped
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "400")
    monkeypatch.setenv("ASSISTANT_CHUNK_OVERLAP", "40")
    monkeypatch.setenv("ASSISTANT_API_KEYS_FILE", str(write_keys(tmp_path / "keys.yaml")))
    monkeypatch.setenv("ASSISTANT_WEB_SESSION_SECRET", "test-web-session-secret-0123456789")
    get_settings.cache_clear()
    try:
        ingested = CliRunner().invoke(app, ["ingest", str(knowledge)])
        assert ingested.exit_code == 0, ingested.output
        shown = CliRunner().invoke(app, ["ingest", "--status"])
        assert shown.exit_code == 0, shown.output
        settings = get_settings()
    finally:
        get_settings.cache_clear()
    with LiveServer(create_app(settings, HashingEmbedder())) as live:
        found = status(live.url)
    assert (found["files"], found["files_done"], found["files_pending"]) == (3, 3, 0)
    assert found["files_failed"] == 1 and found["generation"] == found["published_generation"]
    line = (
        f"manifest: {found['files']} files ({found['files_done']} done, "
        f"{found['files_pending']} pending, {found['files_failed']} skipped by the last run), "
        f"{found['chunks']} chunks, generation {found['generation']}; "
        f"BM25 snapshot generation {found['published_generation']}\n"
    )
    assert line in shown.output, shown.output
    (run,) = found["runs"]
    assert f"run {run['run_id']} " in shown.output
    assert f"files {run['files']}, chunks embedded {run['chunks_embedded']}" in shown.output
