"""Route a message: which account intent it is (or a knowledge question), about which
account, with which parameters (days, bands, segment, months, risk, quadrant, opportunity).

Deterministic keyword rules, checked in priority order; the account comes from the message
(ids, names, typos: `account_names`), else from the request's `account_id` or the previous
turn. A message about no account is a portfolio question when it asks about accounts in
general ("which accounts...", "where are we...") and a knowledge question otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from assistant.engine.account_names import AccountName, NameMatch, NameResolver
from assistant.rules.models import Rules

Intent = Literal[
    "overview",
    "health",
    "licenses",
    "renewals",
    "surveys",
    "incidents",
    "expansion",
    "opportunity",
    "knowledge",
]
PORTFOLIO_INTENTS = frozenset({"licenses", "renewals", "expansion", "health", "overview"})

_I = re.I
INTENT_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        "opportunity",
        re.compile(
            r"\bopp-?\d{3,}|meddicc|opportunit|\bdeals?\b|economic buyer|\bchampion|compelling "
            r"event|decision (criteria|process)|pipeline",
            _I,
        ),
    ),
    (
        "renewals",
        re.compile(
            r"\brenew(als?|ing|s)?\b.*\b(next|within|coming)\b|\bwhich "
            r"accounts?\b.*\brenew|\brenewals\b|\bup for renewal",
            _I,
        ),
    ),
    (
        "licenses",
        re.compile(
            r"licen[cs]|under-?\s?deploy|over-?\s?deploy|utili[sz]|unused|"
            r"\bseats?\b|shelfware|\bdeployed\b|true-?up",
            _I,
        ),
    ),
    (
        "surveys",
        re.compile(
            r"\bnps\b|\bcsat\b|survey|promoter|detractor|sentiment|"
            r"satisf|net promoter",
            _I,
        ),
    ),
    ("incidents", re.compile(r"incident|\btickets?\b|\bsev ?[1-4]\b|outage|support cases?", _I)),
    (
        "expansion",
        re.compile(
            r"expan|white ?space|up-?sell|cross-?sell|2x2|penetration|"
            r"quadrant|growth (targets?|segment)",
            _I,
        ),
    ),
    (
        "health",
        re.compile(
            r"health|churn|at[- ]risk|\brisky?\b|\bscore|\btrend|"
            r"\bdeclin|\bimprov",
            _I,
        ),
    ),
    (
        "overview",
        re.compile(
            r"overview|\barr\b|revenue|\brenew|\bcsm\b|account exec|\bae\b|"
            r"partner|\bstage\b|employees|who (owns|manages|is the)|tell me "
            r"about|summary|summari[sz]e|contract|doing|how are things|"
            r"status|update on|snapshot|\baccounts\b",
            _I,
        ),
    ),
)
PORTFOLIO = re.compile(
    r"\b(which|what|list|show|all|any|our|my)\s+(\w+\s+){0,2}(accounts|customers)\b|"
    r"\bwhere (are|do) we\b|\b(my|our) (portfolio|book)\b|\bwho renews\b",
    _I,
)
DEFINITION = re.compile(  # "what is X" defines; "what is the X" asks about an account
    r"^\s*(what (is|are) (an? )?(?!the\b)|what does|what do .* mean"
    r"|how (is|are|do|does|should) (we |you |the )?\w+ (\w+ )?(calculated|computed|defined|"
    r"measured|scored|work)|define\b|explain\b|why\b)",
    _I,
)
GUIDANCE = re.compile(
    r"what (should|can|do) (i|we) do|what to do|how (do|can|should|could) (i|we) (fix|improve|"
    r"turn|save|recover|address|handle|raise|get|grow|expand)|next steps?|recommend|action "
    r"plan|how to (fix|improve|save)|what do you suggest|advice|playbook",
    _I,
)
MENTION_PATTERNS = (
    re.compile(r"\bhow(?:'s| is| are)\s+(?:the\s+)?(.+?)\s+(?:account\s+)?doing\b", _I),
    re.compile(r"\bthe\s+(.+?)\s+account\b", _I),
    re.compile(r"\b(?:about|for|of|at|on)\s+([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,3})"),
)
# fmt: off
NOT_NAMES = frozenset({
    "the", "a", "an", "our", "my", "this", "that", "lumen", "data", "platform", "genai", "we",
    "i", "you", "it", "them", "customers", "accounts", "account", "partners", "us",
})
# fmt: on
DAYS = re.compile(
    r"\b(?:next|within|in|coming|upcoming)\s+(\d{1,4})\s*(days?|weeks?|months?)\b", _I
)
MONTHS = re.compile(r"\b(?:last|past|over|previous)\s+(\d{1,2})\s*months?\b", _I)
OPPORTUNITY_ID = re.compile(r"\bopp-?(\d{3,})\b", _I)
SEGMENTS = (
    ("enterprise", r"enterprise"),
    ("mid_market", r"mid[- _]?market"),
    ("smb", r"\bsmb\b|small business"),
)


def _name_pattern(name: str) -> str:
    """A rules name ("Fix adoption") as a word pattern; a verb-like name is not taken when
    a preposition or object follows ("expand into", "save the")."""
    words = r"[- ]".join(re.escape(w) for w in name.lower().split())
    return rf"\b{words} quadrant|\b{words}\b(?! (?:into|our|the))"


class Parameters(TypedDict):
    days: int
    bands: tuple[str, ...] | None
    segment: str | None
    months: int | None
    risk: tuple[str, ...] | None
    quadrant: str | None
    opportunity_id: str | None
    guidance: bool


@dataclass(frozen=True)
class Route:
    intent: Intent
    match: NameMatch = field(default_factory=lambda: NameMatch("none"))
    account: AccountName | None = None
    days: int = 90
    bands: tuple[str, ...] | None = None
    segment: str | None = None
    months: int | None = None
    risk: tuple[str, ...] | None = None
    quadrant: str | None = None
    opportunity_id: str | None = None
    guidance: bool = False


def detect_intent(message: str) -> Intent | None:
    return next((intent for intent, rule in INTENT_RULES if rule.search(message)), None)


def mention_in(message: str) -> str | None:
    """Words that look like an account name, for a reply when no account matched."""
    for pattern in MENTION_PATTERNS:
        found = pattern.search(message)
        if not found:
            continue
        words = [w for w in found.group(1).strip(" ?.!,'\"").split() if not _is_term(w)]
        if words:
            return " ".join(words)
    return None


def _is_term(word: str) -> bool:
    """Acronyms and product words are not account names (ARR, NPS, Lumen, ...)."""
    bare = word.strip("?.!,'\"").removesuffix("'s")
    return bare.lower() in NOT_NAMES or (bare.isupper() and len(bare) <= 6)


def route(
    message: str, resolver: NameResolver, rules: Rules, context: AccountName | None = None
) -> Route:
    """`context`: the account of the request (`account_id`) or of the previous turn; band,
    level and quadrant names come from the business rules."""
    match = resolver.resolve(message)
    rest = _without(message, match.mention)  # "Contoso Health" is a name, not a health question
    intent = detect_intent(rest)
    params = _parameters(rest, intent, rules)
    if match.status in ("ambiguous", "unknown"):
        return Route(intent or "overview", match, **params)
    account = match.account
    portfolio = bool(PORTFOLIO.search(message))
    follows = intent is not None and not portfolio and not DEFINITION.search(message)
    if account is None and context is not None and follows:
        account = context
    if account is not None:
        if intent is None or intent == "renewals":
            intent = "overview"  # "when does Northwind renew" is about that account
        return Route(intent, match, account, **params)
    if intent == "opportunity" and params["opportunity_id"]:
        return Route(intent, match, None, **params)
    renewals = intent == "renewals" and not DEFINITION.search(message)
    if intent in PORTFOLIO_INTENTS and (portfolio or renewals):
        return Route(intent, match, None, **params)
    if intent is not None and not DEFINITION.search(message):
        mention = mention_in(message)
        if mention:
            unknown = NameMatch("unknown", mention=mention, suggestions=resolver.suggest(mention))
            return Route(intent, unknown, None, **params)
    return Route("knowledge", match)


def _without(message: str, mention: str | None) -> str:
    if not mention:
        return message
    words = r"\W+".join(re.escape(word) for word in mention.split())
    return re.sub(rf"\b{words}(?:['’]s)?\b", " ", message, count=1, flags=re.I)


def _parameters(message: str, intent: Intent | None, rules: Rules) -> Parameters:
    lowered = message.lower()
    days = DAYS.search(message)
    months = MONTHS.search(message)
    names = rules.band_names
    bands = tuple(b for b in names if re.search(rf"\b{re.escape(b.lower())}\b", lowered))
    below = rf"below {rules.health.healthy_from}\b"
    if not bands and re.search(rf"at[- ]risk|unhealthy|\brisky\b|{below}", lowered):
        bands = tuple(b.name for b in rules.health.bands if not b.healthy)
    elif not bands and re.search(r"\bhealthy\b", lowered):
        bands = tuple(b.name for b in rules.health.bands if b.healthy)
    levels = rules.licenses.levels
    risk: tuple[str, ...] | None = None
    if re.search(r"over-?\s?deploy|compliance|true-?up", lowered):
        risk = (rules.licenses.over_deployed,)
    elif re.search(r"under-?\s?deploy|unused|shelfware|at risk", lowered):
        risk = (levels[0].name,)
    else:
        risk = next(
            (
                (level.name,)
                for level in levels[:-1]  # "low" says low usage as often as low risk
                if re.search(rf"\b{re.escape(level.name.lower())}(?:[- ]risk)?\b", lowered)
            ),
            None,
        )
    opportunity = OPPORTUNITY_ID.search(message)
    segment = next((s for s, rule in SEGMENTS if re.search(rule, lowered)), None)
    quadrant = next((q for q in rules.quadrant_names if re.search(_name_pattern(q), lowered)), None)
    return Parameters(
        days=_to_days(int(days.group(1)), days.group(2)) if days else 90,
        bands=bands or None,
        segment=segment,
        months=int(months.group(1)) if months else None,
        risk=risk if intent == "licenses" else None,
        quadrant=quadrant if intent == "expansion" else None,
        opportunity_id=f"OPP-{opportunity.group(1)}" if opportunity else None,
        guidance=bool(GUIDANCE.search(message)),
    )


def _to_days(value: int, unit: str) -> int:
    unit = unit.lower()
    if unit.startswith("week"):
        return value * 7
    if unit.startswith("month"):
        return value * 30
    return value
