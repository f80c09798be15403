"""Intent routing and account name resolution (ids, partial names, typos, ambiguity)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from assistant.engine.account_names import AccountName, NameResolver
from assistant.engine.router import route
from assistant.rules import load_rules
from tests.accounts.expected import DATA
from tests.conftest import REPO

with (DATA / "accounts.csv").open(newline="", encoding="utf-8") as _fh:
    NAMES = [AccountName(r["id"], r["name"]) for r in csv.DictReader(_fh)]
RESOLVER = NameResolver(NAMES)
RULES = load_rules(REPO / "knowledge" / "rules.yaml")


@pytest.mark.parametrize(
    ("message", "status", "ids"),
    [
        ("How is Northwind Traders doing?", "found", ["ACC-001"]),
        ("how is nortwind tradrs doing", "found", ["ACC-001"]),  # typos
        ("licenses at woodgrve bank", "found", ["ACC-005"]),
        ("Tell me about Relecloud", "found", ["ACC-018"]),  # one-word name
        ("What is the NPS of Contoso Pharma?", "found", ["ACC-021"]),  # partial last word
        ("Kestrel's renewal", "found", ["ACC-033"]),  # first word + possessive
        ("the fourth coffee account", "found", ["ACC-017"]),
        ("incidents for acc-005", "found", ["ACC-005"]),  # id, any case
        ("How is the Northwind account doing?", "ambiguous", ["ACC-001", "ACC-003"]),
        ("what about Contoso", "ambiguous", ["ACC-002", "ACC-021"]),
        ("Fabrikam next steps", "ambiguous", ["ACC-004", "ACC-029"]),
        ("health of ACC-777", "unknown", []),
        ("How do we onboard a customer?", "none", []),
        ("what is the best way to renew", "none", []),  # no false match on ordinary words
        ("data analytics for blue teams worldwide", "none", []),
    ],
)
def test_name_resolution(message: str, status: str, ids: list[str]) -> None:
    match = RESOLVER.resolve(message)
    assert match.status == status
    assert sorted(a.id for a in match.accounts) == ids


def test_resolution_only_knows_visible_accounts() -> None:
    scoped = NameResolver([a for a in NAMES if a.id == "ACC-003"])
    assert scoped.resolve("How is Northwind doing?").account == AccountName(
        "ACC-003", "Northwind Logistics"
    )
    assert scoped.resolve("Woodgrove Bank health").status == "none"
    assert scoped.suggest("Woodgrove Bank") == ()  # no suggestion from outside the scope


@pytest.mark.parametrize(
    ("message", "intent", "account", "extra"),
    [
        ("How is Northwind Traders doing?", "overview", "ACC-001", {}),
        ("What is Woodgrove Bank's health score?", "health", "ACC-005", {}),
        ("Is Contoso Health at risk of churn?", "health", "ACC-002", {}),
        ("health trend of Proseware over the last 6 months", "health", "ACC-014", {"months": 6}),
        ("Where are we under-deployed?", "licenses", None, {"risk": ("High",)}),
        ("How many licenses does Fourth Coffee use?", "licenses", "ACC-017", {}),
        (
            "Which accounts renew in the next 90 days with red health?",
            "renewals",
            None,
            {"days": 90, "bands": ("red",)},
        ),
        (
            "renewals in the next 6 months for at-risk enterprise accounts",
            "renewals",
            None,
            {"days": 180, "bands": ("red", "orange"), "segment": "enterprise"},
        ),
        ("When does Kestrel Payments renew?", "overview", "ACC-033", {}),
        ("NPS and CSAT trend for Contoso Health", "surveys", "ACC-002", {}),
        ("Any sev1 incidents at Woodgrove Bank?", "incidents", "ACC-005", {}),
        ("Which accounts are expansion targets?", "expansion", None, {}),
        ("Which accounts are in the Save quadrant?", "expansion", None, {"quadrant": "Save"}),
        ("Is Woodgrove Bank an expansion target?", "expansion", "ACC-005", {}),
        (
            "What is missing in the MEDDICC for OPP-007?",
            "opportunity",
            None,
            {"opportunity_id": "OPP-007"},
        ),
        ("Who is the champion on the Northwind Traders deal?", "opportunity", "ACC-001", {}),
        ("Which accounts are at risk?", "health", None, {"bands": ("red", "orange")}),
        ("List our enterprise accounts", "overview", None, {"segment": "enterprise"}),
        ("What should I do about Relecloud's health?", "health", "ACC-018", {"guidance": True}),
        ("Tailspin Toys licenses: how do we fix this?", "licenses", "ACC-006", {"guidance": True}),
        ("How is the health score calculated?", "knowledge", None, {}),
        ("What is license risk?", "knowledge", None, {}),
        ("What does a renewals manager do?", "knowledge", None, {}),
    ],
)
def test_routing(message: str, intent: str, account: str | None, extra: dict[str, object]) -> None:
    plan = route(message, RESOLVER, RULES)
    assert plan.intent == intent
    assert (plan.account.id if plan.account else None) == account
    for key, value in extra.items():
        assert getattr(plan, key) == value, key


def test_unknown_account_gets_suggestions() -> None:
    plan = route("How is Wingtop Toyz doing?", RESOLVER, RULES)
    assert plan.match.status == "unknown" and plan.match.mention == "Wingtop Toyz"
    assert plan.match.suggestions[0].name == "Wingtip Toys"
    assert route("How is Globex doing?", RESOLVER, RULES).match.status == "unknown"


def test_context_account_is_used_for_account_questions_only() -> None:
    context = AccountName("ACC-002", "Contoso Health")
    assert route("and its licenses?", RESOLVER, RULES, context).account == context
    assert route("What is the NPS?", RESOLVER, RULES, context).account == context
    assert (
        route("How is the health score calculated?", RESOLVER, RULES, context).intent == "knowledge"
    )
    assert route("What is the onboarding timeline?", RESOLVER, RULES, context).intent == "knowledge"
    assert (
        route("Which accounts renew in the next 30 days?", RESOLVER, RULES, context).account is None
    )
    named = route("How is Woodgrove Bank doing?", RESOLVER, RULES, context)
    assert named.account is not None and named.account.id == "ACC-005"  # the message wins


def test_knowledge_questions_stay_knowledge_questions() -> None:
    """The knowledge suite must not be hijacked by the account router."""
    suite = yaml.safe_load(Path(REPO / "eval/suites/knowledge.yaml").read_text(encoding="utf-8"))
    routed = {c["ask"]: route(c["ask"], RESOLVER, RULES).intent for c in suite["cases"]}
    hijacked = {ask: intent for ask, intent in routed.items() if intent != "knowledge"}
    # a portfolio question: answered with the 2x2 *and* the playbook's sentence (test_chat)
    assert hijacked == {"Which accounts are the best expansion targets?": "expansion"}
