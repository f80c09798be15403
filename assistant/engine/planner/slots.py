"""Slot parsers: numbers and comparisons ("health under 50", "at least 80", "top 5"), the
rules' vocabularies (bands, quadrants, license-risk levels, segments, the qualification
framework and its aliases), sort order and look-back months.

The vocabularies come from the business rules (`Vocabulary`), so another knowledge base's
band or quadrant names are understood without a code change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.engine.number_words import NUMBER_WORDS
from assistant.engine.planner.dates import months_back
from assistant.engine.planner.plan import Entities

_I = re.I


@dataclass(frozen=True)
class Vocabulary:
    """The names the rules define, as the planner needs them."""

    bands: tuple[str, ...]  # low -> high
    healthy_bands: tuple[str, ...]
    quadrants: tuple[str, ...]
    risk_levels: tuple[str, ...]  # e.g. High, Medium, Low, over-deployed
    segments: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    framework: str = "MEDDICC"
    framework_aliases: tuple[str, ...] = ()
    top_risk: str = "High"
    over_level: str = "over-deployed"
    fields: tuple[str, ...] = ()  # the qualification framework's field labels
    severities: tuple[str, ...] = ()  # support incident severities, most severe first
    severe: tuple[str, ...] = ()  # the ones whose count is a warning
    detractor_names: tuple[str, ...] = ()  # the knowledge base's own words for a detractor
    industries: tuple[str, ...] = ()  # the account data's industries
    nps_names: tuple[str, ...] = ()  # the knowledge base's own names for the NPS
    group_words: tuple[tuple[str, str], ...] = ()  # (word, group key), longest first
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def at_risk_bands(self) -> tuple[str, ...]:
        return tuple(b for b in self.bands if b not in self.healthy_bands)


def _phrase(name: str, plural: bool = False) -> str:
    """A regex for a rules name written with spaces, hyphens or underscores (and, with
    `plural`, an optional plural s)."""
    words = re.split(r"[\s_-]+", name.strip())
    return r"\b" + r"[\s_-]?".join(re.escape(w) for w in words) + ("s?" if plural else "") + r"\b"


def _found(names: Iterable[str], text: str) -> list[str]:
    return [n for n in names if re.search(_phrase(n), text, _I)]


NUMBER = r"(\d+(?:\.\d+)?)"
BELOW = re.compile(
    rf"\b(?:under|below|less than|lower than|beneath|<)\s*{NUMBER}\b"
    rf"|\b{NUMBER}\s+or\s+(?:less|lower|below)\b",
    _I,
)
AT_MOST = re.compile(rf"\b(?:at most|no more than|up to|<=)\s*{NUMBER}\b", _I)
ABOVE = re.compile(rf"\b(?:over|above|more than|greater than|higher than|>)\s*{NUMBER}\b", _I)
AT_LEAST = re.compile(
    rf"\b(?:at least|no less than|>=|min(?:imum)?(?: of)?)\s*{NUMBER}\b"
    rf"|\b{NUMBER}\s+or\s+(?:more|higher|above)\b",
    _I,
)
TOP = re.compile(
    rf"\b(top|first|bottom|last|lowest|highest|biggest|largest|smallest)\s+(\d{{1,3}}|{'|'.join(NUMBER_WORDS)})\b",
    _I,
)
# "the 5 accounts with the lowest health scores": the count first, the order word after it
COUNT_THEN_ORDER = re.compile(
    rf"\b(\d{{1,3}}|{'|'.join(NUMBER_WORDS)})\s+(?:\w+\s+)?(?:accounts|customers|clients)\s+"
    r"(?:\w+\s+){0,3}?(lowest|highest|biggest|largest|smallest)\b",
    _I,
)
INCIDENT_WORD = r"(?:incidents?|tickets?|outages?|escalations?|cases?|issues?|problems?)"
# "the three riskiest renewals", "5 healthiest customers": a count, then a superlative
COUNT_SUPERLATIVE = re.compile(
    rf"\b(\d{{1,3}}|{'|'.join(NUMBER_WORDS)})\s+(lowest|worst|weakest|riskiest|unhealthiest"
    r"|sickest|healthiest|highest|strongest|biggest|largest|smallest|best)\b",
    _I,
)
# "which of those is in the worst shape?", "the healthiest one": a superlative without a
# count picks one (a plural noun keeps the whole sorted set)
SUPERLATIVE = re.compile(
    r"\b(lowest|worst|weakest|riskiest|least healthy|unhealthiest|sickest"
    r"|healthiest|highest|strongest|biggest|largest|smallest)\b"
    r"|\b(most|fewest|(?<!\bat )least)\s+(?=\$?arr\b|revenue\b|health"  # "the most ARR"
    rf"|(?:\w+\s+)?{INCIDENT_WORD}\b|nps\b|detractors?\b)",  # "the most sev1 incidents"
    _I,
)
DESCENDING = ("top", "highest", "biggest", "largest", "healthiest", "best", "strongest", "most")
PLURAL_NOUN = re.compile(
    r"\b(?:accounts|customers|clients|ones|renewals|deals|opportunities)\b", _I
)
# the figure right after a superlative ("the most sev1 incidents", "the lowest NPS") sorts
NAMED_SORT_KEYS = (
    ("incidents", re.compile(rf"^\s*(?:\w+\s+)?{INCIDENT_WORD}\b", _I)),
    ("nps", re.compile(r"^\s*(?:\w+\s+)?(?:nps|net promoter)\b", _I)),
)
SORT_KEYS = (
    ("arr", re.compile(r"\barr\b|revenue|biggest|largest|smallest", _I)),
    (
        "health",
        re.compile(
            r"health|score|healthiest|riskiest|lowest|highest|worst|weakest|best|strongest"
            r"|shape|sickest",
            _I,
        ),
    ),
    ("renewal_date", re.compile(r"\brenew", _I)),
)
# "list them by ARR", "sorted by health score", "ordered by renewal date": an order (highest
# first, but the soonest renewal and names A to Z)
BY_SORT_KEYS = (
    ("arr", re.compile(r"\$?arr|revenue|size|contract value", _I)),
    ("health", re.compile(r"(?:health|health score|score)", _I)),
    ("renewal_date", re.compile(r"renewal(?: date)?|renewal dates|when they renew", _I)),
    ("nps", re.compile(r"nps|net promoter score", _I)),
    ("incidents", re.compile(r"incidents?|tickets?", _I)),
    ("name", re.compile(r"names?|name of the account", _I)),
)
BY_SORT = re.compile(
    r"\b(?:sorted|ordered|ranked|listed|sort(?:\s+\w+)?|order(?:\s+\w+)?|rank(?:\s+\w+)?)?\s*"
    r"\bby\s+(?:their\s+|the\s+)?(\$?arr|revenue|size|contract value|health score|health|score"
    r"|renewal dates?|renewal|when they renew|nps|net promoter score|incidents?|tickets?"
    r"|names?)\b",
    _I,
)
# "which of those is most at risk?", "the account most at risk": the lowest score (not the
# at-risk bands; "the most at-risk accounts" counts the accounts in them)
MOST_AT_RISK = re.compile(
    r"\b(?:is|are|looks?|seems?|one|account|customer|client)\s+(?:the\s+)?most\s+at[- ]risk\b"
    r"(?!\s+(?:accounts|customers|clients))",
    _I,
)
AT_RISK = re.compile(
    r"\bat[- ]risk\b|\bunhealthy\b|\brisky\b|\bin trouble\b|\bstruggling\b"
    r"|\bneeds?\s+(?:\w+\s+)?attention\b",
    _I,
)
# "what should I focus on this week?", "what are my priorities?": the caller's accounts that
# are at risk, soonest renewal first (the week is when to act, not a renewal window)
FOCUS = re.compile(r"\b(?:focus(?:\s+on)?|prioriti[sz]e|priorities|on my plate|worry about)\b", _I)
ME = re.compile(r"\b(?:i|my|me|mine)\b", _I)
HEALTHY = re.compile(r"(?<!\bleast )(?<!\bless )\bhealthy\b|\bhealthiest\b", _I)
OVER = re.compile(
    r"over[- ]?(?:deploy|use|licens)|\bcompliance\b|true[- ]?up|more active"
    r"|\bover\s+(?:their|its|the)\s+(?:\w+\s+)?(?:contract|entitlement|licen[cs]es?|seats?)\b"
    r"|\bmore\s+(?:users|seats)\s+than\b|\bexceed",
    _I,
)
LICENSE_WORD = re.compile(r"\b(?:modules?|licen[sc]es?|seats?)\b", _I)
UNDER = re.compile(r"under[- ]?(?:deploy|used?|utili)|\bunused\b|shelfware|\bidle\b", _I)
IDENTITY = re.compile(
    r"^\s*(?:hi[,!.]?\s+)?(?:i\s*am|i'm|i’m|this is|my name is)\s+"
    r"([A-Za-z][\w.'-]*(?:\s+[A-Za-z][\w.'-]*){0,3}?)\s*[.!]*\s*$",
    _I,
)
HEALTH_WORD = re.compile(r"health|scor(?:e|es|ed|ing)\b", _I)
RENEW_WORD = re.compile(r"\brenew", _I)
# "which of those renews first?", "who is up next": the soonest renewal, one (the singular
# verb); "which of those renew first?" asks for their order (the plain renewals sort)
SOONEST = re.compile(
    r"\brenews\s+(?:first|soonest|next(?!\s+(?:week|month|quarter|year)))\b|\bsoonest\b"
    r"|\bup\s+next\b",
    _I,
)
# "the average health of our enterprise accounts", "the total ARR renewing in Q1": a figure
# over the set (the list carries its total ARR and mean health), not a filter
AGGREGATE = re.compile(r"\b(?:average|mean|total|combined|sum of|how much)\b", _I)
NPS_WORD = r"(?:nps|net promoter(?:\s+score)?)"
# "what's our average NPS?", "the total ARR across the portfolio": a figure of the data
# over the caller's accounts (not "what average CSAT earns 10 points?")
OUR_FIGURE = re.compile(
    r"\b(?:our|my|we)\b|\bportfolio\b|\bacross\b|\boverall\b|\bin total\b|\ball accounts\b",
    _I,
)
DATA_FIGURE = re.compile(rf"\$|\barr\b|revenue|\bhealth|\b{NPS_WORD}\b", _I)
# the message is about a set of accounts (the portfolio), not about how things are done
SET_OF_ACCOUNTS = re.compile(
    r"\b(?:accounts|customers|clients|renewals|portfolio|book of business)\b"
    r"|\bwhere (?:are|do) we\b|\bwho renews\b|\b(?:which|what) (?:\w+ )?(?:account|customer)s?\b"
    r"|\b(?:which|what) (?:\w+ )?modules\b"
    r"|\b(?:every|each) (?:account|customer|client)\b",
    _I,
)


# "What's the discount for multi-year renewals?", "what is the process for new customers?": the
# set is only what the thing asked about is for (a policy, not a list of accounts; "the
# health of our accounts" is about the accounts)
THING_FOR_SET = re.compile(
    r"^\s*what(?:'s|\s+is|\s+are)\s+(?:\w+\s+)?the\s+(?:[\w-]+\s+){0,2}?"
    r"for\s+(?:[\w-]+\s+){0,2}?(?:accounts|customers|clients|renewals)\b",
    _I,
)


# "which customers count as healthy?", "what is considered at risk?": what a label means,
# not the accounts that carry it
DEFINES = re.compile(
    r"\b(?:counts?\s+as|counted\s+as|considered|qualif(?:y|ies)\s+as|defined\s+as"
    r"|classed\s+as|classified\s+as|deemed|what\s+makes)\b",
    _I,
)


# "how many customers are in the Save quadrant?", "how many of my accounts renew in Q1?": a
# count of a set of accounts (not "how many customers should a CSM handle?")
COUNT_OF_ACCOUNTS = re.compile(
    r"\bhow many\s+(?:of\s+)?(?:(?:our|my|the|them|these|those)\s+)?(?:\w+\s+)?"
    r"(?:accounts|customers|clients)\s+(?:are|is|have|has|renew|sit|fall|in|with|at|on)\b",
    _I,
)


# the score's trend ("declining health", "accounts that are improving") and partner presence
DECLINING = re.compile(
    r"\b(?:declin\w*|dropping|falling|sliding|worsening|deteriorating|going down)\b", _I
)
IMPROVING = re.compile(r"\b(?:improving|rising|climbing|getting better|going up)\b", _I)
WITH_PARTNER = re.compile(
    r"\bpartner[- ](?:managed|led|sold|run|served|supported)\b"
    r"|\b(?:with|via|through|by)\s+(?:a|any)\s+partners?\b|\bthat\s+partners?\s+(?:work|manage)",
    _I,
)
STABLE = re.compile(
    r"\b(?:stable|steady|unchanged|flat(?!\s+(?:fee|rate|price|pricing|cost)))\b", _I
)
NO_PARTNER = re.compile(r"\b(?:no|without(?:\s+a)?|not\s+(?:with\s+)?a)\s+partners?\b", _I)


# support incidents ("sev1 incidents", "severe tickets") and NPS ("a negative NPS", "NPS
# below 20", "detractors"): filters on a set of accounts
SEVERE_INCIDENTS = re.compile(
    rf"\b(?:severe|serious|major|critical|high[- ]severity|top[- ]severity)\s+{INCIDENT_WORD}\b",
    _I,
)
NEGATIVE_NPS = re.compile(
    rf"\bnegative\s+{NPS_WORD}\b|\b{NPS_WORD}\s+(?:score\s+)?(?:is\s+)?(?:below|under|less than"
    r"|lower than|<)\s*(?:zero|0)\b",
    _I,
)
NPS_BELOW = re.compile(
    rf"\b{NPS_WORD}\s+(?:score\s+)?(?:is\s+)?(?:below|under|less than|lower than|<)\s*(-?\d+)\b",
    _I,
)
DETRACTORS = re.compile(r"\bdetractors?\b", _I)
# the deals across the accounts ("which opportunities close this quarter?", "our pipeline")
PIPELINE = re.compile(r"\b(?:opportunities|deals|pipeline)\b", _I)
LACKING = r"\b(?:missing|without|no|lacking|lack|gaps? (?:in|on))\s+(?:an?\s+|the\s+|any\s+)?"


def _severity(name: str) -> str:
    """A regex for a severity key: "sev1" matches "sev1", "Sev 1", "sev-1", "severity 1"."""
    parts = re.findall(r"[A-Za-z]+|\d+", name)
    if not parts:
        return re.escape(name)
    pieces = [re.escape(p) + (r"\w*" if p.isalpha() and len(p) >= 3 else "") for p in parts]
    return r"\b" + r"[\s_-]?".join(pieces) + r"\b"


# "which SMB customers ...", "what accounts ...": the message asks for accounts by name
WHICH_ACCOUNTS = re.compile(
    r"\b(?:which|what)\s+(?:of\s+(?:my|our|the)\s+)?(?:[\w-]+\s+){0,2}?(?:accounts|customers"
    r"|clients)\b",
    _I,
)


# a breakdown: "accounts per CSM", "ARR by segment", "for each partner", "top 3 CSMs by ARR",
# "which CSM has the most red accounts?" (a superlative picks the first group), "who has the
# most at-risk accounts?" (the accounts' owner: their CSM)
GROUP_EVERY = r"\b(?:per|by|for each|for every|each|every|across)\s+(?:the\s+|their\s+)?"
GROUP_WHICH = r"\b(?:which|what)\s+(?:of\s+(?:our|the|my)\s+)?"
GROUP_VERB = (
    r"\s+(?:has|have|had|holds?|manages?|owns?|covers?|carries|carry|works?|gets?|sees?|is|are"
    r"|looks after|runs?)\b"
)
GROUP_TOP = rf"\b(?:top|bottom)\s+(\d{{1,2}}|{'|'.join(NUMBER_WORDS)})\s+"
MOST = re.compile(
    r"\b(most|fewest|least|highest|lowest|biggest|largest|smallest|healthiest|unhealthiest"
    r"|riskiest|best|worst|strongest|weakest)\b",
    _I,
)
GROUP_ASCENDING = frozenset(
    ("fewest", "least", "lowest", "smallest", "unhealthiest", "riskiest", "worst", "weakest")
)
WHO_MOST = re.compile(
    r"\bwho\s+(?:has|have|holds|manages|owns|covers|carries|looks after|runs)\s+(?:the\s+)?"
    r"(?:most|fewest)\b",
    _I,
)
GROUP_MEASURES = (
    ("arr", re.compile(r"\$|\barr\b|revenue|\bbook\b|dollars|money", _I)),
    ("health", re.compile(r"health|score|shape|riskiest|unhealthiest|weakest|strongest", _I)),
)


def _group(text: str, vocabulary: Vocabulary, entities: Entities) -> None:
    """Fill the breakdown slots: the group key, the measure the groups are ordered by, the
    order and how many groups a superlative or a top-N keeps."""
    key: str | None = None
    limit: int | None = None
    for word, name in vocabulary.group_words:
        phrase = r"[\s_-]?".join(re.escape(w) for w in word.split()) + r"s?\b"
        if found := re.search(GROUP_TOP + phrase, text, _I):
            count = found.group(1).lower()
            key, limit = name, int(count) if count.isdigit() else NUMBER_WORDS[count]
        elif re.search(GROUP_EVERY + phrase, text, _I):
            key = name
        elif re.search(GROUP_WHICH + phrase + GROUP_VERB, text, _I) and MOST.search(text):
            key, limit = name, 1
        if key is not None:
            break
    if key is None and WHO_MOST.search(text):
        key, limit = "csm", 1
    if key is None:
        return
    superlative = MOST.search(text)
    after = text[superlative.end() :] if superlative else text
    entities.group_by = key
    entities.group_limit = limit
    entities.group_sort = next(
        (measure for measure, rule in GROUP_MEASURES if rule.search(after)), "count"
    )
    if superlative and superlative.group(1).lower() in ("healthiest", "unhealthiest", "riskiest"):
        entities.group_sort = "health"
    entities.group_descending = not (
        superlative and superlative.group(1).lower() in GROUP_ASCENDING
    )
    entities.sort, entities.descending, entities.limit = None, None, None


# "ARR over $1M", "accounts above $500k", "$2M+ accounts", "less than 200k in ARR": the ARR
MONEY = r"\$?\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|mm|million|thousand)?"
MORE = r"(?:over|above|more than|greater than|bigger than|at least|>=?)"
LESS = r"(?:under|below|less than|smaller than|lower than|<)"
ARR_THRESHOLD = re.compile(
    rf"\b(?:arr|revenue)\s+(?:of\s+|is\s+|of\s+at\s+least\s+)?({MORE}|{LESS})\s*{MONEY}"
    rf"|\b({MORE}|{LESS})\s*(\$\s?\d[\d,]*(?:\.\d+)?)\s*(k|m|mm|million|thousand)?"
    rf"(?:\s+(?:in\s+|of\s+)?(?:arr|revenue))?"
    rf"|(\$\s?\d[\d,]*(?:\.\d+)?)\s*(k|m|mm|million|thousand)?\s*\+",
    _I,
)
SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6}
INCIDENT_COUNT = re.compile(
    rf"\b({MORE}|{LESS})\s+(\d{{1,4}})\s+(?:\w+\s+)?{INCIDENT_WORD}"
    rf"|\b(\d{{1,4}})\s+or\s+more\s+(?:\w+\s+)?{INCIDENT_WORD}",
    _I,
)


def _amount(number: str, scale: str | None) -> int:
    return round(
        float(number.replace("$", "").replace(",", "").strip())
        * SCALE.get((scale or "").lower(), 1.0)
    )


def _figures(text: str, entities: Entities) -> None:
    """ARR and incident-count thresholds ("ARR over $1M", "more than 5 incidents")."""
    if found := ARR_THRESHOLD.search(text):
        if found.group(1):
            word, amount = found.group(1), _amount(found.group(2), found.group(3))
        elif found.group(4):
            word, amount = found.group(4), _amount(found.group(5), found.group(6))
        else:
            word, amount = "at least", _amount(found.group(7), found.group(8))
        if re.fullmatch(LESS, word, _I):
            entities.figures["arr_below"] = amount
        elif re.fullmatch(r"at least|>=", word, _I):
            entities.figures["arr_at_least"] = amount
        else:
            entities.figures["arr_at_least"] = amount + 1
    if found := INCIDENT_COUNT.search(text):
        if found.group(3):
            entities.figures["incidents_at_least"] = int(found.group(3))
        elif not re.fullmatch(LESS, found.group(1), _I):
            least = int(found.group(2))
            exact = re.fullmatch(r"at least|>=", found.group(1), _I)
            entities.figures["incidents_at_least"] = least if exact else least + 1


def _number(value: str) -> float:
    return float(value)


def parse_slots(message: str, vocabulary: Vocabulary, entities: Entities) -> None:
    """Fill the entities' number, threshold, vocabulary and sort slots from `message`.
    The knowledge base's own name for the NPS ("recommendation index") reads as NPS, and an
    industry named is taken out of the masked text (intents are matched on its shape)."""
    text = _as_nps(normalize(message), vocabulary.nps_names)
    entities.masked = _as_nps(normalize(entities.masked), vocabulary.nps_names)
    entities.numbers = [float(n) for n in re.findall(r"(?<![\w-])(\d+(?:\.\d+)?)(?![\w-])", text)]
    thresholds = entities.thresholds
    # a bare comparison is a health threshold unless it counts something else ("more than
    # 50 customers", "$2M ARR", "100 licenses")
    counted = re.search(rf"{NUMBER}\s+(?!or\b|and\b|but\b|to\b|points?\b)[a-z]", text, _I)
    other = re.search(rf"\$|arr|revenue|licen|\b{NPS_WORD}\b", text, _I) or counted
    if HEALTH_WORD.search(text) or not other:
        if found := BELOW.search(text):
            thresholds["health_below"] = int(_number(found.group(1) or found.group(2)))
        elif found := AT_MOST.search(text):
            thresholds["health_below"] = int(_number(found.group(1))) + 1
        if found := AT_LEAST.search(text):
            thresholds["health_at_least"] = int(_number(found.group(1) or found.group(2)))
        elif found := ABOVE.search(text):
            thresholds["health_at_least"] = int(_number(found.group(1))) + 1
    entities.bands = _found(vocabulary.bands, text)
    most_at_risk = MOST_AT_RISK.search(text)  # "which of those is most at risk?": an order
    if not entities.bands and AT_RISK.search(text) and not most_at_risk:
        entities.bands = list(vocabulary.at_risk_bands)
    elif not entities.bands and HEALTHY.search(text) and not re.search(r"healthiest", text, _I):
        entities.bands = list(vocabulary.healthy_bands)
    segments = _found(vocabulary.segments, text)
    entities.segment = segments[0] if segments else None
    industries = _found(vocabulary.industries, entities.masked or text)  # not in a name
    entities.industry = industries[0] if industries else None
    if entities.industry and entities.masked:  # "which INDUSTRY customers ...": its shape
        entities.masked = re.sub(
            _phrase(entities.industry), " ", entities.masked, count=1, flags=_I
        )
    quadrants = _found(vocabulary.quadrants, text)
    entities.quadrant = quadrants[0] if quadrants else None
    if OVER.search(text):
        entities.risk = [vocabulary.over_level]
    elif UNDER.search(text):
        entities.risk = [vocabulary.top_risk]
    else:
        entities.risk = [
            level
            for level in vocabulary.risk_levels
            if re.search(rf"\b{re.escape(level)}\b(?:\s+(?:license\s+)?risk)", text, _I)
            # "which modules are Exposed?": a level named beside modules, licenses or seats
            or (LICENSE_WORD.search(text) and re.search(rf"\b{re.escape(level)}\b", text, _I))
        ]
    if most_at_risk and not TOP.search(text):
        entities.sort, entities.descending = "health", False
        if not PLURAL_NOUN.search(text):
            entities.limit = 1
    elif found := TOP.search(text):
        word, count = found.group(1).lower(), found.group(2)
    elif found := COUNT_THEN_ORDER.search(text) or COUNT_SUPERLATIVE.search(text):
        count, word = found.group(1), found.group(2).lower()
    if found:
        entities.limit = int(count) if count.isdigit() else NUMBER_WORDS[count.lower()]
        entities.descending = word in DESCENDING
        by = re.search(r"\bby\b", text, _I)  # "top 3 accounts by incidents"
        named = by and next(
            (key for key, rule in NAMED_SORT_KEYS if rule.search(text[by.end() :])), None
        )
        entities.sort = named or next((key for key, rule in SORT_KEYS if rule.search(text)), "arr")
        if word in ("first",):
            entities.sort, entities.descending = "renewal_date", False
    elif found := BY_SORT.search(text):  # "Priya's accounts by ARR", "sorted by health"
        entities.sort = next(key for key, rule in BY_SORT_KEYS if rule.fullmatch(found.group(1)))
        entities.descending = entities.sort not in ("renewal_date", "name")
    elif SOONEST.search(text):
        entities.sort, entities.descending = "renewal_date", False
        if not PLURAL_NOUN.search(text):
            entities.limit = 1
    elif (superlative := SUPERLATIVE.search(text)) and not re.search(r"\brenew", text, _I):
        word = (superlative.group(1) or superlative.group(2)).lower()
        entities.descending = word in DESCENDING
        after = text[superlative.end() :]
        named = next((key for key, rule in NAMED_SORT_KEYS if rule.search(after)), None)
        entities.sort = named or next(
            (key for key, rule in SORT_KEYS if rule.search(text)), "health"
        )
        if not PLURAL_NOUN.search(text):
            entities.limit = 1
    entities.months = months_back(text)
    entities.plural = bool(SET_OF_ACCOUNTS.search(text))
    entities.thing_of_set = bool(THING_FOR_SET.search(text))
    entities.which = bool(WHICH_ACCOUNTS.search(text))
    entities.defines = bool(DEFINES.search(text))
    entities.counted = bool(COUNT_OF_ACCOUNTS.search(text))
    entities.aggregate = bool(AGGREGATE.search(text))
    entities.portfolio_figure = (
        entities.aggregate
        and OUR_FIGURE.search(text) is not None
        and DATA_FIGURE.search(text) is not None
    )
    entities.trend = (
        "declining"
        if DECLINING.search(text)
        else "improving"
        if IMPROVING.search(text)
        else "stable"
        if STABLE.search(text)
        else None
    )
    entities.partnered = (
        False if NO_PARTNER.search(text) else True if WITH_PARTNER.search(text) else None
    )
    entities.severities = [
        name for name in vocabulary.severities if re.search(_severity(name), text, _I)
    ]
    if not entities.severities and SEVERE_INCIDENTS.search(text):
        entities.severities = list(vocabulary.severe)
    if NEGATIVE_NPS.search(text):
        entities.nps_below = 0
    elif found := NPS_BELOW.search(text):
        entities.nps_below = int(found.group(1))
    entities.detractors = bool(DETRACTORS.search(text)) or any(
        re.search(_phrase(name, plural=True), text, _I) for name in vocabulary.detractor_names
    )
    entities.pipeline = bool(PIPELINE.search(text))
    entities.missing_field = next(
        (f for f in vocabulary.fields if re.search(LACKING + _phrase(f), text, _I)), None
    )
    entities.mine = bool(
        re.search(
            r"\bmy\s+(?:\w+\s+){0,2}(?:accounts|customers|clients|book|portfolio|renewals)\b"
            r"|\bmy\s+(?:total\s+|whole\s+|overall\s+)?(?:arr|revenue|nps)\b"
            r"|\bi\s+(?:own|manage|cover|have|look after|handle|run)\b",
            text,
            _I,
        )
    )
    entities.focus = bool(FOCUS.search(text)) and ME.search(text) is not None
    if entities.focus:
        entities.mine = True
        entities.bands = entities.bands or list(vocabulary.at_risk_bands)
        entities.sort, entities.descending = entities.sort or "renewal_date", False
    _group(text, vocabulary, entities)
    _figures(text, entities)
    names = (vocabulary.framework, *vocabulary.framework_aliases)
    if any(re.search(rf"\b{re.escape(n)}\b", text, _I) for n in names):
        entities.framework = vocabulary.framework


# chat shorthand read as the words it stands for ("red accts w/ health < 40")
SHORTHAND = (
    (re.compile(r"\baccts\b", _I), "accounts"),
    (re.compile(r"\bacct\b", _I), "account"),
    (re.compile(r"\bcusts\b", _I), "customers"),
    (re.compile(r"(?<!\w)w/o\b", _I), "without"),
    (re.compile(r"(?<!\w)w/(?!e\b)\s*", _I), "with "),
    (re.compile(r"<=\s*(?=\d)"), " at most "),
    (re.compile(r">=\s*(?=\d)"), " at least "),
    (re.compile(r"<\s*(?=\d)"), " under "),
    (re.compile(r">\s*(?=\d)"), " over "),
)


def normalize(text: str) -> str:
    """`text` with chat shorthand spelled out (the slot parsers and intents read words)."""
    for rule, words in SHORTHAND:
        text = rule.sub(words, text)
    return text


def _as_nps(text: str, names: Iterable[str]) -> str:
    for name in names:
        text = re.sub(_phrase(name, plural=True), "NPS", text, flags=_I)
    return text


def identity_in(message: str) -> str | None:
    """ "I'm Maya Chen" -> "Maya Chen" (a caller naming themselves)."""
    found = IDENTITY.match(message)
    return found.group(1).strip().rstrip(".") if found else None
