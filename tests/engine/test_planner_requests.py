"""What a question asks, beyond its single best intent: a clause asking what to do makes the
action list ("X renews soon. What should we do?"), the caller's own numbers make a
calculator step, a superlative picks one of a result set, "which of those renews first?"
the soonest one, "the AE there" refers to the account in the result set."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.engine.planner.calculations import calculation, money
from assistant.engine.planner.entities import EntityResolver, Owner
from assistant.engine.planner.intents import IntentMatcher, Ranking
from assistant.engine.planner.plan import Entities
from assistant.engine.planner.planner import Planner
from assistant.engine.planner.slots import Vocabulary, parse_slots
from assistant.engine.planner.state import Reference, Row, State, refer
from assistant.engine.planner.vocabulary import from_rules
from assistant.principal import Principal
from assistant.rules import load_rules
from tests.conftest import REPO

SHIPPED = load_rules(REPO / "knowledge" / "rules.yaml")
SECOND = load_rules(REPO / "tests" / "fixtures" / "second_kb" / "rules.yaml")
VOCABULARY = Vocabulary(
    bands=("red", "orange", "yellow", "green"),
    healthy_bands=("yellow", "green"),
    quadrants=("Expand", "Save"),
    risk_levels=("High", "Medium", "Low"),
)


class FixedMatcher(IntentMatcher):
    """Scores by lookup: a whole message and each of its clauses get the given scores."""

    def __init__(self, scores: dict[str, dict[str, float]]) -> None:
        self.scores = scores

    def rank(self, masked: str) -> Ranking:
        key = " ".join(masked.lower().split())
        return Ranking(self.scores.get(key, {"overview": 0.3, "knowledge": 0.2}))  # type: ignore[arg-type]


def test_clauses_split_a_statement_from_its_request() -> None:
    seen: list[str] = []

    class Recording(FixedMatcher):
        def rank(self, masked: str) -> Ranking:
            seen.append(masked)
            return super().rank(masked)

    matcher = Recording({})
    assert len(matcher.clauses("ACCOUNT renews soon, advice?")) == 2
    assert seen == ["ACCOUNT renews soon", "advice"]
    seen.clear()
    assert matcher.clauses("what's ACCOUNT's health, and what do we do about it?")
    assert seen[-1] == "what do we do about it"  # the linking "and" dropped
    assert matcher.clauses("when does ACCOUNT renew?") == []  # one clause: the message


def _planner(scores: dict[str, dict[str, float]]) -> Planner:
    return Planner(FixedMatcher(scores), VOCABULARY, rules=SHIPPED)


def test_a_clause_asking_what_to_do_wins_over_the_field_the_message_names() -> None:
    whole = {"overview": 0.9, "renewals": 0.8, "actions": 0.6, "knowledge": 0.5}
    planner = _planner(
        {
            "account renews soon. what should we do?": whole,
            "account renews soon": {"overview": 0.9, "actions": 0.4},
            "what should we do": {"actions": 0.95, "overview": 0.5},
        }
    )
    clauses = planner.matcher.clauses("ACCOUNT renews soon. What should we do?")
    assert planner._clause_asks_action(clauses)
    assert not planner._asks_action(Ranking(whole))  # the whole message alone: a field


def test_a_field_question_with_a_statement_stays_a_field_question() -> None:
    planner = _planner(
        {
            "account renews soon": {"overview": 0.9, "actions": 0.4},
            "when exactly": {"overview": 0.7, "actions": 0.3},
        }
    )
    clauses = planner.matcher.clauses("ACCOUNT renews soon. When exactly?")
    assert not planner._clause_asks_action(clauses)


def test_a_weak_action_clause_is_not_a_request() -> None:
    planner = _planner({"thanks": {"actions": 0.3, "overview": 0.2}, "account": {"list": 0.8}})
    assert not planner._clause_asks_action(planner.matcher.clauses("ACCOUNT, thanks"))


@pytest.mark.parametrize(
    ("message", "tool", "arguments"),
    [
        (
            "we have 800 seats and 310 active, is that a problem?",
            "calculate_license_risk",
            {"licensed": 800, "active": 310},
        ),
        (
            "500 licensed, 240 active: risk?",
            "calculate_license_risk",
            {"licensed": 500, "active": 240},
        ),
        ("310 of 800 seats are active", "calculate_license_risk", {"licensed": 800, "active": 310}),
        (
            "1,260 active on 1,200 licensed seats",
            "calculate_license_risk",
            {"licensed": 1200, "active": 1260},
        ),
        ("a $4M ARR account, how many engagement leads?", "calculate_staffing", {"arr": 4e6}),
        ("how many blocks is 130 hours?", "calculate_blocks", {"hours": 130.0}),
        ("CSAT average of 4.5: how many points?", "calculate_csat_points", {"score": 4.5}),
        (
            "deployment 70, adoption 60, breadth 50, engagement 40, outcomes 30: health?",
            "calculate_health",
            {
                "components": {
                    "deployment": 70,
                    "adoption": 60,
                    "breadth": 50,
                    "engagement": 40,
                    "outcomes": 30,
                }
            },
        ),
    ],
)
def test_the_callers_numbers_make_a_calculator_step(
    message: str, tool: str, arguments: dict[str, object]
) -> None:
    step = calculation(message, SHIPPED)
    assert step is not None and step.name == tool
    assert step.arguments == arguments


@pytest.mark.parametrize(
    "message",
    [
        "How many licenses does Relecloud use?",
        "Which accounts renew in the next 90 days?",
        "accounts with health under 50",
        "What is the staffing ratio?",
        "how is the health score calculated?",
    ],
)
def test_no_numbers_of_its_own_no_calculator(message: str) -> None:
    assert calculation(message, SHIPPED) is None


def test_the_staffing_role_is_the_rules_own_word() -> None:
    role = SECOND.staffing.role if SECOND.staffing else None
    if role is None:
        pytest.skip("the second knowledge base states no staffing ratio")
    step = calculation(f"a $6M ARR book: how many {role}s?", SECOND)
    assert step is not None and step.name == "calculate_staffing"


def test_money_reads_scales() -> None:
    assert money("$4M ARR and $1.5 million and 250k ARR and $2,500,000") == [
        4e6,
        1.5e6,
        250e3,
        2.5e6,
    ]


def _slots(message: str) -> Entities:
    entities = Entities()
    parse_slots(message, VOCABULARY, entities)
    return entities


@pytest.mark.parametrize(
    ("message", "sort", "descending", "limit"),
    [
        ("which of those is in the worst shape?", "health", False, 1),
        ("which of them is the least healthy?", "health", False, 1),
        ("which of those has the highest ARR?", "arr", True, 1),
        ("which of those renews first?", "renewal_date", False, 1),
        ("which accounts have the lowest health?", "health", False, None),
    ],
)
def test_a_superlative_sorts_and_picks_one(
    message: str, sort: str, descending: bool, limit: int | None
) -> None:
    entities = _slots(message)
    assert (entities.sort, entities.descending, entities.limit) == (sort, descending, limit)
    assert entities.bands == []  # "least healthy" is not the healthy bands


def test_which_of_those_renew_first_keeps_the_order_of_them_all() -> None:
    assert _slots("which of those renew first?").limit is None


def test_scoring_is_a_health_threshold() -> None:
    entities = _slots("accounts scoring below 60 but at least 40")
    assert entities.thresholds == {"health_below": 60, "health_at_least": 40}


def test_the_ae_there_refers_to_the_one_account_listed() -> None:
    state = State(rows=[Row("ACC-1", "One")])
    assert refer("who is the AE there?", state).account_ids == ("ACC-1",)
    assert refer("is there a template for this?", state).kind == "none"


RESOLVER = EntityResolver([Owner("ACC-1", "Acme Widgets", "Ann Lee", "Bo Park", None)])
TODAY = dt.date(2026, 11, 1)
WHOLE = {"overview": 0.9, "renewals": 0.8, "actions": 0.6, "knowledge": 0.5}


def test_the_plan_of_a_statement_and_a_request_is_the_action_list() -> None:
    planner = _planner(
        {
            "account renews soon. what should we do?": WHOLE,
            "account renews soon": {"overview": 0.9, "actions": 0.4},
            "what should we do": {"actions": 0.95, "overview": 0.5},
        }
    )
    plan = planner.plan(
        "Acme Widgets renews soon. What should we do?", Principal(), RESOLVER, TODAY
    )
    assert (plan.scope, plan.intent) == ("actions", "actions")
    assert plan.account is not None and plan.account.id == "ACC-1"


def test_the_plan_of_a_field_question_is_that_field() -> None:
    planner = _planner({"when does account renew?": WHOLE})
    plan = planner.plan("When does Acme Widgets renew?", Principal(), RESOLVER, TODAY)
    assert plan.scope == "account" and plan.fields == ("renewal_date",)


def test_the_plan_of_the_callers_numbers_is_the_calculator() -> None:
    plan = _planner({}).plan(
        "we have 800 seats and 310 active, is that a problem?", Principal(), RESOLVER, TODAY
    )
    assert plan.scope == "calculate"
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("calculate_license_risk", {"licensed": 800, "active": 310})
    ]


def test_a_count_of_a_filtered_set_is_a_portfolio_question() -> None:
    """'How many customers are in the Save quadrant?' is answered from the accounts even
    when the knowledge intent scores a little higher (the quadrant and the count decide)."""
    scores = {"knowledge": 0.53, "expansion": 0.51, "list": 0.45}
    planner = _planner({"how many customers are in the save quadrant?": scores})
    plan = planner.plan(
        "How many customers are in the Save quadrant?", Principal(), RESOLVER, TODAY
    )
    assert plan.scope == "portfolio"
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("expansion_targets", {"quadrant": "Save"})
    ]
    guide = _planner({"how many customers should a csm handle?": scores})
    question = "How many customers should a CSM handle?"
    assert guide.plan(question, Principal(), RESOLVER, TODAY).scope == "knowledge"


def test_the_accounts_discussed_are_kept_scoped_and_stored() -> None:
    state = State().about("ACC-1").about("ACC-2").about("ACC-1")
    assert state.recent == ("ACC-2", "ACC-1") and state.account_id == "ACC-1"
    assert refer("compare them", state) == Reference(("ACC-2", "ACC-1"), "several")
    assert refer("who is their CSM?", state) == Reference(("ACC-1",), "one")
    assert State.load([{"state": state.dump()}]).recent == ("ACC-2", "ACC-1")
    seller = Principal("s", "csm", frozenset({"ACC-1"}))
    assert state.scoped(seller).recent == ("ACC-1",)  # never what the caller may not see
    assert refer("compare them", state.scoped(seller)).kind == "one"


def test_an_order_asked_for_lists_the_accounts_in_that_order() -> None:
    """'Who are our biggest customers?' scores as expansion (the quadrants), but asks for the
    accounts by ARR."""
    planner = _planner({"who are our biggest customers?": {"expansion": 0.8, "knowledge": 0.3}})
    plan = planner.plan("Who are our biggest customers?", Principal(), RESOLVER, TODAY)
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("list_accounts", {"sort": "arr", "descending": True})
    ]


def test_a_module_named_narrows_the_license_risk_list() -> None:
    resolver = EntityResolver(
        [Owner("ACC-1", "Acme Widgets", "Ann Lee", "Bo Park", None)], ["security", "search"]
    )
    question = "which accounts have high license risk on the security module?"
    planner = _planner({question: {"licenses": 0.8, "knowledge": 0.4}})
    plan = planner.plan(question, Principal(), resolver, TODAY)
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("license_utilization", {"risk": ["High"], "module": "security"})
    ]


def _ruled(scores: dict[str, dict[str, float]]) -> Planner:
    """A planner whose vocabulary (severities included) is the shipped rules'."""
    return Planner(FixedMatcher(scores), from_rules(SHIPPED), rules=SHIPPED)


