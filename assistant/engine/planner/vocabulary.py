"""The planner's vocabulary from the business rules: band names (low -> high) and which are
healthy, quadrant names, license-risk levels, modules and the qualification framework.

Until the rules are data (issue 12 item 2, `assistant.rules`) they are read from the rules
module the tools use; the planner itself names none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from assistant.engine.planner.slots import Vocabulary
from assistant.store.records import MODULES
from assistant.tools import rules

# interim, until `Rules.qualification` (name, aliases) is merged: the tools' field list is
# MEDDICC's, and a question naming a variant of it means the same framework
FRAMEWORK = "MEDDICC"
ALIASES = ("MEDDPICC", "MEDDIC")


def from_tool_rules(segments: Sequence[str] = ()) -> Vocabulary:
    bands: list[str] = []
    healthy: list[str] = []
    for score in range(0, 101):
        band = rules.health_band(score)
        if band not in bands:
            bands.append(band)
        if rules.is_healthy(score) and band not in healthy:
            healthy.append(band)
    risks = tuple(get_args(rules.Risk))
    over = next((r for r in risks if r == rules.license_risk(1, 2)), risks[-1])
    top = rules.license_risk(2, 0)
    return Vocabulary(
        bands=tuple(bands),
        healthy_bands=tuple(healthy),
        quadrants=tuple(get_args(rules.Quadrant)),
        risk_levels=risks,
        segments=tuple(segments),
        modules=tuple(MODULES),
        framework=FRAMEWORK,
        framework_aliases=ALIASES,
        top_risk=top,
        over_level=over,
    )
