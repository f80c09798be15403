"""`assistant import-accounts`: good, bad and partial files, file-level failures, idempotency."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from assistant.rules import load_rules
from assistant.services import Services
from assistant.store.accounts import Account, HealthSnapshot, License, Opportunity, Survey
from assistant.store.db import session_factory
from assistant.store.importer import AccountImporter
from tests.accounts import expected as x
from tests.accounts.conftest import import_into
from tests.accounts.expected import DATA, REJECTED_ACCOUNTS, known_issues, rows
from tests.rules.test_load import shipped_data, write


def count(services: Services, table: type) -> int:
    with services.database.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def copy_exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(DATA, folder)
    return folder


def test_good_rows_import_and_the_known_bad_rows_are_reported(empty_store: Services) -> None:
    report = import_into(empty_store)
    assert {(i.file, i.line) for i in report.rejected} == known_issues()
    reasons = {(i.file, i.line): i.reason for i in report.rejected}
    assert reasons[("accounts.csv", 31)] == "arr is missing"
    assert "not after contract_start" in reasons[("accounts.csv", 27)]
    assert "breadth" in reasons[("health_snapshots.csv", 259)]
    assert reasons[("surveys.csv", 224)] == "unknown account id ACC-099"
    assert not report.failed_files
    for name, table in [
        ("accounts.csv", Account),
        ("licenses.csv", License),
        ("health_snapshots.csv", HealthSnapshot),
        ("surveys.csv", Survey),
    ]:
        assert count(empty_store, table) == len(list(rows(name))), name
    assert count(empty_store, Opportunity) == 14
    # rows of the two rejected accounts are skipped and counted, not reported one by one
    licenses = next(f for f in report.files if f.file == "licenses.csv")
    assert set(licenses.skipped) == REJECTED_ACCOUNTS
    # an over-deployed row (1,260 active of 1,200 licensed) is imported as it is
    assert ("licenses.csv", 37) not in reasons
    with empty_store.database.connect() as connection:
        row = connection.execute(
            select(License.licensed, License.active).where(
                License.account_id == "ACC-017", License.module == "search"
            )
        ).one()
    assert tuple(row) == (1200, 1260)


def test_reimport_is_idempotent(empty_store: Services) -> None:
    first = import_into(empty_store)
    second = import_into(empty_store)
    assert sum(f.inserted for f in first.files) == 1701
    assert sum(f.inserted + f.updated for f in second.files) == 0
    assert sum(f.unchanged for f in second.files) == sum(f.inserted for f in first.files)
    assert {(i.file, i.line) for i in second.rejected} == known_issues()


def test_changed_rows_update_and_nothing_is_deleted(empty_store: Services, tmp_path: Path) -> None:
    import_into(empty_store)
    folder = copy_exports(tmp_path)
    text = (folder / "accounts.csv").read_text()
    (folder / "accounts.csv").write_text(text.replace("12000,1150000", "12000,1250000"))
    lines = (folder / "licenses.csv").read_text().splitlines(keepends=True)
    (folder / "licenses.csv").write_text("".join(lines[:5]))  # most license rows gone
    report = import_into(empty_store, folder)
    accounts = next(f for f in report.files if f.file == "accounts.csv")
    assert (accounts.updated, accounts.inserted) == (1, 0)
    assert empty_store.accounts.account("ACC-001").arr == 1250000
    assert count(empty_store, License) == len(list(rows("licenses.csv")))


def test_partial_file_imports_good_rows_and_reports_bad_ones(
    empty_store: Services, tmp_path: Path
) -> None:
    folder = copy_exports(tmp_path)
    with (folder / "surveys.csv").open("a") as fh:
        fh.write("ACC-001,2026-10-20,nps,11,Too High (CIO)\n")  # line 225
        fh.write("ACC-001,2026-10-21,csat,4.9,Fine Person (CIO)\n")  # line 226
        fh.write("ACC-001,2026-10-22,nps,8\n")  # line 227: a value short
        fh.write("ACC-001,2026-10-23,nps,8,Extra (CIO),surplus\n")  # line 228: one too many
        fh.write("ACC-001,2026-10-21,csat,4.9,Fine Person (CIO)\n")  # line 229: duplicate
    report = import_into(empty_store, folder)
    surveys = next(f for f in report.files if f.file == "surveys.csv")
    reasons = {i.line: i.reason for i in surveys.rejected}
    assert set(reasons) == {224, 225, 227, 228, 229}
    assert "whole number from 0 to 10" in reasons[225]
    assert reasons[227] == "respondent is missing"
    assert "6 values" in reasons[228]
    assert "duplicate of line 226" in reasons[229]
    assert surveys.inserted == len(list(rows("surveys.csv"))) + 1  # line 226 imported


@pytest.mark.parametrize(
    ("file", "damage", "fragment"),
    [
        ("health_snapshots.csv", lambda t: t.replace(",outcomes,", ",results,", 1), "outcomes"),
        (
            "licenses.csv",
            lambda t: t.replace("ACC-001,search,3000", 'ACC-001,"search,3000'),
            "not a valid CSV",
        ),
        ("opportunities.json", lambda t: t[:-20], "not valid JSON"),
        ("opportunities.json", lambda t: json.dumps({"items": []}), "JSON list"),
    ],
)
def test_a_bad_file_changes_nothing(
    empty_store: Services, tmp_path: Path, file: str, damage: object, fragment: str
) -> None:
    import_into(empty_store)
    folder = copy_exports(tmp_path)
    path = folder / file
    # change a value that would be updated, then break the file
    text = path.read_text()
    changed = (
        text.replace("ACC-001,2026-10-01,", "ACC-001,2026-10-01,1") if "health" in file else text
    )
    changed = changed.replace('"amount": 85000', '"amount": 95000')
    path.write_text(damage(changed))  # type: ignore[operator]
    before = {t: count(empty_store, t) for t in (HealthSnapshot, License, Opportunity)}
    report = import_into(empty_store, folder)
    failed = next(f for f in report.files if f.file == file)
    assert failed.error and fragment in failed.error
    assert failed.inserted == failed.updated == 0 and not failed.rejected
    assert {t: count(empty_store, t) for t in before} == before
    assert (
        empty_store.tools.call("opportunity", {"opportunity_id": "OPP-001"}, _admin()).model_dump()[
            "opportunities"
        ][0]["amount"]
        == 85000
    )
    others = [f for f in report.files if f.file != file]
    assert all(f.error is None for f in others)


def test_unreadable_and_missing_files_fail_alone(empty_store: Services, tmp_path: Path) -> None:
    folder = copy_exports(tmp_path)
    (folder / "incidents.csv").write_bytes(b"account_id,month,severity,count\n\xff\xfe,x\n")
    (folder / "outcomes.csv").unlink()
    report = import_into(empty_store, folder)
    errors = {f.file: f.error for f in report.files if f.error}
    assert set(errors) == {"incidents.csv", "outcomes.csv"}
    assert "cannot read" in str(errors["incidents.csv"])
    assert errors["outcomes.csv"] == "file not found"
    assert count(empty_store, Account) == len(list(rows("accounts.csv")))


def test_newer_live_license_counts_survive_a_reimport(empty_store: Services) -> None:
    from assistant.store.records import LicenseCounts

    import_into(empty_store)
    counts = LicenseCounts(module="search", licensed=3000, active=2900, assigned=2950)
    empty_store.accounts.record_licenses(
        "ACC-001", counts, __import__("datetime").date(2026, 11, 20)
    )
    report = import_into(empty_store)
    assert next(f for f in report.files if f.file == "licenses.csv").kept_newer == 1
    lic = empty_store.accounts.licenses(["ACC-001"])
    assert next(x for x in lic if x.module == "search").active == 2900


def test_cli_import_accounts(empty_store: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import cli
    from assistant.config import get_settings

    settings = empty_store.settings
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    result = CliRunner().invoke(cli.app, ["import-accounts", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "accounts.csv: 38 new" in result.output
    assert "rejected accounts.csv:31: arr is missing" in result.output
    strict = CliRunner().invoke(cli.app, ["import-accounts", str(DATA), "--strict"])
    assert strict.exit_code == 1 and "38 unchanged" in strict.output
    missing = CliRunner().invoke(cli.app, ["import-accounts", "/nonexistent"])
    assert missing.exit_code == 1
    get_settings.cache_clear()


def _admin():  # type: ignore[no-untyped-def]
    from assistant.principal import Principal

    return Principal()


def test_a_database_error_rolls_the_whole_file_back(empty_store: Services, tmp_path: Path) -> None:
    import_into(empty_store)
    folder = copy_exports(tmp_path)
    text = (folder / "accounts.csv").read_text()
    text = text.replace("12000,1150000", "12000,1250000")  # a valid update of ACC-001 ...
    text = text.replace("Lakeside Retail Group", "Woodgrove Bank")  # ... and a name clash
    (folder / "accounts.csv").write_text(text)
    report = import_into(empty_store, folder)
    failed = next(f for f in report.files if f.file == "accounts.csv")
    assert failed.error is not None and "database error" in failed.error
    assert empty_store.accounts.account("ACC-001").arr == 1150000  # the update rolled back
    assert empty_store.accounts.account("ACC-040").name == "Lakeside Retail Group"


def test_vocabularies_come_from_the_rules(empty_store: Services, tmp_path: Path) -> None:
    """A module the rules do not name is rejected with the rules' modules; rules naming a
    health component the schema has no column for fail that file, changing nothing."""
    folder = copy_exports(tmp_path)
    with (folder / "licenses.csv").open("a", encoding="utf-8") as fh:
        fh.write("ACC-001,crm,10,5,5\n")
    report = import_into(empty_store, folder)
    crm = [i for i in report.rejected if "crm" in i.reason]
    assert (
        len(crm) == 1 and "the rules name search, observability, security, genai" in crm[0].reason
    )

    data = shipped_data()
    data["health"]["components"].append({"key": "sentiment", "label": "Sentiment"})  # type: ignore[index]
    rules = load_rules(write(tmp_path, data))
    fresh = AccountImporter(session_factory(empty_store.database), rules).run(folder, x.TODAY)
    health = next(f for f in fresh.files if f.file == "health_snapshots.csv")
    assert (
        health.error is not None and "sentiment have no column in health_snapshots" in health.error
    )