def test_incidents_and_nps_across_the_accounts_are_portfolio_filters() -> None:
    sev1 = "Which accounts had sev1 incidents in the last month?"
    plan = _ruled({sev1.lower(): {"incidents": 0.84, "list": 0.47, "knowledge": 0.3}}).plan(
        sev1, Principal(), RESOLVER, TODAY
    )
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("list_accounts", {"incident_severities": ["sev1"], "incidents_since": "2026-10-01"})
    ]
    negative = "Which customers have a negative NPS?"
    scores = {"surveys": 0.56, "knowledge": 0.5, "list": 0.44}  # knowledge beats "list"
    plan = _ruled({negative.lower(): scores}).plan(negative, Principal(), RESOLVER, TODAY)
    assert [(t.name, t.arguments) for t in plan.tools] == [("list_accounts", {"nps_below": 0})]
    # the renewal window is the window; the NPS is of the usual twelve months
    both = "Which accounts renewing this quarter have a negative NPS?"
    plan = _ruled({both.lower(): {"renewals": 0.7, "knowledge": 0.4}}).plan(
        both, Principal(), RESOLVER, TODAY
    )
    step = plan.tools[0]
    assert step.name == "renewals_due" and step.arguments["nps_below"] == 0
    assert step.arguments["renewal_to"] == "2026-12-31" and "surveys_since" not in step.arguments


