"""The planner's vocabulary from the business rules (`assistant.rules`): band names (low ->
high) and which are healthy, quadrant names, license-risk levels, modules and the
qualification framework with its aliases. The planner itself names none of them."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.engine.planner.fields import group_words
from assistant.engine.planner.slots import Vocabulary
from assistant.rules.models import Rules


def from_rules(
    rules: Rules, segments: Sequence[str] = (), industries: Sequence[str] = ()
) -> Vocabulary:
    """`segments` and `industries`: the values the account data holds."""
    return Vocabulary(
        bands=tuple(rules.band_names),
        healthy_bands=tuple(b.name for b in rules.health.bands if b.healthy),
        quadrants=tuple(rules.quadrant_names),
        risk_levels=tuple(rules.licenses.names),
        segments=tuple(segments),
        modules=tuple(rules.modules),
        framework=rules.qualification.name,
        framework_aliases=tuple(rules.qualification.aliases),
        top_risk=rules.licenses.levels[0].name,
        over_level=rules.licenses.over_deployed,
        fields=tuple(f.label for f in rules.qualification.fields),
        severities=tuple(rules.support.severities),
        severe=tuple(rules.support.severe),
        detractor_names=tuple(n.name for n in rules.names if n.concept == "detractor"),
        nps_names=tuple(n.name for n in rules.names if n.concept == "nps"),
        industries=tuple(industries),
        group_words=group_words(),
    )
