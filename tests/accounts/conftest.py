"""Fixtures for the accounts store, tools, account chat and access control: the shipped
account exports imported into a temporary database, with the clock pinned to the data's
reference date (2026-11-01)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.principal import Principal
from assistant.services import Services, build_services
from assistant.store.db import session_factory
from assistant.store.importer import AccountImporter, ImportReport
from ingest.embedding import HashingEmbedder
from tests.accounts.expected import DATA, TODAY
from tests.conftest import make_settings

ADMIN = Principal()


def import_into(services: Services, folder: Path = DATA) -> ImportReport:
    return AccountImporter(session_factory(services.database), services.rules).run(folder, TODAY)


@pytest.fixture
def pinned_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", today=TODAY)


@pytest.fixture
def empty_store(pinned_settings: Settings) -> Iterator[Services]:
    built = build_services(pinned_settings, HashingEmbedder())
    yield built
    built.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The shipped exports imported once per module (read-only tests share it)."""
    settings = make_settings(tmp_path_factory.mktemp("accounts") / "data", today=TODAY)
    built = build_services(settings, HashingEmbedder())
    import_into(built)
    yield built
    built.close()


@pytest.fixture(scope="module")
def guided(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Exports imported and the playbooks and guides ingested, for cited guidance."""
    settings = make_settings(tmp_path_factory.mktemp("guided") / "data", today=TODAY)
    built = build_services(settings, HashingEmbedder())
    import_into(built)
    root = DATA.parent
    report = built.ingestor().run([root / "playbooks", root / "guides"])
    assert report.new > 0 and not report.skipped
    built.close()
    built = build_services(settings, HashingEmbedder())  # reload the lexical index
    yield built
    built.close()
