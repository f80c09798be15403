"""Alembic environment: the store's metadata, and the connection `assistant.store.migrate`
passes in (or the URL of the `alembic` command line: `-x url=...`, else the settings)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from assistant.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite: copy+swap
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from assistant.config import get_settings

    return get_settings().sqlalchemy_url


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(_url())
    try:
        with engine.connect() as fresh:
            _run(fresh)
    finally:
        engine.dispose()
