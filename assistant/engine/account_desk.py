"""Account questions in the grounded engine: plan (`planner`), call the tools, state their
figures with tool citations; comparisons as a table; "what should I do" as a dated action
list from the account's signals, each action citing its playbook chunk and tool result."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from assistant import tracing
from assistant.engine import account_answers as render
from assistant.engine.account_names import AccountName, words_of
from assistant.engine.composer import GroundedComposer
from assistant.engine.planner import actions
from assistant.engine.planner.entities import EntityResolver, Owner
from assistant.engine.planner.execute import Run
from assistant.engine.planner.fields import overview_fields
from assistant.engine.planner.intents import IntentMatcher
from assistant.engine.planner.plan import TOPICS, Plan
from assistant.engine.planner.planner import Planner
from assistant.engine.planner.slots import Vocabulary
from assistant.engine.planner.state import Row, State
from assistant.engine.planner.vocabulary import from_rules
from assistant.engine.types import Citation, ToolCall
from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.retrieval.filters import SearchFilter
from assistant.retrieval.hybrid import HybridRetriever
from assistant.rules import Rules
from assistant.store.accounts import Account
from assistant.tools.base import ToolResult
from assistant.tools.calculators import Calculation
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.opportunities import Opportunities, Pipeline
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
    state: State | None = None  # what the next turn may refer to
    plan: Plan | None = None


class AccountDesk:
    def __init__(
        self,
        tools: ToolRegistry,
        retriever: HybridRetriever,
        composer: GroundedComposer,
        k: int = 8,
        matcher: IntentMatcher | None = None,
        exemplar_cache: Path | None = None,  # where the intent exemplars' vectors are kept
    ) -> None:
        self.exemplar_cache = exemplar_cache
        self.tools = tools
        self.retriever = retriever
        self.composer = composer
        self.k = k
        self._matcher = matcher
        self._lock = threading.Lock()
        self._ordinary: tuple[object, frozenset[str]] | None = None
        self._titles: tuple[object, list[str]] | None = None  # per index, as _ordinary

    @property
    def rules(self) -> Rules:
        """The knowledge base's rules: its signals drive the action lists."""
        return self.tools.context.rules

    @property
    def matcher(self) -> IntentMatcher:
        with self._lock:
            if self._matcher is None:  # embedded once, on first use
                self._matcher = IntentMatcher(
                    self.retriever.embedder,
                    cache_dir=self.exemplar_cache,
                    embed_query=self.retriever.embed_query,  # a message is embedded once
                )
            return self._matcher

    # planning ------------------------------------------------------------------------------

    def resolver(
        self, principal: Principal, visible: Sequence[Account] | None = None
    ) -> EntityResolver:
        """Names the caller may see; `visible`: their accounts, when already read."""
        if visible is None:
            visible = self.tools.context.store.accounts(principal.accounts)
        owners = [Owner(a.id, a.name, a.csm, a.account_exec, a.partner) for a in visible]
        vocabulary = self.vocabulary(principal, visible)
        ordinary = self._ordinary_words()
        return EntityResolver(  # an empty index knows no ordinary words
            owners,
            vocabulary.modules,
            self._service_titles(),
            ordinary.__contains__ if ordinary else None,
        )

    def vocabulary(
        self, principal: Principal, visible: Sequence[Account] | None = None
    ) -> Vocabulary:
        if visible is None:
            visible = self.tools.context.store.accounts(principal.accounts)
        return from_rules(
            self.tools.context.rules,
            sorted({a.segment for a in visible}),
            sorted({a.industry for a in visible}),
        )

    def plan(
        self,
        message: str,
        principal: Principal,
        state: State | None = None,
        context_account: str | None = None,
    ) -> tuple[Plan, EntityResolver]:
        visible = self.tools.context.store.accounts(principal.accounts)  # read once per plan
        resolver = self.resolver(principal, visible)
        context = next((a for a in resolver.names.accounts if a.id == context_account), None)
        planner = Planner(self.matcher, self.vocabulary(principal, visible), rules=self.rules)
        today = self.tools.context.clock()
        with tracing.span("plan", planner="grounded") as span:
            plan = planner.plan(message, principal, resolver, today, state, context)
            span.set(intent=plan.intent, scope=plan.scope, tools=len(plan.tools))
        return plan, resolver

    def _index_chunks(self) -> list[object]:
        index = getattr(self.retriever.lexical, "index", None)
        return list(getattr(index, "chunks", []) or [])

    def _ordinary_words(self) -> frozenset[str]:
        """Words of the knowledge base's public documents (never a name on their own)."""
        index = getattr(self.retriever.lexical, "index", None)
        cached = self._ordinary
        if cached is not None and cached[0] is index:
            return cached[1]
        words: set[str] = set()
        for chunk in self._index_chunks():
            metadata = getattr(chunk, "metadata", {})
            if not metadata.get("accounts"):
                words.update(words_of(getattr(chunk, "text", "")))
        frozen = frozenset(words)
        self._ordinary = (index, frozen)
        return frozen

    def _service_titles(self) -> list[str]:
        """The one-pagers' titles (the services), read once per index (every chunk is
        looked at: at a hundred thousand chunks that is not per question)."""
        index = getattr(self.retriever.lexical, "index", None)
        cached = self._titles
        if cached is not None and cached[0] is index:
            return cached[1]
        found = {
            str(c.metadata.get("title"))  # type: ignore[attr-defined]
            for c in self._index_chunks()
            if getattr(c, "metadata", {}).get("doc_type") == "one_pager"
        }
        titles = sorted(t for t in found if t and t != "None")
        self._titles = (index, titles)
        return titles

    # answering -----------------------------------------------------------------------------

    def reply(
        self,
        message: str,
        principal: Principal,
        context_account: str | None = None,
        state: State | None = None,
    ) -> AccountReply | None:
        """The answer to an account question; None for a knowledge question."""
        state = (state or State(account_id=context_account)).scoped(principal)
        plan, _ = self.plan(message, principal, state, context_account)
        if plan.scope == "knowledge":
            return None
        if plan.scope == "identity":
            return self._identity(plan, principal, state)
        if plan.clarify is not None:
            # the topic asked about waits for the answer ("which one?" -> "the second")
            asked = replace(state, intent=plan.intent) if plan.intent in TOPICS else state
            return AccountReply(
                plan.clarify.question, declined=plan.clarify.declined, state=asked, plan=plan
            )
        owners = {a.id: a for a in self.tools.context.store.accounts(principal.accounts)}
        run = Run(self.tools, principal, owners)
        lines: list[str] = []
        citations: list[Citation] = []
        next_state = State(
            plan.intent,
            state.account_id,
            state.rows,
            state.opportunity,
            state.identity,
            state.recent,
        )
        try:
            if plan.scope == "actions" and plan.account is not None:
                lines, citations = actions.action_list(
                    self, run, plan.account, principal, GUIDANCE_HEADING
                )
                next_state = _about(next_state, plan.account)
            elif plan.scope == "compare":
                lines = self._compare(run, plan)
                next_state.rows = [Row(a.id, a.name) for a in plan.targets]
                next_state.account_id = None
            else:
                lines, rows = self._steps(run, plan)
                if plan.account is not None:
                    next_state = _about(next_state, plan.account)
                    if rows:
                        next_state.rows = rows
                elif rows is not None:
                    next_state.rows, next_state.account_id = rows, None
                    next_state.empty_set = not rows
        except (PermissionDeniedError, NotFoundError, InvalidInputError) as error:
            return AccountReply(f"{error}.", run.calls, declined=True, state=state, plan=plan)
        answer = "\n\n".join(lines)
        if plan.scope == "portfolio" and (plan.intent == "expansion" or plan.knowledge_queries):
            query = plan.knowledge_queries[0] if plan.knowledge_queries else message
            guidance, citations = self._guidance(query, principal)
            if guidance:
                answer += f"\n\n{GUIDANCE_HEADING}\n\n{guidance}"
        answer += "\n\n" + render.footer(run.calls)
        account_id = plan.account.id if plan.account else None
        return AccountReply(answer, run.calls, citations, False, account_id, next_state, plan)

    def _identity(self, plan: Plan, principal: Principal, state: State) -> AccountReply:
        if principal.name:
            text = (
                f"You are signed in as {principal.name}; \u201cmy accounts\u201d are the "
                "accounts that list that name."
            )
            return AccountReply(text, state=state, plan=plan)
        name = plan.identity or ""
        known = self.resolver(principal).person(name)
        roles = ", ".join(sorted({p.role.replace("_", " ") for p in known}))
        text = f"Noted: you are {name}." + (
            f" Your accounts are the ones that list you as {roles}; ask \u201cmy accounts\u201d."
            if known
            else " No account lists that name as CSM, account executive or partner yet."
        )
        kept = State(
            state.intent, state.account_id, state.rows, state.opportunity, name, state.recent
        )
        return AccountReply(text, state=kept, plan=plan)

    def _steps(self, run: Run, plan: Plan) -> tuple[list[str], list[Row] | None]:
        lines: list[str] = []
        rows: list[Row] | None = None
        account = plan.account
        for step in plan.tools:
            try:
                result, m = run.call(step.name, dict(step.arguments))
            except NotFoundError:
                if step.name == "health_score" and account is not None:
                    lines.append(f"{account.name} has no health snapshot recorded yet.")
                    continue
                raise
            new_lines, new_rows = _render(result, m, plan)
            lines += new_lines
            if new_rows is not None:
                rows = new_rows
        return lines, rows

    def _compare(self, run: Run, plan: Plan) -> list[str]:
        columns: list[tuple[str, dict[str, str]]] = []
        marks: list[str] = []
        for target in plan.targets:
            values: dict[str, str] = {}
            for step in plan.tools:
                if step.arguments.get("account_id") != target.id:
                    continue
                try:
                    result, m = run.call(step.name, dict(step.arguments))
                except NotFoundError:
                    continue
                marks.append(m)
                values.update(render.comparison_cells(result, m))
            columns.append((target.name, values))
        keys: list[str] = []
        for _, values in columns:
            keys += [k for k in values if k not in keys]
        header = "| | " + " | ".join(f"**{name}**" for name, _ in columns) + " |"
        rule = "|---|" + "---|" * len(columns)
        body = "\n".join(
            f"| {key} | " + " | ".join(values.get(key, "n/a") for _, values in columns) + " |"
            for key in keys
        )
        names = " and ".join(name for name, _ in columns)
        cited = "".join(f"[{m}]" for m in dict.fromkeys(marks))
        return [f"Comparison of {names} {cited}:\n\n{header}\n{rule}\n{body}"]

    def guidance(self, query: str, principal: Principal) -> tuple[str, list[Citation]]:
        return self._guidance(query, principal)

    def _guidance(self, query: str, principal: Principal) -> tuple[str, list[Citation]]:
        where = SearchFilter(doc_types=GUIDANCE_TYPES, visible_accounts=principal.accounts)
        result = self.retriever.search(query, self.k, where)
        composition = self.composer.compose(query, result)
        if composition.declined:
            return "", []
        return composition.answer, composition.citations


