"""Calculators: the rules applied to the caller's numbers, each citing its rule; bad input
is a clear tool error. Registered in the one registry (the LLM engine sees them too)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.services import Services

ADMIN = Principal()


def call(services: Services, name: str, **args: Any) -> dict[str, Any]:
    return services.tools.call(name, args, ADMIN).model_dump(mode="json")


def test_calculators_are_in_the_registry_with_schemas(loaded: Services) -> None:
    names = {s["name"] for s in loaded.tools.schemas()}
    assert {
        "calculate_license_risk", "calculate_health", "calculate_ltv",
        "calculate_csat_points", "calculate_staffing", "calculate_blocks",
    } <= names  # fmt: skip
    schema = next(s for s in loaded.tools.schemas() if s["name"] == "calculate_license_risk")
    assert schema["parameters"]["properties"]["licensed"]["minimum"] == 1


def test_license_risk_of_the_callers_numbers(loaded: Services) -> None:
    got = call(loaded, "calculate_license_risk", licensed=500, active=240)
    assert (got["delta"], got["unused_share_pct"], got["risk"]) == (260, 52.0, "High")
    assert got["rule"] == {
        "document": "License Compliance and Utilization Guide",
        "section": "Risk rule",
    }
    over = call(loaded, "calculate_license_risk", licensed=1200, active=1260)
    assert over["risk"] == "over-deployed" and over["over_deployed"]
    assert over["unused_share_pct"] is None and over["rule"]["section"] == "Over-deployment"


def test_health_from_components(loaded: Services) -> None:
    parts = {"deployment": 80, "adoption": 70, "breadth": 60, "engagement": 90, "outcomes": 50}
    got = call(loaded, "calculate_health", components=parts)
    assert (got["overall"], got["band"], got["healthy"]) == (70, "yellow", True)
    assert got["rule"]["section"] == "Bands"
    with pytest.raises(InvalidInputError, match="missing: outcomes"):
        call(
            loaded,
            "calculate_health",
            components={k: v for k, v in parts.items() if k != "outcomes"},
        )
    with pytest.raises(InvalidInputError, match="scored 0 to 100: adoption 130"):
        call(loaded, "calculate_health", components={**parts, "adoption": 130})


def test_ltv_by_the_dashboard_formula(loaded: Services) -> None:
    got = call(
        loaded, "calculate_ltv",
        average_revenue_per_customer=1000, gross_margin=80, monthly_churn_rate=2,
    )  # fmt: skip
    assert got["ltv"] == 40000.0  # (1,000 x 0.8) / 0.02
    assert got["rule"]["document"] == "Customer-Centric Dashboard Guide"
    assert "monthly churn rate" in got["formula"]


@pytest.mark.parametrize(
    ("score", "points"), [(4.1, 0), (4.2, 10), (4.5, 20), (4.6, 30), (4.85, 40), (5.0, 50)]
)
def test_csat_points(loaded: Services, score: float, points: int) -> None:
    got = call(loaded, "calculate_csat_points", score=score)
    assert got["points"] == points and got["rule"]["section"] == "CSAT score and points"


def test_csat_outside_the_scale_is_an_error(loaded: Services) -> None:
    with pytest.raises(InvalidInputError, match="from 1 to 5, got 7"):
        call(loaded, "calculate_csat_points", score=7)


def test_staffing_and_blocks(loaded: Services) -> None:
    got = call(loaded, "calculate_staffing", arr=6_000_000)
    assert (got["fewest"], got["most"]) == (3, 6)  # one lead per $1-2M
    assert got["rule"]["section"] == "Staffing ratio"
    blocks = call(loaded, "calculate_blocks", hours=100)
    assert (blocks["blocks"], blocks["price"]) == (3, 30_000)  # 40-hour blocks of $10,000
    assert call(loaded, "calculate_blocks", blocks=2)["hours"] == 80
    with pytest.raises(InvalidInputError, match="exactly one of hours or blocks"):
        call(loaded, "calculate_blocks", hours=10, blocks=1)
    with pytest.raises(InvalidInputError, match="licensed"):
        call(loaded, "calculate_license_risk", licensed=0, active=5)
