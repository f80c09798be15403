"""Consistency checks for the sample account tables in knowledge/accounts/.

The checker below finds every inconsistent row on its own; the test then demands that the
rows it finds are exactly the deliberate ones listed in KNOWN_ISSUES.yaml. A new problem
fails the test, and so does a listed problem that is no longer present.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.rules import load_rules
from ingest import account_notes

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
ACCOUNTS = KNOWLEDGE / "accounts"
RULES = load_rules(KNOWLEDGE / "rules.yaml")

SEGMENTS = {"enterprise", "mid_market", "smb"}
PARTNER_ROLES = {"sales_agent", "cs_manager", "none"}
STAGES = {"land", "onboard", "adopt", "expand", "renew"}
MODULES = {"search", "observability", "security", "genai"}
SEVERITIES = {"sev1", "sev2", "sev3", "sev4"}
SURVEY_KINDS = {"nps", "csat"}
OPP_STAGES = {"discovery", "demo", "proof_of_concept", "technical_qa", "sizing", "negotiation"}
MEDDICC_KEYS = {
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "identify_pain",
    "champion",
    "competition",
    "compelling_event",
}
COMPONENTS = ("deployment", "adoption", "breadth", "engagement", "outcomes")

Issue = tuple[str, int]  # (file, line); for opportunities.json the line is the list index


def read_csv(name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    with (ACCOUNTS / name).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [(n, dict(r)) for n, r in enumerate(reader, start=2)]
        return list(reader.fieldnames or []), rows


def service_ids() -> set[str]:
    ids = set()
    for path in (KNOWLEDGE / "one-pagers").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---")[1])
        ids.add(front["service_id"])
    return ids


def is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def is_int(value: str, low: int | None = None, high: int | None = None) -> bool:
    if not re.fullmatch(r"-?\d+", value or ""):
        return False
    n = int(value)
    return (low is None or n >= low) and (high is None or n <= high)


def is_number(value: str, low: float, high: float) -> bool:
    try:
        n = float(value)
    except (TypeError, ValueError):
        return False
    return low <= n <= high


def find_issues() -> dict[Issue, list[str]]:
    """Every inconsistent row, with the reasons found."""
    issues: dict[Issue, list[str]] = {}

    def flag(file: str, line: int, why: str) -> None:
        issues.setdefault((file, line), []).append(why)

    header, accounts = read_csv("accounts.csv")
    assert header == [
        "id", "name", "industry", "segment", "employees", "arr", "contract_start",
        "renewal_date", "csm", "account_exec", "partner", "partner_role", "stage",
    ]  # fmt: skip
    known_ids: set[str] = set()
    for n, r in accounts:
        f = "accounts.csv"
        for key in ("id", "name", "industry", "segment", "employees", "arr", "contract_start",
                    "renewal_date", "csm", "account_exec", "partner_role", "stage"):  # fmt: skip
            if not r.get(key):
                flag(f, n, f"missing {key}")
        if not re.fullmatch(r"ACC-\d{3}", r["id"]):
            flag(f, n, "bad id")
        if r["id"] in known_ids:
            flag(f, n, "duplicate id")
        known_ids.add(r["id"])
        if r["segment"] not in SEGMENTS:
            flag(f, n, "segment")
        if r["partner_role"] not in PARTNER_ROLES:
            flag(f, n, "partner_role")
        if (r["partner_role"] == "none") != (r["partner"] == ""):
            flag(f, n, "partner and partner_role disagree")
        if r["stage"] not in STAGES:
            flag(f, n, "stage")
        if not is_int(r["employees"], 1):
            flag(f, n, "employees")
        if r["arr"] and not is_int(r["arr"], 0):
            flag(f, n, "arr")
        dates_ok = True
        for key in ("contract_start", "renewal_date"):
            if r[key] and not is_date(r[key]):
                flag(f, n, f"{key} unparsable")
                dates_ok = False
        both = dates_ok and r["contract_start"] and r["renewal_date"]
        if both and r["renewal_date"] <= r["contract_start"]:
            flag(f, n, "renewal before contract start")
    names = [r["name"] for _, r in accounts]
    assert len(names) == len(set(names)), "account names must be unique"

    def check_account(f: str, n: int, r: dict[str, str]) -> None:
        if r.get("account_id") not in known_ids:
            flag(f, n, "unknown account id")

    _, licenses = read_csv("licenses.csv")
    seen: set[tuple[str, ...]] = set()
    for n, r in licenses:
        f = "licenses.csv"
        check_account(f, n, r)
        if r["module"] not in MODULES:
            flag(f, n, "module")
        key = (r["account_id"], r["module"])
        if key in seen:
            flag(f, n, "duplicate module row")
        seen.add(key)
        if not all(is_int(r[k], 0) for k in ("licensed", "active", "assigned")):
            flag(f, n, "counts")
            continue
        licensed, assigned = int(r["licensed"]), int(r["assigned"])
        if licensed == 0:
            flag(f, n, "zero licensed")
        # active above licensed is over-deployment: a real state, imported and flagged
        if assigned > licensed:
            flag(f, n, "assigned above licensed")

    _, health = read_csv("health_snapshots.csv")
    seen = set()
    for n, r in health:
        f = "health_snapshots.csv"
        check_account(f, n, r)
        if not is_date(r["month"]) or not r["month"].endswith("-01"):
            flag(f, n, "month")
        if (r["account_id"], r["month"]) in seen:
            flag(f, n, "duplicate month")
        seen.add((r["account_id"], r["month"]))
        if not all(is_int(r[c]) for c in (*COMPONENTS, "overall")):
            flag(f, n, "non-integer score")
            continue
        comps = [int(r[c]) for c in COMPONENTS]
        if any(not 0 <= c <= 100 for c in comps):
            flag(f, n, "component outside 0-100")
        if int(r["overall"]) != round(sum(comps) / 5):
            flag(f, n, "overall is not the rounded mean")

    _, surveys = read_csv("surveys.csv")
    for n, r in surveys:
        f = "surveys.csv"
        check_account(f, n, r)
        if not is_date(r["date"]):
            flag(f, n, "date")
        if not r["respondent"]:
            flag(f, n, "missing respondent")
        if r["kind"] == "nps":
            if not is_int(r["score"], 0, 10):
                flag(f, n, "nps score")
        elif r["kind"] == "csat":
            if not is_number(r["score"], 1.0, 5.0):
                flag(f, n, "csat score")
        else:
            flag(f, n, "kind")

    _, incidents = read_csv("incidents.csv")
    seen = set()
    for n, r in incidents:
        f = "incidents.csv"
        check_account(f, n, r)
        if not is_date(r["month"]) or not r["month"].endswith("-01"):
            flag(f, n, "month")
        if r["severity"] not in SEVERITIES:
            flag(f, n, "severity")
        if not is_int(r["count"], 0):
            flag(f, n, "count")
        if (r["account_id"], r["month"], r["severity"]) in seen:
            flag(f, n, "duplicate incident row")
        seen.add((r["account_id"], r["month"], r["severity"]))

    _, outcomes = read_csv("outcomes.csv")
    for n, r in outcomes:
        f = "outcomes.csv"
        check_account(f, n, r)
        if not is_date(r["date"]):
            flag(f, n, "date")
        for key in ("outcome", "metric", "verified_by"):
            if not r[key]:
                flag(f, n, f"missing {key}")

    opps: list[dict[str, Any]] = json.loads((ACCOUNTS / "opportunities.json").read_text())
    services = service_ids()
    opp_ids: set[str] = set()
    for i, o in enumerate(opps):
        f = "opportunities.json"
        if not re.fullmatch(r"OPP-\d{3}", str(o.get("id"))) or o["id"] in opp_ids:
            flag(f, i, "bad or duplicate id")
        opp_ids.add(str(o.get("id")))
        if o.get("account_id") not in known_ids:
            flag(f, i, "unknown account")
        if o.get("service") not in services:
            flag(f, i, "unknown service")
        if o.get("stage") not in OPP_STAGES:
            flag(f, i, "stage")
        if not isinstance(o.get("amount"), int) or o["amount"] <= 0:
            flag(f, i, "amount")
        if not is_date(str(o.get("close_date"))):
            flag(f, i, "close_date")
        if not o.get("name"):
            flag(f, i, "name")
        m = o.get("meddicc")
        if not isinstance(m, dict) or set(m) != MEDDICC_KEYS:
            flag(f, i, "meddicc keys")
        elif any(v is not None and not isinstance(v, str) for v in m.values()):
            flag(f, i, "meddicc values")
    return issues


def known_issues() -> list[dict[str, Any]]:
    doc = yaml.safe_load((ACCOUNTS / "KNOWN_ISSUES.yaml").read_text(encoding="utf-8"))
    return list(doc["issues"])


def test_found_issues_are_exactly_the_known_ones() -> None:
    found = find_issues()
    expected = {(str(k["file"]), int(k["line"])) for k in known_issues()}
    unexpected = {k: v for k, v in found.items() if k not in expected}
    missing = expected - set(found)
    assert not unexpected, f"inconsistent rows not listed in KNOWN_ISSUES.yaml: {unexpected}"
    assert not missing, f"KNOWN_ISSUES.yaml lists rows that are not inconsistent: {missing}"


def test_known_issues_point_at_the_right_accounts() -> None:
    for k in known_issues():
        _, rows = read_csv(str(k["file"]))
        row = dict(rows)[int(k["line"])]
        assert k["account_id"] in (row.get("id"), row.get("account_id"))
        assert k["field"] in row and k["reason"]
    flagged = {k["account_id"] for k in known_issues()}
    assert not flagged & {"ACC-001", "ACC-002"}, "the famous accounts must stay clean"


def test_meta_and_volume() -> None:
    meta = json.loads((ACCOUNTS / "meta.json").read_text())
    assert meta == {"reference_date": "2026-11-01", "currency": "USD"}
    _, accounts = read_csv("accounts.csv")
    assert 35 <= len(accounts) <= 45
    assert len(json.loads((ACCOUNTS / "opportunities.json").read_text())) >= 12
    _, health = read_csv("health_snapshots.csv")
    assert len(health) == 12 * len(accounts)


def _latest_health() -> dict[str, int]:
    _, health = read_csv("health_snapshots.csv")
    latest: dict[str, tuple[str, int]] = {}
    for _, r in health:
        if r["account_id"] not in latest or r["month"] > latest[r["account_id"]][0]:
            latest[r["account_id"]] = (r["month"], int(r["overall"]))
    return {k: v[1] for k, v in latest.items()}


def test_variety_is_there_on_purpose() -> None:
    ref = date(2026, 11, 1)
    latest = _latest_health()
    bands = [RULES.band_for(s).name for s in latest.values()]
    for band in ("red", "orange", "yellow", "green"):
        assert bands.count(band) >= 3, band
    _, accounts = read_csv("accounts.csv")
    days = {}
    for _, r in accounts:
        renewal = date.fromisoformat(r["renewal_date"])
        if renewal > ref:
            days[r["id"]] = (renewal - ref).days
    for low, high in ((0, 30), (31, 90), (91, 180)):
        window = [a for a, d in days.items() if low <= d <= high]
        assert len(window) >= 3, (low, high)
        assert any(latest[a] < 60 for a in window), (low, high)
    roles = {r["partner_role"] for _, r in accounts}
    assert {"sales_agent", "cs_manager", "none"} <= roles
    _, licenses = read_csv("licenses.csv")
    risks = [RULES.license_risk(int(r["licensed"]), int(r["active"])) for _, r in licenses]
    assert risks.count("High") >= 3
    assert risks.count("over-deployed") >= 1  # ACC-017 search: 1,260 active of 1,200
    _, outcomes = read_csv("outcomes.csv")
    with_outcomes = {r["account_id"] for _, r in outcomes}
    assert 5 <= len(with_outcomes) < len(accounts)


def test_opp_007_has_gaps() -> None:
    opps = json.loads((ACCOUNTS / "opportunities.json").read_text())
    opp = next(o for o in opps if o["id"] == "OPP-007")
    assert opp["meddicc"]["economic_buyer"] is None
    assert opp["meddicc"]["champion"] is None
    assert any(all(o["meddicc"].values()) for o in opps), "some records must be complete"


@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (lambda s: RULES.band_for(s).name, (39,), "red"),
        (lambda s: RULES.band_for(s).name, (40,), "orange"),
        (lambda s: RULES.band_for(s).name, (59,), "orange"),
        (lambda s: RULES.band_for(s).name, (60,), "yellow"),
        (lambda s: RULES.band_for(s).name, (79,), "yellow"),
        (lambda s: RULES.band_for(s).name, (80,), "green"),
        (RULES.license_risk, (100, 50), "High"),
        (RULES.license_risk, (100, 51), "Medium"),
        (RULES.license_risk, (100, 75), "Medium"),
        (RULES.license_risk, (100, 76), "Low"),
        (RULES.license_risk, (100, 101), "over-deployed"),
        (RULES.quadrant_for, (60, 149, 1), "Expand"),
        (RULES.quadrant_for, (60, 150, 1), "Advocate"),
        (RULES.quadrant_for, (59, 149, 1), "Fix adoption"),
        (RULES.quadrant_for, (59, 150, 1), "Save"),
        (
            lambda c: RULES.overall_score(dict(zip(COMPONENTS, c, strict=True))),
            ([80, 70, 60, 90, 50],),
            70,
        ),
        (RULES.trend_direction, (70, 65), "declining"),
        (RULES.trend_direction, (70, 74), "stable"),
    ],
)
def test_rules(func: Callable[..., object], args: tuple[object, ...], expected: object) -> None:
    assert func(*args) == expected


def test_generated_notes_are_up_to_date(tmp_path: Path) -> None:
    rules = str(KNOWLEDGE / "rules.yaml")
    account_notes.main(
        ["--accounts-dir", str(ACCOUNTS), "--out-dir", str(tmp_path), "--rules", rules]
    )
    for sub in ("account-notes", "meddicc"):
        fresh = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / sub).glob("*.md")}
        checked_in = {p.name: p.read_text(encoding="utf-8") for p in (KNOWLEDGE / sub).glob("*.md")}
        assert fresh.keys() == checked_in.keys(), sub
        stale = sorted(name for name in fresh if fresh[name] != checked_in[name])
        assert not stale, f"regenerate with `python -m ingest.account_notes`: {stale}"


def test_notes_never_quote_a_flagged_value() -> None:
    for k in known_issues():
        if k["file"] != "accounts.csv" and k["account_id"] not in _latest_health():
            continue
        note = (KNOWLEDGE / "account-notes" / f"{str(k['account_id']).lower()}.md").read_text()
        assert "Data issue:" in note