def test_a_total_over_a_renewal_window_is_the_renewals_list() -> None:
    question = "What's the total ARR renewing in Q1?"
    scores = {"renewals": 0.52, "overview": 0.51, "list": 0.49, "knowledge": 0.46}
    plan = _ruled({question.lower(): scores}).plan(question, Principal(), RESOLVER, TODAY)
    assert plan.entities.aggregate and plan.tools[0].name == "renewals_due"
    arguments = plan.tools[0].arguments
    assert (arguments["renewal_from"], arguments["renewal_to"]) == ("2027-01-01", "2027-03-31")


def test_how_to_handle_a_set_adds_the_playbooks_guidance() -> None:
    question = "How should we handle red accounts?"
    scores = {"list": 0.63, "actions": 0.61, "knowledge": 0.4}
    plan = _ruled({question.lower(): scores}).plan(question, Principal(), RESOLVER, TODAY)
    assert plan.tools[0].arguments == {"bands": ["red"]}
    # one band: the rules' guidance query for it (the question itself for no signal)
    red = next(s for s in SHIPPED.signals if s.when.band_in and "red" in s.when.band_in)
    assert plan.knowledge_queries == [red.guidance.query]
    wide = "How should we handle at-risk accounts?"
    plan = _ruled({wide.lower(): scores}).plan(wide, Principal(), RESOLVER, TODAY)
    assert len(plan.tools[0].arguments["bands"]) > 1 and plan.knowledge_queries == [wide]
    listing = "Which accounts are red?"
    plan = _ruled({listing.lower(): {"list": 0.7, "actions": 0.4}}).plan(
        listing, Principal(), RESOLVER, TODAY
    )
    assert plan.knowledge_queries == []


