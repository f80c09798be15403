"""The account data a success plan rests on, read once through the tools, and the small
formatting helpers every draft uses to state figures exactly as the tools return them."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.drafts.context import OUTCOMES_TOOL, Context
from assistant.rules.models import Rules
from assistant.store.accounts import Outcome
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization, ModuleLicense
from assistant.tools.opportunities import Opportunities, OpportunityView
from assistant.tools.overview import AccountOverview
from assistant.tools.portfolio import ExpansionTargets, Placement
from assistant.tools.voice import IncidentSummary, SurveyTrend

OVERVIEW = "account_overview"
HEALTH = "health_score"
LICENSES = "license_utilization"
SURVEYS = "survey_trend"
INCIDENTS = "support_incidents"
EXPANSION = "expansion_targets"
OPPORTUNITY = "opportunity"
OUTCOMES = OUTCOMES_TOOL
ROLES = {"sales_agent": "sales agent", "cs_manager": "customer success manager"}


@dataclass
class AccountFacts:
    rules: Rules
    overview: AccountOverview
    health: HealthScore | None
    licenses: list[ModuleLicense]
    voice: SurveyTrend
    incidents: IncidentSummary
    placement: Placement | None
    opportunities: list[OpportunityView]
    outcomes: list[Outcome]

    @property
    def high_risk(self) -> list[ModuleLicense]:
        top = self.rules.licenses.levels[0].name
        return [m for m in self.licenses if m.risk == top]

    @property
    def over_deployed(self) -> list[ModuleLicense]:
        return [m for m in self.licenses if m.compliance_issue]

    def warning(self, indicator: str) -> bool:
        if self.health is None:
            return False
        return any(c.name == indicator and c.warning for c in self.health.churn_indicators)


def gather(ctx: Context, account_id: str) -> AccountFacts:
    overview = ctx.run(AccountOverview, OVERVIEW, account_id=account_id)
    account_id = overview.account_id
    placements = ctx.run(ExpansionTargets, EXPANSION, account_id=account_id).placements
    return AccountFacts(
        rules=ctx.rules,
        overview=overview,
        health=ctx.health(account_id),
        licenses=ctx.run(LicenseUtilization, LICENSES, account_id=account_id).modules,
        voice=ctx.run(SurveyTrend, SURVEYS, account_id=account_id),
        incidents=ctx.run(IncidentSummary, INCIDENTS, account_id=account_id),
        placement=placements[0] if placements else None,
        opportunities=ctx.run(Opportunities, OPPORTUNITY, account_id=account_id).opportunities,
        outcomes=ctx.outcomes(account_id),
    )


def money(value: int) -> str:
    return f"${value:,}"


def human(token: str) -> str:
    return token.replace("_", " ")


def license_text(m: ModuleLicense) -> str:
    if m.compliance_issue:
        return (
            f"{m.module}: {m.active:,} active users on {m.licensed:,} licensed "
            "(over-deployed: a compliance issue)"
        )
    return (
        f"{m.module}: {m.active:,} of {m.licensed:,} licensed users active "
        f"({m.unused_share_pct}% unused, {m.risk} license risk)"
    )


def partner_text(overview: AccountOverview) -> str | None:
    if not overview.partner:
        return None
    role = ROLES.get(overview.partner_role, human(overview.partner_role))
    return f"{overview.partner} (partner as {role})"