def _about(state: State, account: AccountName) -> State:
    return state.about(account.id)


def _render(result: ToolResult, m: str, plan: Plan) -> tuple[list[str], list[Row] | None]:
    """The lines of one tool result, and the result set a follow-up may refer to."""
    account = plan.account
    name = account.name if account else None
    if isinstance(result, AccountOverview):
        if plan.fields:
            return [overview_fields().sentence(result, plan.fields, m)], None
        return render.overview(result, m), None
    if isinstance(result, HealthScore):
        return render.health(result, m), None
    if isinstance(result, LicenseUtilization):
        risk = None if account else list(plan.tools[0].arguments.get("risk") or []) or None
        rows = [Row(x.account_id, x.account_name, (x.risk, x.module)) for x in result.modules]
        scope = "" if account else render.filters(plan.tools[0].arguments)
        return render.licenses(result, m, name, risk, scope), rows
    if isinstance(result, Renewals):
        rows = [
            Row(x.account_id, x.name, tuple(filter(None, (x.band, x.trend))))
            for x in result.renewals
        ]
        arguments = plan.tools[0].arguments
        window = (
            (str(arguments["renewal_from"]), str(arguments["renewal_to"]))
            if arguments.get("renewal_from") and arguments.get("renewal_to")
            else None
        )
        lines = render.renewals(result, m, render.filters(arguments), window, arguments)
        return total_first(lines, plan), rows
    if isinstance(result, AccountList):
        arguments = plan.tools[0].arguments
        # the label a filter named comes first ("what should we offer them?" after the
        # accounts of a quadrant: that quadrant's guidance, not their band's)
        by_quadrant = bool(arguments.get("quadrant"))
        rows = [
            Row(
                x.account_id,
                x.name,
                tuple(filter(None, (x.quadrant, x.band) if by_quadrant else (x.band, x.quadrant))),
            )
            for x in result.accounts
        ]
        lines = render.account_list(result, m, render.listing(arguments), arguments)
        return total_first(lines, plan), rows
    if isinstance(result, ExpansionTargets):
        quadrant = None if account else plan.tools[0].arguments.get("quadrant")
        rows = [Row(p.account_id, p.name, (p.quadrant, p.band)) for p in result.placements]
        return render.expansion(result, m, name, quadrant), (rows if not account else None)
    if isinstance(result, Pipeline):
        rows = [Row(o.account_id, o.account_name, (o.id,)) for o in result.opportunities]
        lines = render.pipeline(result, m, plan.tools[0].arguments)
        return total_first(lines, plan), rows
    if isinstance(result, Opportunities):
        return render.opportunities(result, m, plan.entities.masked), None
    if isinstance(result, SurveyTrend):
        return render.surveys(result, m, int(plan.tools[0].arguments.get("months", 12))), None
    if isinstance(result, IncidentSummary):
        return render.incidents(result, m), None
    if isinstance(result, Calculation):
        return render.calculation(result, m), None
    return [], None


def total_first(lines: list[str], plan: Plan) -> list[str]:
    """A question for a total or a mean over the set ("the total ARR renewing in Q1") is
    answered by the summary line: it leads, the list follows."""
    pooled = any(step.arguments.get("with_nps") for step in plan.tools)
    if (plan.entities.aggregate or pooled) and len(lines) > 1:
        return [lines[-1], *lines[:-1]]
    return lines
