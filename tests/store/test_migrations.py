"""The migrations are the schema: applied to an empty database (SQLite and Postgres) they
give exactly the models' tables, so a model changed without a migration fails here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from assistant.config import Settings
from assistant.errors import SchemaOutdatedError
from assistant.store import migrate
from assistant.store.db import build_engine
from assistant.store.schema import metadata
from tests.accounts.test_postgres import postgres_url  # noqa: F401  (the fixture)
from tests.conftest import make_settings


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    yield engine
    engine.dispose()


def test_head_constant_is_alembics_head() -> None:
    """A new migration must move HEAD too: it is how a current database is recognised
    without importing Alembic."""
    assert migrate.alembic_head() == migrate.HEAD


def test_a_current_database_needs_no_alembic(sqlite_engine: Engine) -> None:
    migrate.upgrade(sqlite_engine)
    code = (
        "import sys\n"
        "from sqlalchemy import create_engine\n"
        "from assistant.store import migrate\n"
        f"engine = create_engine({str(sqlite_engine.url)!r})\n"
        "assert migrate.upgrade(engine) == migrate.HEAD\n"
        "migrate.require_current(engine)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_migrations_on_sqlite_equal_the_models(sqlite_engine: Engine) -> None:
    assert migrate.upgrade(sqlite_engine) is None  # was empty
    assert migrate.current_revision(sqlite_engine) == migrate.head_revision()
    assert differences(sqlite_engine) == []


def test_migrations_on_postgres_equal_the_models(postgres_url: str) -> None:  # noqa: F811
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:  # a database of its own in the module's cluster
            connection.execute(text("drop schema if exists migrations cascade"))
            connection.execute(text("create schema migrations"))
        scoped = create_engine(postgres_url, connect_args={"options": "-c search_path=migrations"})
        try:
            migrate.upgrade(scoped)
            assert migrate.current_revision(scoped) == migrate.head_revision()
            assert differences(scoped) == []
        finally:
            scoped.dispose()
    finally:
        engine.dispose()


def test_a_model_change_without_a_migration_is_found(sqlite_engine: Engine) -> None:
    migrate.upgrade(sqlite_engine)
    with sqlite_engine.begin() as connection:
        connection.execute(text("alter table drafts drop column payload"))
    found = differences(sqlite_engine)
    assert any("payload" in repr(change) for change in found), found


def test_downgrade_then_upgrade_round_trips(sqlite_engine: Engine) -> None:
    migrate.upgrade(sqlite_engine)
    from alembic import command

    with sqlite_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    assert set(inspect(sqlite_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(sqlite_engine)
    assert differences(sqlite_engine) == []


def test_a_database_made_by_create_all_before_migrations_is_upgraded(tmp_path: Path) -> None:
    """Older data dirs: some tables exist, no `alembic_version`; nothing is lost."""
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir()
    legacy = create_engine(settings.sqlalchemy_url)
    tables = [t for name, t in metadata.tables.items() if not name.startswith("ingest_")]
    metadata.create_all(legacy, tables=[t for t in tables if t.name != "drafts"])
    with legacy.begin() as connection:
        connection.execute(
            text(
                "insert into conversations (id, user, created_at) "
                "values ('c1', 'someone', '2026-01-01 00:00:00')"
            )
        )
    legacy.dispose()
    engine = build_engine(settings)  # the embedded profile upgrades at start-up
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert differences(engine) == []
        with engine.connect() as connection:
            assert connection.execute(text("select id from conversations")).scalars().all() == [
                "c1"
            ]
    finally:
        engine.dispose()


def test_the_cluster_profile_never_migrates_at_start_up(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        profile="cluster",
        database_url=str(sqlite_engine.url),
        chroma_url="http://127.0.0.1:1",
        redis_url="redis://127.0.0.1:1/0",
    )
    with pytest.raises(SchemaOutdatedError, match="run `assistant db upgrade`"):
        build_engine(settings)
    assert inspect(sqlite_engine).get_table_names() == []
    migrate.upgrade(sqlite_engine)
    build_engine(settings).dispose()  # at head: starts


def test_the_cluster_profile_names_the_servers_it_lacks() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_REDIS_URL"):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            profile="cluster",
            database_url="postgresql+psycopg://db/x",
            chroma_url="http://chroma:8000",
        )
