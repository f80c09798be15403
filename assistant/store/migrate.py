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
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from assistant.errors import SchemaOutdatedError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (tests/store/test_migrations.py checks it against
# Alembic's own head). A database already there is recognised without importing Alembic
# (about 0.13 s of every command's start).
HEAD = "0005"
_PG_LOCK = 0x5A55_1517  # advisory lock: one upgrade at a time on a Postgres database
_WRITER = {"assistant_sqlite_writer": True}  # SQLite: BEGIN IMMEDIATE (see store.db)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def alembic_head() -> str:
    """The head revision as Alembic reads it from the migrations folder."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def head_revision() -> str:
    return HEAD


def _recorded(connection: Connection) -> str | None:
    """The revision `alembic_version` records (None: no table, or not exactly one row)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.execute(text("select version_num from alembic_version")).all()
    return str(versions[0][0]) if len(versions) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _recorded(connection)


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to `revision`; the revision it was at before."""
    with engine.execution_options(**_WRITER).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        before = _recorded(connection)
        if before == HEAD and revision == "head":
            return before
        from alembic import command

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
