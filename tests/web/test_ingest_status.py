"""Ingest progress on the admin page and GET /api/admin/ingest (embedded profile, in-process
ingest): the manifest's files, its generation, the runs recorded in the jobs ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.api.app import create_app
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


def status(url: str) -> dict[str, object]:
    response = httpx.get(f"{url}/api/admin/ingest", headers=bearer(ADMIN_KEY))
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
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
    (run,) = first["runs"]  # type: ignore[misc]
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
    newest, older = second["runs"]  # type: ignore[misc]
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
