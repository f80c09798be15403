"""Which tool results an account's active signals rest on.

The signals themselves (conditions, `holds`, `active_signals`) are the rules file's, in
`assistant.rules.signals`; the planner collects the facts (`actions.facts_of`) and keeps,
for each fact, the marker of the tool result it comes from, so an action can cite it.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.rules import Signal

# the fact (an `AccountFacts` field) each condition of `rules.blocks.Condition` reads
CONDITION_FACT = {
    "band_in": "band",
    "healthy": "overall",
    "trend": "trend",
    "days_to_renewal_below": "days_to_renewal",
    "license_risk_in": "license_risks",
    "sev1_incidents_at_least": "sev1_incidents",
    "nps_below": "nps",
    "quadrant_in": "quadrant",
    "qualification_gaps_at_least": "qualification_gaps",
    "months_in_band_at_least": "months_in_band",
}


def marks_of(signal: Signal, marks: Mapping[str, str]) -> list[str]:
    """The tool-result markers the signal's facts rest on (`marks`: fact -> marker)."""
    keys = signal.when.model_dump(exclude_none=True)
    return sorted({marks[CONDITION_FACT[k]] for k in keys if CONDITION_FACT[k] in marks})
