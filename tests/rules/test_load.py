"""The shipped rules file loads, every rule cites a section that still states it, and a bad
file is refused with the file, the key and what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.errors import RulesError
from assistant.rules import check_rules, load_rules

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
SHIPPED = KNOWLEDGE / "rules.yaml"


def shipped_data() -> dict[str, object]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_rules_load_and_answer() -> None:
    rules = load_rules(SHIPPED)
    assert [b.name for b in rules.health.bands] == ["red", "orange", "yellow", "green"]
    assert [rules.band_for(s).name for s in (0, 39, 40, 59, 60, 79, 80, 100)] == [
        "red", "red", "orange", "orange", "yellow", "yellow", "green", "green",
    ]  # fmt: skip
    assert rules.health.healthy_from == 60 and rules.health.trend_points == 5
    parts = {"deployment": 80, "adoption": 70, "breadth": 60, "engagement": 90, "outcomes": 50}
    assert rules.overall_score(parts) == 70  # the Formula section's own example
    assert rules.license_risk(400, 150) == "High" and rules.license_risk(400, 280) == "Medium"
    assert rules.license_risk(400, 380) == "Low"
    assert rules.license_risk(1200, 1260) == "over-deployed"
    assert rules.quadrant_for(70, 300_000, 4_000) == "Expand"  # $75 per employee
    assert rules.quadrant_for(50, 900_000, 4_000) == "Save"
    escalate = rules.expansion.escalate  # "in the Save quadrant and renews within 6 months"
    assert escalate is not None and (escalate.quadrant, escalate.renews_within_months) == (
        "Save", 6,
    )  # fmt: skip
    assert rules.modules == ["search", "observability", "security", "genai"]
    assert rules.qualification.name == "MEDDICC" and "MEDDPICC" in rules.qualification.aliases
    assert len(rules.qualification.fields) == 8
    assert rules.csat_points(4.1) == 0 and rules.csat_points(4.6) == 30
    assert rules.engagement_leads(6_000_000) == (3, 6)
    window = rules.renewal.window("partner_notice")
    assert window is not None and (window.start, window.end, window.unit) == (90, 60, "days")


def test_shipped_rules_cite_sections_that_state_them() -> None:
    problems = check_rules(load_rules(SHIPPED), KNOWLEDGE)
    assert problems == [], "\n".join(map(str, problems))


def test_missing_file_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"rules\.yaml.*ASSISTANT_RULES_FILE"):
        load_rules(tmp_path / "rules.yaml")


def test_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("health: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["health"]["bands"][1].update(min=45), r"health.*orange starts at 45"),
        (lambda d: d["health"].update(healthy_from=55), r"healthy_from 55 must be where"),
        (lambda d: d["health"].pop("bands"), r"health\.bands is missing"),
        (lambda d: d["health"].update(colour="x"), r"health\.colour is not a known key"),
        (lambda d: d["licenses"]["levels"][0].update(min_unused=0.1), r"cut-offs must fall"),
        (lambda d: d["expansion"]["quadrants"][1].update(healthy=False), r"four"),
        (
            lambda d: d["signals"][0]["when"].update(band_in=["amber"]),
            r"signals\.at_risk_band: \['amber'\] not in health\.bands",
        ),
        (lambda d: d["blocks"].update(price=9000), r"price 9000 is not hours x rate"),
        (lambda d: d["surveys"]["nps"]["passives"].update(min=6), r"nps: .* without gaps"),
        (
            lambda d: d["expansion"]["escalate"].update(quadrant="Rescue"),
            r"escalate\.quadrant: 'Rescue' is not one of the quadrants \(Expand, Advocate",
        ),
        (lambda d: d["expansion"]["sources"].pop("escalate"), r"sources\.escalate: cite"),
        (lambda d: d["expansion"]["escalate"].update(renews_within_months=0), r"greater than"),
    ],
)
def test_invalid_rules_name_file_key_and_fix(tmp_path: Path, change: object, message: str) -> None:
    data = shipped_data()
    change(data)  # type: ignore[operator]
    path = write(tmp_path, data)
    with pytest.raises(RulesError, match=message) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)
