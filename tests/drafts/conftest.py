"""Fixtures for the drafts: the shipped knowledge ingested with the deterministic embedder and
the shipped account exports imported, into one temporary data directory per test package,
with the clock pinned to the data's reference date (2026-11-01). Two extra accounts without
any metrics (one onboarding, one not started) show that missing data is flagged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.drafts.service import DraftService
from assistant.principal import Principal
from assistant.services import Services, build_services
from assistant.store.db import session_factory
from assistant.store.importer import AccountImporter
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.conftest import REPO, make_settings

ADMIN = Principal()
SPARSE = (
    "ACC-041,Zephyr Labs,technology,smb,50,20000,2026-10-15,2027-10-15,Maya Chen,Ben Carter,"
    ",none,onboard\n"
    "ACC-042,Aurora Dental,healthcare,smb,80,15000,2026-12-01,2027-12-01,Tom Becker,Omar Haddad,"
    "Nimbus MSP,cs_manager,land\n"
)


def draft_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"today": TODAY, "chunk_size": 900, "chunk_overlap": 120}
    values.update(overrides)
    return make_settings(data_dir, **values)


def load_sparse(services: Services, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    header = (REPO / "knowledge" / "accounts" / "accounts.csv").read_text().splitlines()[0]
    (folder / "accounts.csv").write_text(header + "\n" + SPARSE, encoding="utf-8")
    AccountImporter(session_factory(services.database), services.rules).run(folder, TODAY)


def prepare(data_dir: Path) -> Settings:
    """Import the accounts (and the sparse ones) and ingest knowledge/ into `data_dir`."""
    settings = draft_settings(data_dir)
    built = build_services(settings, HashingEmbedder())
    try:
        import_into(built)
        load_sparse(built, data_dir.parent / "sparse")
        report = built.ingestor().run([REPO / "knowledge"])
        assert report.new > 70 and not report.skipped
    finally:
        built.close()
    return settings


@pytest.fixture(scope="package")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return prepare(tmp_path_factory.mktemp("drafts") / "data")


@pytest.fixture(scope="package")
def drafting(prepared: Settings) -> Iterator[Services]:
    built = build_services(prepared, HashingEmbedder())
    yield built
    built.close()


@pytest.fixture(scope="package")
def drafts(drafting: Services) -> DraftService:
    assert drafting.drafts is not None
    return drafting.drafts


def copy_data(prepared: Settings, target: Path) -> Path:
    """A private copy of the prepared data directory (for a server of its own)."""
    shutil.copytree(prepared.data_dir, target)
    return target
