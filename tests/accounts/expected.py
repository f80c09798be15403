"""Expected figures computed straight from the CSV files, independently of the tool code:
the rules are re-stated here from the guides (bands, license risk, 2x2, NPS, trend)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

DATA = REPO / "knowledge" / "accounts"
TODAY = dt.date(2026, 11, 1)
REJECTED_ACCOUNTS = {"ACC-026", "ACC-030"}  # their own rows are deliberately bad


def known_issues() -> set[tuple[str, int]]:
    doc = yaml.safe_load((DATA / "KNOWN_ISSUES.yaml").read_text(encoding="utf-8"))
    return {(str(i["file"]), int(i["line"])) for i in doc["issues"]}


def rows(name: str, folder: Path = DATA) -> Iterator[dict[str, str]]:
    """Good rows of a CSV file: known-bad lines and rows of rejected accounts left out."""
    bad = known_issues()
    with (folder / name).open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            owner = row.get("account_id") or row.get("id")
            if (name, line) not in bad and owner not in REJECTED_ACCOUNTS:
                yield row


def accounts() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in rows("accounts.csv")}


def band(score: int) -> str:
    return "red" if score < 40 else "orange" if score < 60 else "yellow" if score < 80 else "green"


def health_rows(account_id: str) -> list[dict[str, str]]:
    return sorted(
        (r for r in rows("health_snapshots.csv") if r["account_id"] == account_id),
        key=lambda r: r["month"],
    )


def latest_overall(account_id: str) -> int:
    return int(health_rows(account_id)[-1]["overall"])


def direction(first: int, last: int) -> str:
    change = last - first
    return "declining" if change <= -5 else "improving" if change >= 5 else "stable"


def risk(licensed: int, active: int) -> str:
    if active > licensed:
        return "over-deployed"
    share = (licensed - active) / licensed
    return "High" if share >= 0.5 else "Medium" if share >= 0.25 else "Low"


def quadrant(overall: int, arr: int, employees: int) -> str:
    low = arr / employees < 150
    if overall >= 60:
        return "Expand" if low else "Advocate"
    return "Fix adoption" if low else "Save"


def nps(scores: list[int]) -> int | None:
    if not scores:
        return None
    return round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores))


def opportunities() -> list[dict[str, Any]]:
    return list(json.loads((DATA / "opportunities.json").read_text(encoding="utf-8")))


def days_to(date_text: str) -> int:
    return (dt.date.fromisoformat(date_text) - TODAY).days
