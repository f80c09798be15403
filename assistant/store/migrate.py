"""Schema migrations (Alembic, `assistant/store/migrations`): one schema for SQLite and
Postgres, applied by `assistant db upgrade`, and at start-up in the embedded profile.

A database made before migrations existed (tables from `create_all`, no `alembic_version`)
is upgraded like a new one: the first revision creates only the tables it lacks. The cluster
profile never changes the schema on start-up (several workers start at once, and a schema
change is an operator's decision): a database behind the code stops the start with
`SchemaOutdatedError` saying what to run.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from assistant.errors import SchemaOutdatedError

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x5A55_1517  # advisory lock: one upgrade at a time on a Postgres database
_WRITER = {"assistant_sqlite_writer": True}  # SQLite: BEGIN IMMEDIATE (see store.db)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to `revision`; the revision it was at before."""
    with engine.execution_options(**_WRITER).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        before = MigrationContext.configure(connection).get_current_revision()
        if before == head_revision() and revision == "head":
            return before
        command.upgrade(alembic_config(connection), revision)
    return before


def require_current(engine: Engine) -> None:
    """Raise `SchemaOutdatedError` unless the database is at the code's head revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutdatedError(
            f"the database schema is at revision {current or 'none'}, the code needs {head}: "
            "run `assistant db upgrade` (with the same ASSISTANT_DATABASE_URL) and start again"
        )
