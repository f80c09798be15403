"""eval/suites/accounts.yaml: valid, and every case passes on the grounded engine with the
shipped data (clock pinned to the suite's `today`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from assistant.evaluation.suite import load_suite
from assistant.principal import Principal
from assistant.services import Services
from tests.accounts.expected import TODAY
from tests.accounts.numbers import assert_figures_match
from tests.conftest import REPO

SUITE = REPO / "eval" / "suites" / "accounts.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(SUITE.read_text(encoding="utf-8"))["cases"]


def test_suite_shape() -> None:
    suite = load_suite(SUITE)
    assert suite.suite == "accounts" and suite.today == TODAY
    assert len(suite.cases) >= 30
    names = {
        "list_accounts",
        "account_overview",
        "health_score",
        "license_utilization",
        "renewals_due",
        "survey_trend",
        "support_incidents",
        "expansion_targets",
        "opportunity",
    }
    used = {tool for case in suite.cases for tool in case.tools}
    assert used == names, names - used
    assert sum(1 for c in suite.cases if c.expect.refuse) >= 2


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_passes(guided: Services, case: dict[str, Any]) -> None:
    response = guided.chat.chat(case["ask"], Principal(), None, case.get("account"))
    expect = case["expect"]
    called = [call.name for call in response.tool_calls]
    assert set(case["tools"]) <= set(called), (called, response.answer)
    assert response.declined == expect["refuse"], response.answer
    for fact in expect["facts"]:
        assert re.search(fact, response.answer, re.I), (fact, response.answer)
    if expect["sources"]:
        cited = {c.source for c in response.citations}
        assert cited & set(expect["sources"]), (cited, response.answer)
    if response.tool_calls:
        assert_figures_match(response)