def test_deals_across_the_accounts_are_the_pipeline() -> None:
    window = "Which opportunities close this quarter?"
    plan = _ruled({window.lower(): {"renewals": 0.51, "opportunity": 0.47, "knowledge": 0.3}}).plan(
        window, Principal(), RESOLVER, TODAY
    )
    assert (plan.scope, plan.intent) == ("portfolio", "opportunity")
    assert [(t.name, t.arguments) for t in plan.tools] == [
        ("pipeline", {"close_from": "2026-11-01", "close_to": "2026-12-31"})
    ]
    gap = "Which deals are missing a champion?"
    plan = _ruled({gap.lower(): {"opportunity": 0.64, "knowledge": 0.3}}).plan(
        gap, Principal(), RESOLVER, TODAY
    )
    assert [(t.name, t.arguments) for t in plan.tools] == [("pipeline", {"missing": "Champion"})]
    biggest = "What are the biggest deals in the pipeline?"
    plan = _ruled({biggest.lower(): {"opportunity": 0.3, "knowledge": 0.2}}).plan(
        biggest, Principal(), RESOLVER, TODAY
    )
    assert plan.tools[0].arguments == {"sort": "amount", "descending": True}
    how = "How do we build pipeline with partners?"
    plan = _ruled({how.lower(): {"knowledge": 0.53, "opportunity": 0.2, "list": 0.1}}).plan(
        how, Principal(), RESOLVER, TODAY
    )
    assert plan.scope == "knowledge"


