"""Account questions in the grounded engine: route, call the tools, state their figures with
tool citations and, when asked what to do, add cited guidance from the playbooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from assistant.engine import account_answers as render
from assistant.engine.account_names import AccountName, NameMatch, NameResolver
from assistant.engine.composer import GroundedComposer
from assistant.engine.router import Route, route
from assistant.engine.types import Citation, ToolCall
from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import HybridRetriever
from assistant.tools.base import ToolResult
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.opportunities import Opportunities
from assistant.tools.overview import AccountList, AccountOverview
from assistant.tools.portfolio import ExpansionTargets, Renewals
from assistant.tools.registry import ToolRegistry
from assistant.tools.voice import IncidentSummary, SurveyTrend

GUIDANCE_HEADING = "**What the playbooks say**"
GUIDANCE_TYPES = frozenset({"playbook", "guide"})
Result = TypeVar("Result", bound=ToolResult)


@dataclass
class AccountReply:
    answer: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    declined: bool = False
    account_id: str | None = None


@dataclass
class _Turn:
    """The tool calls of one reply, and the lines stating their figures."""

    registry: ToolRegistry
    principal: Principal
    calls: list[ToolCall] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def call(self, kind: type[Result], name: str, **arguments: Any) -> tuple[Result, str]:
        result, record = self.registry.run(name, arguments, self.principal)
        self.calls.append(record)
        assert isinstance(result, kind)
        return result, f"T{len(self.calls)}"


class AccountDesk:
    def __init__(
        self,
        tools: ToolRegistry,
        retriever: HybridRetriever,
        composer: GroundedComposer,
        k: int = 8,
    ) -> None:
        self.tools = tools
        self.retriever = retriever
        self.composer = composer
        self.k = k

    def reply(
        self, message: str, principal: Principal, context_account: str | None = None
    ) -> AccountReply | None:
        """The answer to an account question; None for a knowledge question."""
        visible = self.tools.context.store.accounts(principal.accounts)
        resolver = NameResolver([AccountName(a.id, a.name) for a in visible])
        context = next(
            (AccountName(a.id, a.name) for a in visible if a.id == context_account), None
        )
        plan = route(message, resolver, self.tools.context.rules, context)
        if plan.intent == "knowledge":
            return None
        if plan.match.status in ("ambiguous", "unknown"):
            return AccountReply(_clarify(plan.match), declined=plan.match.status == "unknown")
        turn = _Turn(self.tools, principal)
        try:
            guidance_query = self._answer(plan, turn)
        except (PermissionDeniedError, NotFoundError, InvalidInputError) as error:
            return AccountReply(f"{error}.", declined=True)
        answer = "\n\n".join(turn.lines)
        citations: list[Citation] = []
        if guidance_query and (plan.guidance or _always_guide(plan)):
            guidance, citations = self._guidance(guidance_query, principal)
            if guidance:
                answer += f"\n\n{GUIDANCE_HEADING}\n\n{guidance}"
        answer += "\n\n" + render.footer(turn.calls)
        account_id = plan.account.id if plan.account else None
        return AccountReply(answer, turn.calls, citations, False, account_id)

    def _answer(self, plan: Route, turn: _Turn) -> str | None:
        """Call the tools for the plan, add the lines; returns the guidance query."""
        account = plan.account
        aid = account.id if account else None
        if plan.intent in ("overview", "health") and account is not None:
            if plan.intent == "overview":
                overview, m = turn.call(AccountOverview, "account_overview", account_id=aid)
                turn.lines += render.overview(overview, m)
            try:
                args = {"months": plan.months} if plan.months else {}
                health, m = turn.call(HealthScore, "health_score", account_id=aid, **args)
            except NotFoundError:
                turn.lines.append(f"{account.name} has no health snapshot recorded yet.")
                return None
            turn.lines += render.health(health, m)
            return _health_query(health, self.tools.context.rules.health.bands[0].name)
        if plan.intent in ("overview", "health"):
            rules = self.tools.context.rules
            unhealthy = tuple(b.name for b in rules.health.bands if not b.healthy)
            bands = plan.bands or (unhealthy if plan.intent == "health" else None)
            listing, m = turn.call(
                AccountList, "list_accounts", segment=plan.segment, bands=_list(bands)
            )
            what = f"account(s) with health {' or '.join(bands)}" if bands else "account(s)"
            turn.lines += render.account_list(listing, m, what)
            return "What do we do with an account at risk? documented risk plan escalation"
        if plan.intent == "licenses":
            top = self.tools.context.rules.licenses.levels[0].name
            risk = None if account else _list(plan.risk or (top,))
            lic, m = turn.call(LicenseUtilization, "license_utilization", account_id=aid, risk=risk)
            turn.lines += render.licenses(lic, m, account.name if account else None, risk)
            if any(x.compliance_issue for x in lic.modules):
                return "over-deployment compliance issue true-up expansion quote"
            return "What do we do with a High license risk module? adoption plan within 30 days"
        if plan.intent == "renewals":
            due, m = turn.call(
                Renewals,
                "renewals_due",
                days=plan.days,
                bands=_list(plan.bands),
                segment=plan.segment,
            )
            turn.lines += render.renewals(due, m, _filters(plan))
            return "renewal risk review at-risk renewal declining trend escalated portfolio review"
        if plan.intent == "expansion":
            quadrant = None if account else plan.quadrant or "Expand"
            targets, m = turn.call(
                ExpansionTargets, "expansion_targets", account_id=aid, quadrant=quadrant
            )
            turn.lines += render.expansion(targets, m, account.name if account else None, quadrant)
            placed = targets.placements[0].quadrant if account and targets.placements else quadrant
            return QUADRANT_QUERIES.get(str(placed), QUADRANT_QUERIES["Expand"])
        if plan.intent == "opportunity":
            by = (
                {"opportunity_id": plan.opportunity_id}
                if plan.opportunity_id
                else {"account_id": aid}
            )
            opps, m = turn.call(Opportunities, "opportunity", **by)
            turn.lines += render.opportunities(opps, m)
            gaps = sorted({f for o in opps.opportunities for f in o.missing})
            if gaps:
                return f"MEDDICC {' '.join(gaps).replace('_', ' ')} missing qualify the deal"
            return "MEDDICC qualification champion economic buyer next steps"
        if account is None:  # surveys and incidents are about one account
            raise NotFoundError("name the account you mean (for example its name or ACC id)")
        if plan.intent == "surveys":
            months = plan.months or 12
            voice, m = turn.call(SurveyTrend, "survey_trend", account_id=aid, months=months)
            turn.lines += render.surveys(voice, m, months)
            return "detractor response CSAT answer of 2 or less call within 5 business days"
        support, m = turn.call(
            IncidentSummary, "support_incidents", account_id=aid, months=plan.months or 3
        )
        turn.lines += render.incidents(support, m)
        return "sev1 incidents repeat escalated SWAT team escalation"

    def _guidance(self, query: str, principal: Principal) -> tuple[str, list[Citation]]:
        where = SearchFilter(doc_types=GUIDANCE_TYPES, visible_accounts=principal.accounts)
        result = self.retriever.search(query, self.k, where)
        composition = self.composer.compose(query, result)
        if composition.declined:
            return "", []
        return composition.answer, composition.citations


QUADRANT_QUERIES = {
    "Expand": "healthy account with low ARR penetration Expand quadrant best expansion targets",
    "Advocate": "healthy account with high ARR penetration Advocate quadrant references",
    "Fix adoption": "unhealthy account with low ARR penetration Fix adoption quadrant",
    "Save": "unhealthy account with high ARR penetration Save quadrant executive save plan",
}


def _health_query(health: HealthScore, lowest_band: str) -> str:
    if health.band == lowest_band:
        return f"health score falls into the {health.band} band escalated retention levers"
    if not health.healthy:
        return (
            f"health score below {health.healthy_from} at risk documented risk plan stays "
            f"{health.band} escalated"
        )
    if health.trend.direction == "declining":
        return "declining trend counts as a warning escalated monthly portfolio review"
    return "healthy account expansion growth pods references"


def _always_guide(plan: Route) -> bool:
    """A portfolio expansion question is answered with the playbook's 2x2 too."""
    return plan.intent == "expansion" and plan.account is None


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values else None


def _filters(plan: Route) -> str:
    parts = []
    if plan.bands:
        parts.append(f"with health {' or '.join(plan.bands)}")
    if plan.segment:
        parts.append(f"in the {render.SEGMENT.get(plan.segment, plan.segment)} segment")
    return (" " + ", ".join(parts)) if parts else ""


def _clarify(match: NameMatch) -> str:
    if match.status == "ambiguous":
        names = " or ".join(a.name for a in match.accounts)
        return f"\u201c{match.mention}\u201d matches more than one account: {names}. Which one?"
    text = (
        f"I can't find an account called \u201c{match.mention}\u201d among the accounts "
        "you can see."
    )
    if match.suggestions:
        names = " or ".join(a.name for a in match.suggestions)
        text += f" The closest: {names}. Did you mean one of them?"
    return text
