"""The generated suites (portfolio, conversations) are what the account data gives.

Two checks: the files equal eval/build_suites.py's output (nobody edited them by hand, the
data did not change under them), and each list case's expected accounts re-derived with the
independent reading of the CSV files in tests/accounts/expected.py.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from functools import cache
from types import ModuleType
from typing import Any

import pytest
import yaml

from assistant.evaluation.suite import load_suite
from tests.accounts import expected
from tests.conftest import REPO

SUITES = REPO / "eval" / "suites"


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_suites", REPO / "eval" / "build_suites.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_up_to_date() -> None:
    for path, text in _builder().built().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: run eval/build_suites.py"


@pytest.mark.parametrize("name", ["portfolio", "conversations"])
def test_suites_are_large_enough_and_valid(name: str) -> None:
    suite = load_suite(SUITES / f"{name}.yaml")
    assert len(suite.cases) >= 40
    assert suite.today == expected.TODAY
    if name == "conversations":
        assert all(len(case.turns) >= 2 for case in suite.cases)


def _names(patterns: list[str]) -> set[str]:
    return {re.sub(r"\\(.)", r"\1", p) for p in patterns}


def _holds(key: str, value: Any, row: dict[str, str], health: int) -> bool:
    renewal = dt.date.fromisoformat(row["renewal_date"])
    columns = {"csm": "csm", "ae": "account_exec", "partner": "partner", "segment": "segment"}
    if key in columns:
        return row[columns[key]] == value
    if key == "health_below":
        return health < int(value)
    if key == "health_at_least":
        return health >= int(value)
    if key == "band":
        return expected.band(health) == value
    if key == "renewal_from":
        return renewal >= dt.date.fromisoformat(value)
    if key == "renewal_before":
        return renewal < dt.date.fromisoformat(value)
    raise AssertionError(f"unknown filter {key}")


@cache
def _data() -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    accounts = expected.accounts()
    return accounts, {i: expected.latest_overall(i) for i in accounts}


def _members(origin: dict[str, Any]) -> list[str]:
    """The account names a case's filter or top-N selects, from tests/accounts/expected."""
    accounts, health = _data()
    if "top" in origin:
        top = origin["top"]
        if top["by"] == "arr":
            ordered = sorted(accounts, key=lambda i: -int(accounts[i]["arr"]))
        else:
            ordered = sorted(accounts, key=lambda i: (health[i], accounts[i]["name"]))
        return [accounts[i]["name"] for i in ordered[: top["n"]]]
    rule = origin["filter"]
    chosen = []
    for i, row in accounts.items():
        if all(_holds(key, value, row, health[i]) for key, value in rule.items()):
            chosen.append(row["name"])
    return chosen


PORTFOLIO = yaml.safe_load((SUITES / "portfolio.yaml").read_text(encoding="utf-8"))["cases"]
LISTS = [c for c in PORTFOLIO if "filter" in c["origin"] or "top" in c["origin"]]


@pytest.mark.parametrize("case", LISTS, ids=[c["id"] for c in LISTS])
def test_list_cases_name_exactly_the_accounts_the_data_selects(case: dict[str, Any]) -> None:
    members = set(_members(case["origin"]))
    everyone = {row["name"] for row in _data()[0].values()}
    assert members, f"{case['id']}: selects no account"
    assert _names(case["expect"]["facts"]) == members
    assert _names(case["expect"]["absent"]) == everyone - members


def test_count_case_counts_the_renewals() -> None:
    (case,) = [c for c in PORTFOLIO if "count" in c["origin"]]
    due = [
        a for a in expected.accounts().values() if 0 <= expected.days_to(a["renewal_date"]) <= 90
    ]
    assert case["expect"]["facts"] == [rf"\b{len(due)}\b"]
