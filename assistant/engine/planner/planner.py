"""The grounded planner: entities from the data, slots from the parsers, the intent from the
exemplars, the conversation state for follow-ups; out comes one typed `Plan`.

How the scope is chosen:
- the caller's own numbers for a rules calculator ("800 seats and 310 active", "$4M ARR: how
  many engagement leads?") -> `calculate` (planner/calculations.py);
- an unknown or ambiguous account name -> `clarify` (with the closest visible names);
- two or more accounts named and a comparison asked -> `compare` (both, as a table);
- one account named, referred to ("their", "the second") or in context -> `account`
  (or `actions` for "what should I do", also when only one clause of several asks it:
  "X renews soon. What should we do?"), unless the question is about how things are done
  (the knowledge intent leads): "What is the renewal process?" stays a knowledge question
  even with an account in context;
- no account: a portfolio question when the data intents lead, or the message names
  owners, "my accounts", thresholds or a date window -> `portfolio`; else `knowledge`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from dateutil.relativedelta import relativedelta

from assistant.engine.account_names import AccountName, words_of
from assistant.engine.planner.calculations import calculation
from assistant.engine.planner.dates import look_back, parse_window
from assistant.engine.planner.entities import OPPORTUNITY_ID, EntityResolver, Found
from assistant.engine.planner.fields import overview_fields
from assistant.engine.planner.intents import IntentMatcher, Ranking
from assistant.engine.planner.margins import Margins, shipped_margins
from assistant.engine.planner.plan import (
    TOPICS,
    Clarify,
    DateRange,
    Entities,
    Intent,
    Person,
    Plan,
    ToolStep,
)
from assistant.engine.planner.slots import (
    HEALTH_WORD,
    LICENSE_WORD,
    RENEW_WORD,
    Vocabulary,
    identity_in,
    parse_slots,
)
from assistant.engine.planner.state import (
    ANY_OF_IT,
    SINGULAR,
    STANDS_ALONE_WORDS,
    Reference,
    State,
    refer,
)
from assistant.principal import Principal
from assistant.retrieval.text import tokenize
from assistant.rules import Rules

Make = Callable[..., Plan]
DATA: tuple[Intent, ...] = (*TOPICS, "actions", "list", "compare")
PORTFOLIO: tuple[Intent, ...] = ("list", "renewals", "licenses", "expansion", "health", "overview")
ONE_ACCOUNT: tuple[Intent, ...] = ("surveys", "incidents", "actions", "opportunity")
FOLLOW_UP_DAYS = 365  # the renewal window of a follow-up on a result set (the coming year)
EMPTY_SET = (
    "The last list held no accounts, so there is none to pick from. Ask for the list again "
    "with fewer filters (a wider date window, another segment or threshold)."
)
NO_REFERENT = "Which account do you mean? Name it or give its id."
# the figure a breakdown of the accounts is ordered by ("which segment has the most ARR?")
MEASURE_WORD = re.compile(r"\$|\barr\b|revenue|\bhealth|\brenewals?\b|\bnps\b", re.I)
# what an account's own records hold (licenses, incidents, survey answers, scores, renewal)
ABOUT_RECORDS = re.compile(
    r"\b(?:modules?|licen[cs]es?|seats?|incidents?|tickets?|sev\s?\d|outages?|detractors?|"
    r"nps|surveys?|health|scores?|renewals?)\b",
    re.I,
)
ROLES = ("csm", "account_exec", "partner")
MAX_CHOICES = 6  # a list this long is offered back when "it" could be any of it
TOP_N = re.compile(r"^\W*(?:show\s+(?:me\s+)?(?:the\s+)?)?(?:top|bottom)\s+\w+", re.I)
ASKS_WHICH = re.compile(r"^\W*(?:which|list|show|give me|who)\b", re.I)
NOTICE_KEY = "partner_notice"  # the rules' renewal window for telling the partner
NOTIFY = re.compile(r"\b(?:notif\w*|notice|tell|inform|prompt\w*|heads[- ]up)\b", re.I)
# a question about how things are done ("how do we onboard retail customers?")
HOW_TO = re.compile(
    r"^\W*(?:how\s+(?:do|does|should|can|could|would|to)|what\s+should|why)\b", re.I
)
BREAKDOWN = ("with_nps", "group_by", "group_sort", "group_descending")  # lists only
ACCOUNT_NOUN = re.compile(r"\b(?:account|customer|client)s?\b", re.I)
NPS_MENTION = re.compile(r"\bnps\b|net promoter", re.I)
CARRY_WORDS = 3  # "what about X?": a message this short about an account keeps the topic
# the intent-score margins are data: margins.yaml (chosen on the dev splits)


class Planner:
    def __init__(
        self,
        matcher: IntentMatcher,
        vocabulary: Vocabulary,
        margins: Margins | None = None,
        rules: Rules | None = None,
    ) -> None:
        self.matcher = matcher
        self.vocabulary = vocabulary
        self.margins = margins or shipped_margins()
        self.rules = rules  # the calculators' rules (none: no calculator is planned)

    def plan(
        self,
        message: str,
        principal: Principal,
        resolver: EntityResolver,
        today: dt.date,
        state: State | None = None,
        context_account: AccountName | None = None,
    ) -> Plan:
        state = (state or State()).scoped(principal)
        found = resolver.resolve(message)
        entities = Entities(
            accounts=found.accounts,
            people=found.people,
            modules=found.modules,
            services=found.services,
            opportunities=found.opportunities,
            masked=found.masked,
        )
        parse_slots(message, self.vocabulary, entities)
        # "what should I focus on this week?": the week is when to act, not a renewal window
        entities.dates = None if entities.focus else parse_window(message, today)
        ranking = self.matcher.rank(entities.masked)

        def clauses() -> list[Ranking]:  # ranked only for an account question (latency)
            return self.matcher.clauses(entities.masked)

        scores: dict[str, float] = {str(k): round(v, 4) for k, v in ranking.scores.items()}

        def make(intent: Intent, scope: Any, **more: Any) -> Plan:
            return Plan(intent, scope, entities, scores, **more)

        name = identity_in(message)
        if name is not None and found.match.status in ("none", "unknown"):
            people = resolver.person(name)
            return make("list", "identity", identity=people[0].name if len(people) == 1 else name)
        step = calculation(message, self.rules) if self.rules is not None else None
        if step is not None:  # the caller's own numbers: the rule applied to them
            return make("calculate", "calculate", tools=[step])
        if found.match.status == "unknown":
            return make(_topic(ranking), "clarify", clarify=_unknown(found))
        if found.unknown is not None:
            guess = self.matcher.rank(found.masked_unknown)
            best, score = guess.best(DATA)
            before = ranking.best(DATA)[1]
            sure = score >= self.margins.unknown_min and score >= before + self.margins.unknown_gain
            foreign = [  # words the knowledge base never uses: not a question about its data
                w
                for w in words_of(found.masked_unknown)
                if len(w) > 3 and w != "account" and not resolver.names.is_ordinary(w)
            ]
            if sure and best != "list" and not (resolver.names.ordinary_known and foreign):
                suggestions = resolver.names.suggest(found.unknown)
                return make(best, "clarify", clarify=_unknown_name(found.unknown, suggestions))
        if found.match.status == "ambiguous" and not found.accounts:
            names = tuple(a.name for a in found.match.accounts)
            question = (
                f"\u201c{found.match.mention}\u201d matches more than one account: "
                f"{' or '.join(names)}. Which one?"
            )
            return make(_topic(ranking), "clarify", clarify=Clarify(question, names))
        if found.ambiguous_people and not found.accounts:
            word, candidates = found.ambiguous_people[0]
            names = tuple(p.name for p in candidates)
            question = f"\u201c{word}\u201d could be {' or '.join(names)}. Who do you mean?"
            return make("list", "clarify", clarify=Clarify(question, names))
        knowledge = ranking.scores.get("knowledge", 0.0)
        data_intent, data_score = ranking.best(DATA)
        if len(found.accounts) >= 2 and (data_intent == "compare" or _asks_comparison(message)):
            return _compare(make, ranking, found.accounts[:4], None)
        previous = state.account_id
        if (
            len(found.accounts) == 1
            and previous is not None
            and previous != found.accounts[0].id
            and _asks_comparison(message)
        ):  # "how does that compare with Y?" after a turn about X: X and Y side by side
            targets = [_name(resolver, previous), found.accounts[0]]
            return _compare(make, ranking, targets, "reference")
        if found.accounts or entities.opportunities:
            if knowledge >= data_score + self.margins.knowledge_lead and not entities.opportunities:
                return make("knowledge", "knowledge", knowledge_queries=[message])
            target = found.accounts[:1]
            return self._account(make, ranking, entities, target, state, None, clauses)
        if state.points_at_empty_set(message):
            return make(_topic(ranking), "clarify", clarify=Clarify(EMPTY_SET))
        reference = refer(message, state)
        listed = list(dict.fromkeys(r.name for r in state.rows))
        if (
            reference.kind == "none"
            and 1 < len(listed) <= MAX_CHOICES
            and SINGULAR.search(message)
            and state.intent != "knowledge"
            and data_score >= knowledge
            and not entities.plural
        ):  # "what's its score?" after a list of several: which one?
            question = f"Which one do you mean: {', '.join(listed[:-1])} or {listed[-1]}?"
            return make(_topic(ranking), "clarify", clarify=Clarify(question, tuple(listed)))
        several = reference.kind == "several"
        if (
            several
            and 2 <= len(reference.account_ids) <= 4
            and (data_intent == "compare" or _asks_comparison(message))
        ):  # "compare them": the accounts referred to, side by side
            targets = [_name(resolver, a) for a in reference.account_ids]
            return _compare(make, ranking, targets, "results")
        # "which one has the lowest health?": an order or a filter on the set referred to
        picks = several and bool(
            entities.sort
            or entities.limit
            or entities.bands
            or entities.segment
            or entities.thresholds
            or entities.trend
            or entities.severities
            or entities.nps_below is not None
        )
        listed = _deals(state) if several and state.intent == "opportunity" else []
        if listed and (entities.sort or entities.limit or entities.missing_field):
            step = _pipeline(entities)  # "which of those is the biggest?" after a deal list
            step.arguments["opportunity_ids"] = listed
            return make("opportunity", "portfolio", tools=[step], follow_up="results")
        # "is any module at risk?" after an answer about one account: its records
        any_of_it = (
            reference.kind == "one"
            and ANY_OF_IT.search(message) is not None
            and ABOUT_RECORDS.search(entities.masked) is not None
        )
        if reference.kind != "none" and (data_score >= knowledge or picks or any_of_it):
            if reference.kind == "several":
                plan = self._portfolio(
                    make,
                    ranking,
                    entities,
                    principal,
                    resolver,
                    state,
                    reference.account_ids,
                    today,
                )
                # "what should we do about them?": the set, and the playbooks' guidance for
                # what its accounts share (their quadrant, band or risk)
                if plan.clarify is None and not picks and self._asks_action(ranking):
                    plan.knowledge_queries = [_set_guidance(message, state, reference, self.rules)]
                return plan
            target = [_name(resolver, reference.account_ids[0])]
            return self._account(make, ranking, entities, target, state, "reference", clauses)
        if (
            reference.kind == "none"
            and context_account is None
            and state.intent != "knowledge"  # "it": the topic of the knowledge answer before
            and SINGULAR.search(message)
            and len(tokenize(message)) < STANDS_ALONE_WORDS
            and not entities.plural
            and data_intent == "actions"
            and data_score >= knowledge + self.margins.knowledge_lead
        ):  # "draft a save plan for it" with no account in the conversation: which one?
            # (an "it" asking a fact may be the knowledge topic of the last turn)
            return make(data_intent, "clarify", clarify=Clarify(NO_REFERENT))
        deals = ranking.scores.get("opportunity", 0.0)
        if entities.pipeline and (
            deals >= knowledge or entities.missing_field or entities.dates is not None
        ):  # "which opportunities close this quarter?": the deals across the accounts
            return make("opportunity", "portfolio", tools=[_pipeline(entities)])
        owners = bool(entities.people) or entities.mine
        portfolio_score = ranking.best(PORTFOLIO)[1]
        # "which customers have a negative NPS?": a filter on one account topic's figures
        # makes that topic a portfolio question too
        topical: tuple[tuple[Intent, bool], ...] = (
            ("incidents", entities.about_incidents),
            ("surveys", entities.about_surveys),
        )
        for topic, named in topical:
            if named:
                portfolio_score = max(portfolio_score, ranking.scores.get(topic, 0.0))
        filtered_topics = [topic for topic, named in topical if named]
        filtered = any(
            (
                entities.dates,
                entities.thresholds,
                entities.bands,
                entities.segment,
                entities.industry and (entities.which or entities.counted),
                entities.figures,
                entities.quadrant,
                entities.risk,
                entities.modules,
                entities.limit,
                entities.sort,
                entities.trend,
                entities.partnered is not None,
                entities.severities,
                entities.nps_below is not None,
                entities.detractors,
            )
        )
        leads = portfolio_score >= knowledge + self.margins.portfolio_lead
        about_set = (
            entities.plural
            and not entities.defines
            and (
                (filtered and (portfolio_score >= knowledge or entities.which))
                or (
                    leads
                    and (
                        filtered
                        or (
                            portfolio_score >= self.margins.portfolio_sure
                            and not (entities.thing_of_set and not entities.aggregate)
                        )
                    )
                )
            )
        )
        # "renewing in the next month", "health under 50": a window or a threshold with a
        # leading portfolio intent is about the accounts even without the word "accounts"
        windowed = (
            bool(entities.dates or entities.thresholds)
            and leads
            and portfolio_score >= self.margins.portfolio_sure
        )
        # "what's the total ARR renewing in Q1?": a renewal window named with the verb
        renewing = (
            entities.dates is not None
            and RENEW_WORD.search(entities.masked) is not None
            and leads
            and ranking.best(DATA)[0] == "renewals"
        )
        # "how many customers are in the Save quadrant?": a count of a filtered set
        counted = entities.counted and filtered
        # "which CSM has the most red accounts?", "ARR by segment": a breakdown of the set
        grouped = (
            entities.group_by is not None
            and (entities.plural or MEASURE_WORD.search(entities.masked) is not None)
            and HOW_TO.search(message) is None  # "how should we handle accounts by segment?"
        )
        # "which accounts are in commercial negotiation?": a window of the rules' timeline
        timeline = self._renewal_window(entities.masked, today)
        in_window = (
            timeline is not None
            and (entities.plural or timeline.phrase == NOTICE_KEY)
            and (entities.which or entities.counted or ASKS_WHICH.search(message) is not None)
            and not entities.defines
        )  # not "when should the portfolio review start?"
        figure = entities.portfolio_figure and not entities.thing_of_set
        # "who manages our biggest account?", "the healthiest customer": one account by an order
        ranked = bool(entities.sort and entities.limit) and (
            ACCOUNT_NOUN.search(entities.masked) is not None
            or TOP_N.match(entities.masked) is not None  # "top 5 by ARR"
        )
        figure = figure or ranked
        if owners or about_set or windowed or counted or renewing or grouped or figure or in_window:
            plan = self._portfolio(make, ranking, entities, principal, resolver, state, None, today)
            # "how should we handle red accounts?": the playbook's guidance with the set (the
            # rules' signal query when the set is one band or quadrant)
            if (
                plan.clarify is None
                and plan.intent in ("list", "renewals")
                and self._asks_action(ranking, filtered_topics)
            ):
                label = entities.quadrant or (
                    entities.bands[0] if len(entities.bands) == 1 else None
                )
                query = _signal_query(label, self.rules) if label else None
                plan.knowledge_queries = [query or message]
            return plan
        if context_account is not None and data_score > knowledge and data_intent != "list":
            return self._account(
                make, ranking, entities, [context_account], state, "context", clauses
            )
        return make("knowledge", "knowledge", knowledge_queries=[message])

    def _account(
        self,
        make: Make,
        ranking: Ranking,
        entities: Entities,
        targets: list[AccountName],
        state: State,
        follow_up: str | None,
        clauses: Callable[[], Sequence[Ranking]] = list,
    ) -> Plan:
        intent = _topic(ranking, exclude=("list", "compare"))
        best_score = ranking.best(DATA)[1]
        bare = [w for w in words_of(entities_text(entities)) if w != "account"]
        # a name alone (the answer to "which one?") or "what about X?" keeps the topic
        short = not bare or (len(bare) <= CARRY_WORDS and best_score < self.margins.carry_below)
        previous = next((t for t in TOPICS if t == state.intent), None)
        carry = follow_up is None and short and previous is not None
        if self._clause_asks_action(clauses()) or (not carry and self._asks_action(ranking)):
            intent = "actions"  # any clause asking what to do: the request, the rest context
        elif carry and previous is not None:
            intent = previous  # "what about <another account>?" keeps the topic
            follow_up = "topic"
        if intent == "renewals":
            intent = "overview"  # "when does X renew" is about that account
        if (
            intent == "overview"
            and entities.modules
            and not overview_fields().named(entities.masked)
        ):
            intent = "licenses"  # "how is X using search?": the module's licenses
        if entities.opportunities:
            intent = "opportunity"
            return make(
                intent,
                "account",
                targets=targets,
                follow_up=follow_up,
                tools=[ToolStep("opportunity", {"opportunity_id": entities.opportunities[0]})],
            )
        if intent == "actions":
            return make("actions", "actions", targets=targets, follow_up=follow_up)
        account_id = targets[0].id
        fields = overview_fields().named(entities.masked) if intent == "overview" else ()
        if fields:  # "who is their CSM?": that field of the record, not the whole overview
            steps = [ToolStep("account_overview", {"account_id": account_id})]
            if HEALTH_WORD.search(entities.masked):  # "the ARR and the health of X"
                steps.append(ToolStep("health_score", {"account_id": account_id}))
            return make(
                intent, "account", targets=targets, follow_up=follow_up, tools=steps, fields=fields
            )
        return make(
            intent,
            "account",
            targets=targets,
            follow_up=follow_up,
            tools=_account_steps(intent, account_id, entities),
        )

    def _renewal_window(self, text: str, today: dt.date) -> DateRange | None:
        """The accounts a window of the rules' renewal timeline holds today, when the message
        names it: all the words of its label ("in commercial negotiation"), or, for the
        partner notice, a partner word (the rules' name for partners too) with a word of
        telling them. The window runs from `end` to `start` units before the renewal date,
        so the accounts renewing between today + end and today + start are in it (a notice
        given at one point: those renewing within it, whose notice is due)."""
        if self.rules is None:
            return None
        words = set(tokenize(text))
        partner = {"partner", *(n.name for n in self.rules.names if n.concept == "partner")}
        partner_words = {w for name in partner for w in tokenize(name)}
        for window in self.rules.renewal.windows:
            label = set(tokenize(window.label))
            named = bool(label) and label <= words
            notice = (
                window.key == NOTICE_KEY
                and bool(words & partner_words)
                and NOTIFY.search(text) is not None
            )
            if not (named or notice):
                continue
            if window.unit == "days":
                near, far = dt.timedelta(days=window.end), dt.timedelta(days=window.start)
                start, end = today + (far if window.start == window.end else near), today + far
            else:
                start = today + relativedelta(months=window.end)
                end = today + relativedelta(months=window.start)
            if window.start == window.end:
                start = today
            return DateRange(start, end, window.key)
        return None

    def _asks_action(self, ranking: Ranking, topics: Sequence[Intent] = ()) -> bool:
        """The actions intent leads the message, or comes within the margin of the best;
        `topics` the message's filters account for ("accounts with sev1 incidents": the
        incidents) do not count as what it asks."""
        best, best_score = ranking.best(tuple(i for i in DATA if i not in topics))
        actions = ranking.scores.get("actions", 0.0)
        return best == "actions" or (
            actions >= best_score - self.margins.actions_margin and best != "opportunity"
        )

    def _clause_asks_action(self, clauses: Sequence[Ranking]) -> bool:
        """One clause of several asks what to do ("X renews soon. What should we do?")."""
        for clause in clauses:
            lead, score = clause.best(DATA)
            if lead == "actions" and score >= self.margins.clause_actions_min:
                return True
        return False

    def _portfolio(
        self,
        make: Make,
        ranking: Ranking,
        entities: Entities,
        principal: Principal,
        resolver: EntityResolver,
        state: State,
        restrict: Sequence[str] | None,
        today: dt.date,
    ) -> Plan:
        intent = _topic(ranking, among=("list", *PORTFOLIO))
        named = {  # a follow-up keeps these topics only when it names them
            "renewals": RENEW_WORD.search(entities.masked) is not None,
            "licenses": bool(entities.risk or entities.modules)
            or LICENSE_WORD.search(entities.masked) is not None,
        }
        if restrict is not None and not named.get(intent, False):
            intent = "list"  # a follow-up on a result set filters or sorts that set
        # a breakdown or an ARR threshold with no word of renewals or licenses ("which CSM
        # has the most at-risk accounts?", "accounts with ARR over $1M") is the account list
        if (entities.group_by or entities.figures) and not named.get(intent, True):
            intent = "list"
        if intent == "licenses" and not named["licenses"]:
            intent = "list"  # "how many accounts do I have?": no module, seat or license named
        if (entities.about_incidents or entities.about_surveys) and intent != "renewals":
            intent = "list"  # incidents or NPS across accounts: the filtered list
        filters: dict[str, Any] = {}
        window = None if entities.dates else self._renewal_window(entities.masked, today)
        if window is not None:  # "which accounts are in commercial negotiation?"
            entities.dates, intent = window, "renewals"
            if window.phrase == NOTICE_KEY:
                filters["partnered"] = True  # "which resellers do we need to notify?"
        people = list(entities.people)
        if entities.mine:
            me = principal.name or state.identity
            if not me:
                question = (
                    "Whose accounts? I don't know your name yet: say \u201cI'm <your name>\u201d "
                    "or name the CSM or account executive."
                )
                return make("list", "clarify", clarify=Clarify(question))
            found = resolver.person(me)
            if not found:
                return make(
                    "list",
                    "clarify",
                    clarify=Clarify(
                        f"No account lists {me} as its CSM, account executive or partner."
                    ),
                )
            people = [*people, *found[:1]]
        for person in people:
            filters[person.role] = person.name
        e = entities
        if e.bands:
            filters["bands"] = e.bands
        if e.segment:
            filters["segment"] = e.segment
        if e.industry:
            filters["industry"] = e.industry
        filters.update(e.thresholds)
        filters.update(e.figures)
        if e.quadrant:
            filters["quadrant"] = e.quadrant
        if e.trend:
            filters["trend"] = e.trend
        if e.partnered is not None:
            filters["partnered"] = e.partnered
        # incidents and survey answers are recorded figures: a window looks back, unless
        # it is the renewal window ("renewing this quarter with a negative NPS")
        renewing = e.dates is not None and RENEW_WORD.search(e.masked or "") is not None
        since = None if renewing else look_back(e.masked or "", today)
        incidents, voice = e.about_incidents, e.about_surveys
        if e.severities:
            filters["incident_severities"] = e.severities
        if e.nps_below is not None:
            filters["nps_below"] = e.nps_below
        if e.detractors:
            filters["detractors"] = True
        if NPS_MENTION.search(e.masked or "") and not e.about_surveys:
            filters["with_nps"] = True  # "our average NPS", "the NPS of X's accounts": pooled
        if since is not None and incidents:
            filters["incidents_since"] = since.isoformat()
        if since is not None and voice:
            filters["surveys_since"] = since.isoformat()
        dates = e.dates
        if since is not None and (incidents or voice):
            dates = None  # "sev1 incidents this quarter": not a renewal window
        if e.risk:
            filters["license_risk"] = e.risk[0]  # the list filter takes one level
        if e.modules:
            filters["module"] = e.modules[0]
        if e.sort:
            filters["sort"] = e.sort
            filters["descending"] = bool(e.descending)
        if e.limit:
            filters["limit"] = e.limit
        if e.group_by:
            filters["group_by"] = e.group_by
            if e.group_sort != "count":
                filters["group_sort"] = e.group_sort
            if not e.group_descending:
                filters["group_descending"] = False
            if e.group_limit:
                filters["limit"] = e.group_limit
        if restrict is not None:
            filters["account_ids"] = list(restrict)
        # a renewal window with a list, or with the health of the accounts ("renewing in Q1
        # with declining health"): the renewals in it, with the other filters
        if intent == "renewals" or (dates is not None and intent in ("list", "overview", "health")):
            arguments = dict(filters)  # "which Guard accounts renew ...": the quadrant too
            if dates is not None:
                arguments["days"] = max(1, (dates.end - today).days)  # the tool checks the range
                arguments["renewal_from"] = dates.start.isoformat()
                arguments["renewal_to"] = dates.end.isoformat()
            if restrict is not None and dates is None:
                arguments["days"] = FOLLOW_UP_DAYS  # "which of those renew first?": all of them
            if restrict is not None and "sort" not in arguments:
                arguments["sort"], arguments["descending"] = "renewal_date", False
            step = ToolStep("renewals_due", arguments)
            return make(
                "renewals", "portfolio", tools=[step], follow_up="results" if restrict else None
            )
        if intent == "licenses":
            arguments = {"risk": e.risk or [self.vocabulary.top_risk]}
            # "which SMB accounts have high license risk?": the accounts' own fields
            arguments.update(
                {k: v for k, v in filters.items() if k in ("segment", "industry", *ROLES)}
            )
            if e.modules:  # "high license risk on the security module"
                arguments["module"] = e.modules[0]
            if restrict is not None:
                arguments["account_ids"] = list(restrict)
            return make("licenses", "portfolio", tools=[ToolStep("license_utilization", arguments)])
        if intent in ("expansion", "health", "overview") and e.sort and not e.quadrant:
            intent = "list"  # "who are our biggest customers?": the accounts in that order
        if intent == "expansion" and not people:
            # "which healthcare accounts should we expand?": the grid, with the filters
            arguments = {k: v for k, v in filters.items() if k not in BREAKDOWN}
            arguments["quadrant"] = e.quadrant or _first_healthy_low(self.vocabulary)
            # the guidance: for a quadrant named not to list it ("what should we do about
            # accounts in the Expand quadrant?", not "which accounts are in Expand?") the
            # rules' query for it, else the message
            acts = bool(e.quadrant) and not (e.which or e.counted)
            play = _signal_query(e.quadrant, self.rules) if e.quadrant and acts else None
            return make(
                "expansion",
                "portfolio",
                tools=[ToolStep("expansion_targets", arguments)],
                knowledge_queries=[play] if play else [],
            )
        if (
            intent == "health"
            and "bands" not in filters
            and not (e.thresholds or e.sort or e.trend or e.aggregate or e.group_by)
        ):
            filters["bands"] = list(self.vocabulary.at_risk_bands)
        return make(
            "list",
            "portfolio",
            tools=[ToolStep("list_accounts", filters)],
            follow_up="results" if restrict else None,
        )


def _pipeline(entities: Entities) -> ToolStep:
    """The pipeline step: the close window, a service, a missing field, an order, a count."""
    arguments: dict[str, Any] = {}
    if entities.dates is not None:
        arguments["close_from"] = entities.dates.start.isoformat()
        arguments["close_to"] = entities.dates.end.isoformat()
    if entities.services:
        arguments["service"] = entities.services[0]
    if entities.missing_field:
        arguments["missing"] = entities.missing_field
    if entities.sort == "arr" or (entities.sort and entities.descending):
        arguments["sort"], arguments["descending"] = "amount", True  # "the biggest deals"
    if entities.limit:
        arguments["limit"] = entities.limit
    return ToolStep("pipeline", arguments)


def _deals(state: State) -> list[str]:
    """The opportunity ids of the deal list the previous turn gave."""
    return [label for row in state.rows for label in row.labels if OPPORTUNITY_ID.fullmatch(label)]


def entities_text(entities: Entities) -> str:
    return entities.masked


def _first_healthy_low(vocabulary: Vocabulary) -> str:
    return vocabulary.quadrants[0] if vocabulary.quadrants else "Expand"


def _topic(
    ranking: Ranking,
    exclude: tuple[Intent, ...] = (),
    among: tuple[Intent, ...] | None = None,
) -> Intent:
    pool = tuple(i for i in (among or DATA) if i not in exclude and i in ranking.scores)
    return ranking.best(pool)[0] if pool else "overview"


def _account_steps(intent: Intent, account_id: str, entities: Entities) -> list[ToolStep]:
    months = {"months": entities.months} if entities.months else {}
    if intent == "overview":
        return [
            ToolStep("account_overview", {"account_id": account_id}),
            ToolStep("health_score", {"account_id": account_id, **months}),
        ]
    if intent == "health":
        return [ToolStep("health_score", {"account_id": account_id, **months})]
    if intent == "licenses":  # "X's observability module": that module's row
        module = {"module": entities.modules[0]} if len(entities.modules) == 1 else {}
        return [ToolStep("license_utilization", {"account_id": account_id, **module})]
    if intent == "surveys":
        return [
            ToolStep("survey_trend", {"account_id": account_id, "months": entities.months or 12})
        ]
    if intent == "incidents":
        return [
            ToolStep(
                "support_incidents",
                {
                    "account_id": account_id,
                    **({"months": entities.months} if entities.months else {}),
                },
            )
        ]
    if intent == "expansion":
        return [ToolStep("expansion_targets", {"account_id": account_id})]
    if intent == "opportunity":
        return [ToolStep("opportunity", {"account_id": account_id})]
    return [ToolStep("account_overview", {"account_id": account_id})]


def _set_guidance(
    message: str, state: State, reference: Reference, rules: Rules | None = None
) -> str:
    """The guidance query for a set referred to: for what all its rows are labelled with
    (their band or quadrant, the label a filter named first), the query of the rules' signal
    on that label ("What do we offer a customer in this quadrant?"), else a question about accounts
    with that label; the message itself when the rows share none."""
    labels = [set(r.labels) for r in state.rows if r.account_id in reference.account_ids]
    shared = set.intersection(*labels) if labels else set()
    order = [label for row in state.rows for label in row.labels]
    first = next((label for label in order if label in shared), None)
    if first is None:
        return message
    return _signal_query(first, rules) or f"What should we do about accounts in {first}?"


def _signal_query(label: str, rules: Rules | None) -> str | None:
    """The guidance query of the rules' signal on a band or quadrant named `label`."""
    for signal in rules.signals if rules is not None else ():
        named = [*(signal.when.band_in or ()), *(signal.when.quadrant_in or ())]
        if any(n.lower() == label.lower() for n in named):
            return signal.guidance.query
    return None


