"""A customer's own rules file (other band names and cut-offs, other license levels and
quadrant names) changes what the tools say, with no code change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.services import Services, build_services
from assistant.store.db import session_factory
from assistant.store.importer import AccountImporter
from ingest.embedding import HashingEmbedder
from tests.accounts import expected as x
from tests.conftest import make_settings
from tests.rules.test_load import shipped_data, write

ADMIN = Principal()


def customer_rules() -> dict[str, Any]:
    data: dict[str, Any] = shipped_data()
    data["health"]["bands"] = [
        {"name": "critical", "colour": "#b00020", "min": 0, "max": 49, "healthy": False},
        {"name": "watch", "colour": "#f9a825", "min": 50, "max": 69, "healthy": False},
        {"name": "thriving", "colour": "#2e7d32", "min": 70, "max": 100, "healthy": True},
    ]
    data["health"]["healthy_from"] = 70
    data["licenses"]["levels"] = [
        {"name": "Severe", "min_unused": 0.4},
        {"name": "Moderate", "min_unused": 0.2},
        {"name": "Fine", "min_unused": 0},
    ]
    data["licenses"]["over_deployed"] = "Overage"
    data["expansion"]["penetration"]["low_below"] = 200
    names = {"Expand": "Grow", "Advocate": "Reference", "Fix adoption": "Repair", "Save": "Rescue"}
    for quadrant in data["expansion"]["quadrants"]:
        quadrant["name"] = names[quadrant["name"]]
    escalate = data["expansion"]["escalate"]
    escalate["quadrant"] = names[escalate["quadrant"]]
    data["signals"] = []  # they name the shipped bands
    return data


def band(score: int) -> str:
    return "critical" if score < 50 else "watch" if score < 70 else "thriving"


def level(licensed: int, active: int) -> str:
    if active > licensed:
        return "Overage"
    share = (licensed - active) / licensed
    return "Severe" if share >= 0.4 else "Moderate" if share >= 0.2 else "Fine"


@pytest.fixture(scope="module")
def customer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("customer")
    rules_file = write(root, customer_rules())
    settings = make_settings(root / "data", today=x.TODAY, rules_file=rules_file)
    services = build_services(settings, HashingEmbedder())
    AccountImporter(session_factory(services.database), services.rules).run(x.DATA, x.TODAY)
    yield services
    services.close()


def call(services: Services, name: str, **args: Any) -> dict[str, Any]:
    return services.tools.call(name, args, ADMIN).model_dump(mode="json")


def test_bands_and_healthy_follow_the_customer_rules(customer: Services) -> None:
    got = call(customer, "list_accounts")
    assert got["count"] == len(x.accounts())
    for row in got["accounts"]:
        assert row["band"] == band(x.latest_overall(row["account_id"]))
    critical = call(customer, "list_accounts", bands=["Critical"])
    want = {a for a in x.accounts() if x.latest_overall(a) < 50}
    assert {r["account_id"] for r in critical["accounts"]} == want and want
    health = call(customer, "health_score", account_id="ACC-002")
    score = x.latest_overall("ACC-002")
    assert health["band"] == band(score) and health["healthy"] == (score >= 70)
    assert health["healthy_from"] == 70 and health["colour"].startswith("#")


def test_the_shipped_band_names_are_refused_with_the_valid_ones(customer: Services) -> None:
    with pytest.raises(
        InvalidInputError, match="unknown health band 'red'; bands: critical, watch"
    ):
        call(customer, "list_accounts", bands=["red"])
    with pytest.raises(InvalidInputError, match="quadrants: Grow, Reference, Repair, Rescue"):
        call(customer, "expansion_targets", quadrant="Expand")
    with pytest.raises(InvalidInputError, match="levels: Severe, Moderate, Fine, Overage"):
        call(customer, "license_utilization", risk=["High"])


def test_license_levels_and_quadrants_follow_the_customer_rules(customer: Services) -> None:
    got = call(customer, "license_utilization")
    for m in got["modules"]:
        assert m["risk"] == level(m["licensed"], m["active"])
    assert any(m["risk"] == "Overage" for m in got["modules"])  # ACC-017 search
    assert got["high_risk"] == sum(1 for m in got["modules"] if m["risk"] == "Severe")
    placements = call(customer, "expansion_targets")["placements"]
    for p in placements:
        healthy, low = p["overall"] >= 70, p["arr"] / p["employees"] < 200
        want = {(True, True): "Grow", (True, False): "Reference",
                (False, True): "Repair", (False, False): "Rescue"}[(healthy, low)]  # fmt: skip
        assert p["quadrant"] == want
    assert call(customer, "calculate_license_risk", licensed=500, active=240)["risk"] == "Severe"
