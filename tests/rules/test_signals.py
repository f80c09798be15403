"""Signal conditions of the rules file evaluated on an account's facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import RulesError
from assistant.rules import AccountFacts, active_signals, load_rules
from tests.rules.test_load import SHIPPED, shipped_data, write

RULES = load_rules(SHIPPED)


def ids(facts: AccountFacts) -> list[str]:
    return [s.id for s in active_signals(RULES, facts)]


def test_a_red_account_renewing_soon_with_a_high_module() -> None:
    facts = AccountFacts(
        account_id="ACC-001",
        band="red",
        overall=35,
        trend="declining",
        days_to_renewal=20,
        license_risks=("High", "Low"),
        sev1_incidents=2,
        nps=-40,
        quadrant="Save",
        qualification_gaps=2,
    )
    assert ids(facts) == [
        "at_risk_band", "red_escalation", "declining_trend", "renewal_risk_window",
        "high_license_risk", "sev1_incidents", "detractors", "save_quadrant",
        "qualification_gaps",
    ]  # fmt: skip
    first = active_signals(RULES, facts)[0]
    assert first.guidance.action == "Write a documented risk plan"
    assert first.source.section == "Bands"


def test_a_healthy_expand_account_and_missing_facts() -> None:
    facts = AccountFacts(account_id="ACC-002", band="green", overall=85, quadrant="Expand")
    assert ids(facts) == ["expand_quadrant"]
    # a fact the account lacks never fires a signal
    assert ids(AccountFacts(account_id="ACC-003")) == []
    # names match in any case; over-deployment is its own level
    assert "over_deployed" in ids(
        AccountFacts(account_id="ACC-4", license_risks=("OVER-DEPLOYED",))
    )


def test_conditions_are_validated(tmp_path: Path) -> None:
    data = shipped_data()
    data["signals"][0]["when"] = {}  # type: ignore[index]
    with pytest.raises(RulesError, match="give at least one condition"):
        load_rules(write(tmp_path, data))
    data = shipped_data()
    data["signals"][0]["when"] = {"band_below": 3}  # type: ignore[index]
    with pytest.raises(RulesError, match=r"signals\.0\.when\.band_below is not a known key"):
        load_rules(write(tmp_path, data))
    data = shipped_data()
    data["signals"][1]["when"] = {"quadrant_in": ["Grow"]}  # type: ignore[index]
    with pytest.raises(RulesError, match=r"not in expansion\.quadrants"):
        load_rules(write(tmp_path, data))