def test_the_first_n_and_only_the_x_ones_refer_to_the_result_set() -> None:
    rows = [Row(f"ACC-{n}", f"Account {n}") for n in range(1, 6)]
    state = State(rows=rows)
    assert refer("compare the first two", state) == Reference(("ACC-1", "ACC-2"), "several")
    assert refer("the last 2", state) == Reference(("ACC-4", "ACC-5"), "several")
    assert refer("only the enterprise ones", state).account_ids == tuple(r.account_id for r in rows)
    assert refer("just the red accounts", state).kind == "several"
    assert refer("compare the first two", State(rows=rows[:1])).kind != "several"
    # a filter named on the set narrows it ("just the enterprise ones")
    question = "Only the enterprise ones"
    planner = Planner(
        FixedMatcher({question.lower(): {"list": 0.3, "knowledge": 0.4}}),
        Vocabulary(
            bands=("red",), healthy_bands=(), quadrants=(), risk_levels=(),
            segments=("enterprise",),
        ),
        rules=SHIPPED,
    )  # fmt: skip
    plan = planner.plan(question, Principal(), RESOLVER, TODAY, state)
    assert plan.tools[0].arguments["segment"] == "enterprise"
    assert plan.tools[0].arguments["account_ids"] == [r.account_id for r in rows]


def test_a_pick_on_a_deal_list_picks_deals() -> None:
    rows = [Row("ACC-1", "Acme", ("OPP-001",)), Row("ACC-2", "Bolt", ("OPP-002",))]
    state = State("opportunity", rows=rows)
    question = "Which of those is the biggest?"
    plan = _ruled({question.lower(): {"list": 0.5, "knowledge": 0.3}}).plan(
        question, Principal(), RESOLVER, TODAY, state
    )
    assert [(t.name, t.arguments) for t in plan.tools] == [
        (
            "pipeline",
            {
                "sort": "amount",
                "descending": True,
                "limit": 1,
                "opportunity_ids": ["OPP-001", "OPP-002"],
            },
        )
    ]


def test_the_topic_a_filter_names_is_not_what_the_question_asks() -> None:
    """'How should we handle accounts with sev1 incidents?' scores highest as incidents (the
    filter's topic); among the rest it asks what to do, so the guidance comes with the set."""
    how = "How should we handle accounts with sev1 incidents?"
    scores = {"incidents": 0.77, "actions": 0.5, "list": 0.48, "knowledge": 0.46}
    plan = _ruled({how.lower(): scores}).plan(how, Principal(), RESOLVER, TODAY)
    assert plan.tools[0].arguments == {"incident_severities": ["sev1"]}
    assert plan.knowledge_queries == [how]
    which = "Which accounts had sev1 incidents?"
    scores = {"incidents": 0.84, "list": 0.47, "actions": 0.3, "knowledge": 0.3}
    plan = _ruled({which.lower(): scores}).plan(which, Principal(), RESOLVER, TODAY)
    assert plan.knowledge_queries == []


