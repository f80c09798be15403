"""Account metric tools and the rule calculators in one registry (see `registry.py`);
`build_registry` wires them."""

from __future__ import annotations

from assistant.tools.base import ToolContext
from assistant.tools.calculators import CALCULATORS
from assistant.tools.health import health_score
from assistant.tools.licenses import license_utilization
from assistant.tools.opportunities import opportunity, pipeline
from assistant.tools.overview import account_overview, list_accounts
from assistant.tools.portfolio import expansion_targets, renewals_due
from assistant.tools.registry import ToolRegistry
from assistant.tools.voice import support_incidents, survey_trend

TOOLS = (
    list_accounts,
    account_overview,
    health_score,
    license_utilization,
    renewals_due,
    survey_trend,
    support_incidents,
    expansion_targets,
    opportunity,
    pipeline,
    *CALCULATORS,
)


def build_registry(context: ToolContext) -> ToolRegistry:
    return ToolRegistry(context, TOOLS)


__all__ = ["TOOLS", "ToolContext", "ToolRegistry", "build_registry"]
