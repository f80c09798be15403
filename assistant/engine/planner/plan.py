"""The typed plan of one message: what it asks (intent), what it names (entities), the tool
calls to make with their arguments, the knowledge queries, and a question back when unsure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.engine.account_names import AccountName

Intent = Literal[
    "knowledge",
    "overview",
    "health",
    "licenses",
    "renewals",
    "surveys",
    "incidents",
    "expansion",
    "opportunity",
    "actions",
    "list",
    "compare",
    "calculate",
]
TOPICS: tuple[Intent, ...] = (
    "overview",
    "health",
    "licenses",
    "renewals",
    "surveys",
    "incidents",
    "expansion",
    "opportunity",
)
Scope = Literal[
    "knowledge", "account", "portfolio", "compare", "actions", "identity", "clarify", "calculate"
]


@dataclass(frozen=True)
class Person:
    name: str
    role: Literal["csm", "account_exec", "partner"]


@dataclass(frozen=True)
class DateRange:
    """Inclusive window of dates the message names ("next two months", "Q1", "before March")."""

    start: dt.date
    end: dt.date
    phrase: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass
class Entities:
    accounts: list[AccountName] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)
    dates: DateRange | None = None
    thresholds: dict[str, int] = field(default_factory=dict)  # health_below, health_at_least
    # "ARR over $1M" (arr_at_least, arr_below), "more than 5 incidents" (incidents_at_least)
    figures: dict[str, int] = field(default_factory=dict)
    bands: list[str] = field(default_factory=list)
    segment: str | None = None
    industry: str | None = None  # "retail accounts": an industry of the account data
    quadrant: str | None = None
    risk: list[str] = field(default_factory=list)
    limit: int | None = None
    sort: str | None = None
    descending: bool | None = None
    months: int | None = None
    mine: bool = False  # "my accounts"
    focus: bool = False  # "what should I focus on?": the caller's at-risk accounts
    which: bool = False  # asks which accounts ("which SMB customers have detractors?")
    plural: bool = False  # about a set of accounts ("which accounts", "where are we")
    thing_of_set: bool = False  # asks for one thing of a set ("the discount for renewals")
    defines: bool = False  # asks what a label means ("which customers count as healthy?")
    trend: str | None = None  # "declining health": the score's trend
    partnered: bool | None = None  # "no partner" -> False
    severities: list[str] = field(default_factory=list)  # "sev1 incidents"
    nps_below: int | None = None  # "a negative NPS" -> 0
    detractors: bool = False  # "accounts with detractors"
    pipeline: bool = False  # about the deals across the accounts ("which opportunities ...")
    missing_field: str | None = None  # "deals missing a champion": that field's label
    aggregate: bool = False  # a total or mean over the set ("the average health of ...")
    # "what's our average NPS?": a figure over the whole portfolio (the caller's accounts)
    portfolio_figure: bool = False
    counted: bool = False  # asks how many accounts are in a set ("how many customers are red")
    framework: str | None = None  # the qualification framework named (an alias resolves)
    # "which CSM has the most red accounts?", "ARR by segment": a breakdown of the set
    group_by: str | None = None
    group_sort: str = "count"  # count, arr or health
    group_descending: bool = True
    group_limit: int | None = None
    masked: str = ""  # the message with its entities replaced by placeholders

    @property
    def about_incidents(self) -> bool:
        """A filter or order on support incidents ("sev1 incidents", "the most incidents")."""
        return (
            bool(self.severities)
            or self.sort == "incidents"
            or "incidents_at_least" in self.figures
        )

    @property
    def about_surveys(self) -> bool:
        """A filter or order on survey answers ("a negative NPS", "detractors")."""
        return self.nps_below is not None or self.detractors or self.sort == "nps"


@dataclass(frozen=True)
class ToolStep:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Clarify:
    question: str
    candidates: tuple[str, ...] = ()
    declined: bool = False  # an unknown name: the question is answered with "not found"


@dataclass
class Plan:
    intent: Intent
    scope: Scope
    entities: Entities
    scores: dict[str, float] = field(default_factory=dict)
    tools: list[ToolStep] = field(default_factory=list)
    knowledge_queries: list[str] = field(default_factory=list)
    clarify: Clarify | None = None
    targets: list[AccountName] = field(default_factory=list)  # the accounts it is about
    restrict_to: list[str] | None = None  # account ids of a follow-up on a result set
    follow_up: str | None = None  # what of the previous turn it builds on
    identity: str | None = None  # "I'm <name>": the caller's name for the conversation
    fields: tuple[str, ...] = ()  # record fields asked for alone ("who is their CSM?")

    @property
    def account(self) -> AccountName | None:
        return self.targets[0] if len(self.targets) == 1 else None

    def summary(self) -> dict[str, Any]:
        """The plan as JSON-able data (stored with the turn, given to the model)."""
        e = self.entities
        return {
            "intent": self.intent,
            "scope": self.scope,
            "accounts": [{"id": a.id, "name": a.name} for a in self.targets],
            "people": [{"name": p.name, "role": p.role} for p in e.people],
            "modules": e.modules,
            "services": e.services,
            "opportunities": e.opportunities,
            "dates": (
                {"from": e.dates.start.isoformat(), "to": e.dates.end.isoformat()}
                if e.dates
                else None
            ),
            "thresholds": e.thresholds,
            "tools": [{"name": t.name, "arguments": t.arguments} for t in self.tools],
            "knowledge_queries": self.knowledge_queries,
            "follow_up": self.follow_up,
            "fields": list(self.fields),
        }
