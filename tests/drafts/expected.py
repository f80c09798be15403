"""Expected figures for the drafts, computed straight from the CSV and JSON exports (and the
one-pager files), independently of the tools and the draft builders."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import frontmatter

from tests.accounts.expected import TODAY, accounts, health_rows, opportunities, risk, rows
from tests.conftest import REPO

ONE_PAGERS = REPO / "knowledge" / "one-pagers"


def account(account_id: str) -> dict[str, str]:
    return accounts()[account_id]


def renewal(account_id: str) -> dt.date:
    return dt.date.fromisoformat(account(account_id)["renewal_date"])


def months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_health(account_id: str) -> dict[str, str]:
    return health_rows(account_id)[-1]


def licenses(account_id: str) -> list[dict[str, Any]]:
    out = []
    for r in rows("licenses.csv"):
        if r["account_id"] == account_id:
            licensed, active = int(r["licensed"]), int(r["active"])
            share = None if active > licensed else round(100 * (licensed - active) / licensed, 1)
            out.append({"module": r["module"], "licensed": licensed, "active": active,
                        "unused_share_pct": share, "risk": risk(licensed, active)})  # fmt: skip
    return out


def surveys(account_id: str, kind: str) -> list[float]:
    start = dt.date(2025, 11, 1)  # the 12-month window as of 2026-11-01
    return [
        float(r["score"])
        for r in rows("surveys.csv")
        if r["account_id"] == account_id
        and r["kind"] == kind
        and start <= dt.date.fromisoformat(r["date"]) <= TODAY
    ]


def sev1_sev2_last_3_months(account_id: str) -> int:
    start = dt.date(2026, 8, 1)
    return sum(
        int(r["count"])
        for r in rows("incidents.csv")
        if r["account_id"] == account_id
        and r["severity"] in ("sev1", "sev2")
        and start <= dt.date.fromisoformat(r["month"]) <= TODAY
    )


def outcomes(account_id: str) -> list[dict[str, str]]:
    return [r for r in rows("outcomes.csv") if r["account_id"] == account_id]


def opportunity(opportunity_id: str) -> dict[str, Any]:
    return next(o for o in opportunities() if o["id"] == opportunity_id)


def one_pager(service_id: str) -> dict[str, Any]:
    post = frontmatter.load(str(ONE_PAGERS / f"{service_id}.md"))
    meta = dict(post.metadata)
    meta["price_number"] = int(re.sub(r"[^\d]", "", str(meta["price"]).split()[0]))
    return meta


def band(score: int) -> str:
    return "red" if score < 40 else "orange" if score < 60 else "yellow" if score < 80 else "green"


def latest_overall(account_id: str) -> int:
    return int(latest_health(account_id)["overall"])


def months_in_latest_band(account_id: str) -> int:
    """The latest snapshots in a row (of the last 12 months) in the latest one's band."""
    history = [int(r["overall"]) for r in health_rows(account_id)][-12:]
    count = 0
    for score in reversed(history):
        if band(score) != band(history[-1]):
            break
        count += 1
    return count
