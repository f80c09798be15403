"""The same store code on Postgres: a throwaway cluster (initdb + pg_ctl on a loopback port)
when the Postgres binaries are installed; skipped otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from assistant.principal import Principal
from assistant.services import Services, build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY, known_issues
from tests.conftest import free_port, make_settings

BIN = Path("/usr/lib/postgresql/15/bin")


def pg_binary(name: str) -> str | None:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    return found


def run_as_owner(command: list[str]) -> list[str]:
    """initdb refuses root: run it as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway Postgres cluster on a loopback port; its SQLAlchemy URL."""
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    if not initdb or not pg_ctl or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("Postgres binaries are not installed")
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))  # pytest's tmp is root-only (0700)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(
        run_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        **quiet,
    )  # type: ignore[call-overload]
    # room for the cluster tests' two API and two ingest workers
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        run_as_owner(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
        ),
        check=True,
        **quiet,
    )  # type: ignore[call-overload]
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(run_as_owner([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), **quiet)  # type: ignore[call-overload]
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres() as url:
        yield url


@pytest.fixture(scope="module")
def on_postgres(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("pgdata")
    services = build_services(
        make_settings(data, today=TODAY, database_url=postgres_url), HashingEmbedder()
    )
    yield services
    services.close()


def test_import_is_idempotent_on_postgres(on_postgres: Services) -> None:
    first = import_into(on_postgres)
    second = import_into(on_postgres)
    assert {(i.file, i.line) for i in first.rejected} == known_issues()
    assert sum(f.inserted for f in first.files) == 1701
    assert sum(f.inserted + f.updated for f in second.files) == 0


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_accounts", {}),
    ("renewals_due", {"days": 365}),
    ("expansion_targets", {}),
    ("license_utilization", {}),
    ("health_score", {"account_id": "ACC-002"}),
    ("survey_trend", {"account_id": "ACC-001"}),
    ("support_incidents", {"account_id": "ACC-006"}),
    ("opportunity", {"account_id": "ACC-001"}),
]


@pytest.mark.parametrize(("name", "args"), CALLS)
def test_tools_agree_with_sqlite(
    on_postgres: Services, loaded: Services, name: str, args: dict[str, Any]
) -> None:
    import_into(on_postgres)
    admin = Principal()
    assert on_postgres.tools.call(name, args, admin) == loaded.tools.call(name, args, admin)


def test_a_failing_file_rolls_back_on_postgres(on_postgres: Services, tmp_path: Path) -> None:
    from tests.accounts.test_importer import copy_exports

    import_into(on_postgres)
    folder = copy_exports(tmp_path)
    text = (folder / "accounts.csv").read_text()
    text = text.replace("12000,1150000", "12000,1250000").replace(
        "Lakeside Retail Group", "Woodgrove Bank"
    )
    (folder / "accounts.csv").write_text(text)
    failed = next(f for f in import_into(on_postgres, folder).files if f.file == "accounts.csv")
    assert failed.error and on_postgres.accounts.account("ACC-001").arr == 1150000
