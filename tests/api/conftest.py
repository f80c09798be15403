"""A real server on loopback with the small corpus ingested and the shipped account exports
imported, with or without an API keys file, and a way to count what it stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.accounts.keys import write_keys
from tests.conftest import LiveServer, make_settings, write_corpus


@dataclass
class Served:
    url: str
    settings: Settings

    def rows(self, table: str) -> int:
        """Rows of a table of the server's SQLite database."""
        path = self.settings.sqlalchemy_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(count)


def serve(root: Path, keyed: bool) -> tuple[LiveServer, Settings]:
    from assistant.api.app import create_app

    keys = {"api_keys_file": write_keys(root / "keys.yaml")} if keyed else {}
    settings = make_settings(root / "data", today=TODAY, **keys)
    services = build_services(settings, HashingEmbedder())
    import_into(services)
    report = services.ingestor().run([write_corpus(root / "knowledge")])
    assert report.new == 3
    services.close()
    return LiveServer(create_app(settings, HashingEmbedder())), settings


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """No API keys file: single-user local mode."""
    server, settings = serve(tmp_path_factory.mktemp("open"), keyed=False)
    with server as live:
        yield Served(live.url, settings)


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """With an API keys file (tests.accounts.keys)."""
    server, settings = serve(tmp_path_factory.mktemp("keyed"), keyed=True)
    with server as live:
        yield Served(live.url, settings)
