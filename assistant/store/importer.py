"""`assistant import-accounts DIR`: load the account exports into the accounts store.

Rules (also in the README):
- Each file is imported in its own transaction, in dependency order (accounts first).
- A file-level problem (missing file, unreadable or unparsable file, a required column
  missing, a database error) rolls the whole file back: it changes nothing.
- A bad row is rejected and reported with file, line and reason; the good rows of the same
  file are imported. Rows of an account whose own row was rejected in this run are skipped
  and counted per account (they are not bad themselves).
- The vocabularies (modules, health components and the overall formula, qualification
  fields) are the business rules' (`Vocabulary`); a rule the schema cannot hold (a
  component without a column) fails that file with the reason.
- Over-deployed licenses (active above licensed) are imported as they are; the licenses
  tool flags them.
- The import is an idempotent upsert by natural key: unchanged rows are left alone and
  nothing is deleted, so metrics recorded through the API survive a re-import. A row
  recorded later than the export (`as_of` after the export's reference date) is kept.

Line numbers count the CSV header as line 1; for opportunities.json the "line" is the
index of the item in the list.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from assistant.store import accounts as tables
from assistant.store import records
from assistant.store.db import Base


@dataclass(frozen=True)
class RowIssue:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    file: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.file}: NOT IMPORTED ({self.error})"
        text = (
            f"{self.file}: {self.inserted} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.rejected)} rejected"
        )
        if self.kept_newer:
            text += f", {self.kept_newer} kept (newer than the export)"
        if self.skipped:
            text += ", skipped rows of rejected accounts: " + ", ".join(
                f"{account} ({count})" for account, count in sorted(self.skipped.items())
            )
        return text


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def rejected(self) -> list[RowIssue]:
        return [issue for report in self.files for issue in report.rejected]

    @property
    def failed_files(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def summary(self) -> str:
        return "\n".join(report.summary() for report in self.files)


class FileError(Exception):
    """The file as a whole cannot be imported."""


@dataclass(frozen=True)
class FileSpec:
    name: str
    record: type[records.Record]
    table: type[Base]
    flatten: Callable[[dict[str, Any]], dict[str, Any]] = lambda values: values


def _flatten_opportunity(values: dict[str, Any]) -> dict[str, Any]:
    fields = {column: values["meddicc"].get(column) for column in records.QUALIFICATION_COLUMNS}
    return {**{k: v for k, v in values.items() if k != "meddicc"}, **fields}


SPECS = (
    FileSpec("accounts.csv", records.AccountRecord, tables.Account),
    FileSpec("licenses.csv", records.LicenseRecord, tables.License),
    FileSpec("health_snapshots.csv", records.HealthRecord, tables.HealthSnapshot),
    FileSpec("surveys.csv", records.SurveyRecord, tables.Survey),
    FileSpec("incidents.csv", records.IncidentRecord, tables.Incident),
    FileSpec("outcomes.csv", records.OutcomeRecord, tables.Outcome),
    FileSpec(
        "opportunities.json", records.OpportunityRecord, tables.Opportunity, _flatten_opportunity
    ),
)


def export_date(directory: Path, default: dt.date) -> dt.date:
    """The export's reference date from meta.json (the clock's date when there is none)."""
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        return dt.date.fromisoformat(str(meta["reference_date"]))
    except (OSError, ValueError, KeyError, TypeError):
        return default


def read_rows(path: Path, columns: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, raw row) pairs; FileError for an unreadable file or a missing column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise FileError("file not found") from error
    except (OSError, UnicodeDecodeError) as error:
        raise FileError(f"cannot read the file: {error}") from error
    if path.suffix == ".json":
        yield from _json_rows(text)
        return
    try:
        reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
        header = list(reader.fieldnames or [])
        missing = [c for c in columns if c not in header]
        if missing:
            raise FileError(f"missing required column(s): {', '.join(missing)}")
        rows = list(reader)
        ends = _line_numbers(text)
    except csv.Error as error:
        raise FileError(f"not a valid CSV file: {error}") from error
    for row, line in zip(rows, ends, strict=False):
        if None in row:
            yield (
                line,
                {
                    "__error__": f"row has {len(header) + len(row[None])} values; "
                    f"the header has {len(header)}"
                },
            )
            continue
        yield line, {k: (v.strip() or None) if isinstance(v, str) else v for k, v in row.items()}


def _line_numbers(text: str) -> list[int]:
    """The line each CSV record ends on (records may span lines inside quotes)."""
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    next(reader, None)
    return [reader.line_num for row in reader if row]


def _json_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileError(f"not valid JSON: {error}") from error
    if not isinstance(items, list):
        raise FileError("expected a JSON list of records")
    for index, item in enumerate(items):
        yield index, item if isinstance(item, dict) else {"__error__": "not a JSON object"}


class AccountImporter:
    def __init__(self, sessions: sessionmaker[Session], vocabulary: records.Vocabulary) -> None:
        self._sessions = sessions
        self._vocabulary = vocabulary
        self._context = records.vocabulary_context(vocabulary)

    def run(self, directory: Path, default_as_of: dt.date) -> ImportReport:
        as_of = export_date(directory, default_as_of)
        report = ImportReport()
        rejected_accounts: set[str] = set()
        unfit = records.schema_problems(self._vocabulary)
        for spec in SPECS:
            file_report = FileReport(spec.name)
            report.files.append(file_report)
            problem = unfit.get(str(spec.table.__tablename__))
            if problem is not None:
                _reset(file_report, f"the rules do not fit the import schema: {problem}")
                continue
            try:
                self._import_file(
                    directory / spec.name, spec, as_of, file_report, rejected_accounts
                )
            except FileError as error:
                _reset(file_report, str(error))
            except SQLAlchemyError as error:
                _reset(file_report, f"database error, nothing written: {error.__class__.__name__}")
        return report

    def _import_file(
        self,
        path: Path,
        spec: FileSpec,
        as_of: dt.date,
        report: FileReport,
        rejected_accounts: set[str],
    ) -> None:
        columns = [c for c in spec.record.model_fields if c != "meddicc"]
        rows = list(read_rows(path, columns))  # a file-level error surfaces before any write
        mapper = inspect(spec.table)
        keys = [str(column.key) for column in mapper.primary_key]
        has_as_of = "as_of" in mapper.columns
        with self._sessions.begin() as session:
            known = set(session.scalars(select(tables.Account.id)))
            existing = {_key(obj, keys): obj for obj in session.scalars(select(spec.table))}
            first_seen: dict[tuple[Any, ...], int] = {}
            for line, raw in rows:
                values = self._validate(spec, line, raw, report)
                if values is None:
                    if spec.table is tables.Account and raw.get("id"):
                        rejected_accounts.add(str(raw["id"]).strip().upper())
                    continue
                owner = values.get("account_id")
                if owner is not None and owner not in known:
                    if owner in rejected_accounts:
                        report.skipped[owner] = report.skipped.get(owner, 0) + 1
                    else:
                        report.rejected.append(
                            RowIssue(spec.name, line, f"unknown account id {owner}")
                        )
                    continue
                key = tuple(values[k] for k in keys)
                if key in first_seen:
                    reason = f"duplicate of line {first_seen[key]} (same {', '.join(keys)})"
                    report.rejected.append(RowIssue(spec.name, line, reason))
                    continue
                first_seen[key] = line
                if has_as_of:
                    values["as_of"] = as_of
                _upsert(session, spec.table, existing.get(key), values, report)
                if spec.table is tables.Account:
                    known.add(values["id"])

    def _validate(
        self, spec: FileSpec, line: int, raw: dict[str, Any], report: FileReport
    ) -> dict[str, Any] | None:
        if "__error__" in raw:
            report.rejected.append(RowIssue(spec.name, line, str(raw["__error__"])))
            return None
        fields = {k: v for k, v in raw.items() if k in spec.record.model_fields}
        try:
            record = spec.record.model_validate(fields, context=self._context)
        except ValidationError as error:
            report.rejected.append(RowIssue(spec.name, line, records.describe(error)))
            return None
        return spec.flatten(record.model_dump())


def _key(obj: Base, keys: list[str]) -> tuple[Any, ...]:
    return tuple(getattr(obj, k) for k in keys)


def _upsert(
    session: Session,
    table: type[Base],
    current: Base | None,
    values: dict[str, Any],
    report: FileReport,
) -> None:
    if current is None:
        session.add(table(**values))
        report.inserted += 1
        return
    recorded = getattr(current, "as_of", None)
    if recorded is not None and recorded > values["as_of"]:
        report.kept_newer += 1
        return
    changed = {k: v for k, v in values.items() if getattr(current, k) != v and k != "as_of"}
    if not changed:
        report.unchanged += 1
        return
    for name, value in values.items():
        setattr(current, name, value)
    report.updated += 1


def _reset(report: FileReport, error: str) -> None:
    """After a rollback the file contributed nothing: clear the counts, keep the reason."""
    report.inserted = report.updated = report.unchanged = report.kept_newer = 0
    report.rejected.clear()
    report.skipped.clear()
    report.error = error