def test_a_month_is_not_an_unknown_account_and_which_accounts_with_a_filter_lists() -> None:
    deals = "Which deals close in January?"
    plan = _ruled({deals.lower(): {"opportunity": 0.4, "knowledge": 0.45, "list": 0.2}}).plan(
        deals, Principal(), RESOLVER, TODAY
    )
    assert plan.clarify is None
    assert plan.tools[0].arguments == {"close_from": "2027-01-01", "close_to": "2027-01-31"}
    which = "Which SMB customers have detractors?"
    scores = {"knowledge": 0.46, "list": 0.44, "surveys": 0.43}  # knowledge a little ahead
    vocabulary = from_rules(SHIPPED, ("smb", "enterprise"))
    plan = Planner(FixedMatcher({which.lower(): scores}), vocabulary, rules=SHIPPED).plan(
        which, Principal(), RESOLVER, TODAY
    )
    assert plan.tools[0].arguments == {"segment": "smb", "detractors": True}


def test_a_policy_for_a_set_is_a_knowledge_question() -> None:
    """'What's the discount for multi-year renewals?': the renewals intent leads, but the set
    is only what the thing asked about is for; 'Which renewals are due?' still lists."""
    scores = {"renewals": 0.70, "knowledge": 0.62, "overview": 0.59}
    policy = "What's the discount for multi-year renewals?"
    plan = _ruled({policy.lower(): scores}).plan(policy, Principal(), RESOLVER, TODAY)
    assert plan.scope == "knowledge" and plan.tools == []
    listing = "Which renewals are due?"
    plan = _ruled({listing.lower(): scores}).plan(listing, Principal(), RESOLVER, TODAY)
    assert plan.scope == "portfolio" and plan.tools[0].name == "renewals_due"


def test_a_license_level_named_beside_modules_is_the_risk_filter() -> None:
    """The second knowledge base's levels are adjectives ('Exposed', 'Watch'): 'which
    modules are exposed?' filters on that level across the accounts."""
    vocabulary = from_rules(SECOND)
    question = "Which modules are exposed?"
    scores = {"licenses": 0.59, "knowledge": 0.44}
    plan = Planner(FixedMatcher({question.lower(): scores}), vocabulary, rules=SECOND).plan(
        question, Principal(), RESOLVER, TODAY
    )
    assert plan.tools[0].name == "license_utilization"
    assert plan.tools[0].arguments["risk"] == ["Exposed"]
    entities = Entities()
    parse_slots("Is the demo exposed to the press?", vocabulary, entities)
    assert entities.risk == []  # no module, license or seat named: an ordinary word


def test_what_to_do_about_them_lists_the_set_with_the_guidance_for_what_it_shares() -> None:
    rows = [Row("ACC-1", "Acme Widgets", ("Save", "red")), Row("ACC-2", "Beta", ("Save", "red"))]
    resolver = EntityResolver(
        [
            Owner("ACC-1", "Acme Widgets", "Ann Lee", "Bo Park", None),
            Owner("ACC-2", "Beta", "Ann Lee", "Bo Park", None),
        ]
    )
    state = State(intent="expansion", rows=rows)
    question = "how should we handle those?"
    scores = {"actions": 0.6, "licenses": 0.62, "list": 0.3, "knowledge": 0.3}
    plan = _ruled({question: scores}).plan(question, Principal(), resolver, TODAY, state)
    assert plan.tools[0].name == "list_accounts"  # not the license list the ranking leads with
    assert set(plan.tools[0].arguments["account_ids"]) == {"ACC-1", "ACC-2"}
    save = next(s for s in SHIPPED.signals if s.when.quadrant_in == ["Save"])
    assert plan.knowledge_queries == [save.guidance.query]


def test_the_knowledge_bases_word_for_a_detractor_is_the_detractor_filter() -> None:
    """The second knowledge base calls detractors 'critics' (its rules' names): 'which
    accounts have critics?' filters on detractors there, and not with the shipped rules."""
    entities = Entities()
    parse_slots("Which accounts have critics in their surveys?", from_rules(SECOND), entities)
    assert entities.detractors
    shipped = Entities()
    parse_slots("Which accounts have critics in their surveys?", from_rules(SHIPPED), shipped)
    assert not shipped.detractors
    plain = Entities()
    parse_slots("Which accounts have detractors?", from_rules(SHIPPED), plain)
    assert plain.detractors
