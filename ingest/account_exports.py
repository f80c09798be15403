"""Account exports (what `assistant import-accounts` reads) are data, never documents.

Indexed as text they would be readable by every key: a row carries no access tag. Whether a
file is an export is decided by what it is, not by where it sits relative to the folder
being ingested, from the importer's own file specs (file names and record fields):

- a CSV/JSON/JSONL file whose columns include every field of one of the importer's records,
  or the field that ties a row to an account (the owned-record key, `account_id`);
- any data file (CSV/JSON/JSONL, e.g. the export's `meta.json`) in a folder, or below a
  folder, that holds one of the importer's files with that file's columns.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from pathlib import Path

from assistant.store import records
from assistant.store.importer import SPECS

DATA_FORMATS = frozenset({".csv", ".json", ".jsonl"})
_HEAD_BYTES = 64 * 1024
_JSON_KEY = re.compile(r'"((?:[^"\\\n]|\\.){1,64})"\s*:')


@cache
def _spec_columns() -> dict[str, frozenset[str]]:
    return {spec.name: frozenset(spec.record.model_fields) for spec in SPECS}


@cache
def _owner_keys() -> frozenset[str]:
    return frozenset(records.OwnedRecord.model_fields)


def columns(path: Path) -> frozenset[str] | None:
    """The column names of a CSV, or the keys in the first records of a JSON/JSONL file
    (read from the file's first 64 KB, so a huge file costs no more than a small one)."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    if suffix == ".csv":
        try:
            header = next(csv.reader(io.StringIO(head)), [])
        except csv.Error:
            return None
        return frozenset(name.strip() for name in header if name.strip())
    if suffix in (".json", ".jsonl"):
        return frozenset(_JSON_KEY.findall(head))
    return None


def export_kind(path: Path) -> str | None:
    """Which importer file `path` looks like (by its columns), or None."""
    if path.suffix.lower() not in DATA_FORMATS:
        return None
    found = columns(path)
    if not found:
        return None
    for name, fields in _spec_columns().items():
        if fields <= found:
            return name
    owner = _owner_keys() & found
    return f"rows keyed by {', '.join(sorted(owner))}" if owner else None


class AccountExports:
    """Answers "is this file account data?" for one ingest run (folder checks cached)."""

    def __init__(self) -> None:
        self._folders: dict[Path, str | None] = {}

    def folder_holds_export(self, folder: Path) -> str | None:
        if folder not in self._folders:
            self._folders[folder] = next(
                (
                    name
                    for name in _spec_columns()
                    if (folder / name).is_file() and export_kind(folder / name) is not None
                ),
                None,
            )
        return self._folders[folder]

    def reason(self, path: Path, folders: list[Path]) -> str | None:
        """Why `path` is not indexed (it is account data), or None. `folders`: the folders
        from the file's own up to the ingested root."""
        if path.suffix.lower() not in DATA_FORMATS:
            return None
        kind = export_kind(path)
        if kind is not None:
            what = kind if kind.startswith("rows") else f"the columns of {kind}"
            return (
                f"account export ({what}); account data is loaded with "
                "`assistant import-accounts`, never indexed as a document"
            )
        for folder in folders:
            held = self.folder_holds_export(folder)
            if held is not None:
                return (
                    f"in an account-export folder ({folder.name}/ holds {held}); account data "
                    "is loaded with `assistant import-accounts`, never indexed as a document"
                )
        return None