def _compare(
    make: Make, ranking: Ranking, targets: list[AccountName], follow_up: str | None
) -> Plan:
    """The accounts side by side, with the figures of the topic the message is about."""
    topic = _topic(ranking, exclude=("compare", "actions", "list", "renewals"))
    steps = [step for a in targets for step in _compare_steps(topic, a.id)]
    return make("compare", "compare", targets=targets, tools=steps, follow_up=follow_up)


def _compare_steps(topic: Intent, account_id: str) -> list[ToolStep]:
    steps = [
        ToolStep("account_overview", {"account_id": account_id}),
        ToolStep("health_score", {"account_id": account_id}),
    ]
    if topic == "licenses":
        steps.append(ToolStep("license_utilization", {"account_id": account_id}))
    elif topic == "surveys":
        steps.append(ToolStep("survey_trend", {"account_id": account_id, "months": 12}))
    elif topic == "incidents":
        steps.append(ToolStep("support_incidents", {"account_id": account_id, "months": 3}))
    elif topic == "expansion":
        steps.append(ToolStep("expansion_targets", {"account_id": account_id}))
    return steps


def _asks_comparison(message: str) -> bool:
    words = message.lower().split()
    return any(w.strip("?.,!") in ("compare", "vs", "versus", "against", "between") for w in words)


def _unknown(found: Found) -> Clarify:
    return _unknown_name(found.match.mention or "", found.match.suggestions)


def _unknown_name(mention: str, near: Sequence[AccountName]) -> Clarify:
    text = f"I can't find an account called \u201c{mention}\u201d among the accounts you can see."
    suggestions = tuple(a.name for a in near)
    if suggestions:
        text += f" The closest: {' or '.join(suggestions)}. Did you mean one of them?"
    return Clarify(text, suggestions, declined=True)


def _name(resolver: EntityResolver, account_id: str) -> AccountName:
    for account in resolver.names.accounts:
        if account.id == account_id:
            return account
    return AccountName(account_id, account_id)


__all__ = ["Person", "Planner"]
