"""Calculator steps from the caller's own numbers: "we have 800 seats and 310 active, is that
a problem?", "a $4M ARR account, how many engagement leads?", "how many blocks is 120 hours?",
"CSAT of 4.2: how many points?", the health components with their scores.

Each parser reads the numbers a calculator needs and the words that say what they are; the
words for the rules' own things (the staffing role, the health components) come from the
rules, so another knowledge base's names work without a code change. A question that names
no numbers of its own gets no calculator: account data then answers it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.engine.planner.plan import ToolStep
from assistant.rules import Rules

_I = re.I
_N = r"(\d[\d,]*(?:\.\d+)?)"
SEATS = (
    r"(?:licen[cs]ed|licen[cs]es?|seats?|purchased|bought|paid(?:\s+for)?|entitled"
    r"|subscriptions?)"
)
ACTIVE = r"(?:active|in use|using it|used|logging in|log in|monthly active|mau)"
# "800 seats and 310 active", "licensed 500, active 240", "310 of 800 seats active"
LICENSED_N = re.compile(rf"{_N}\s+(?:\w+\s+)?{SEATS}\b|\b{SEATS}\s*(?:[:=]|of|is|are)?\s*{_N}", _I)
ACTIVE_N = re.compile(
    rf"{_N}\s+(?:users?\s+|people\s+|of\s+them\s+|are\s+)?{ACTIVE}\b"
    rf"|\b{ACTIVE}\s*(?:users?)?\s*(?:[:=]|of|is|are)?\s*{_N}",
    _I,
)
OF_N = re.compile(rf"{_N}\s+(?:out\s+)?of\s+(?:the\s+|our\s+|their\s+)?{_N}\b", _I)
MONEY = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|mm|million|b|bn|billion|thousand)?\b"
    r"|\b(\d[\d,]*(?:\.\d+)?)\s*(k|m|mm|million|b|bn|billion|thousand)?\s*(?:usd|dollars?)?\s+(?:of\s+)?arr\b",
    _I,
)
SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6}
SCALE.update({"b": 1e9, "bn": 1e9, "billion": 1e9})
HOURS = re.compile(rf"{_N}\s*(?:hours?|hrs?|h)\b", _I)
BLOCKS = re.compile(rf"{_N}\s+blocks?\b", _I)
HOW_MANY = re.compile(
    r"\bhow\s+many\b|\bhow\s+much\b|\bwhat\s+(?:does|would)\b|\bcost\b|\bprice\b", _I
)
CSAT = re.compile(rf"\bcsat\b[^\d]{{0,25}}{_N}|{_N}\s*(?:average\s+)?csat\b", _I)
PERCENT = r"(\d+(?:\.\d+)?)\s*%"
LTV_WORDS = re.compile(r"\bltv\b|lifetime value", _I)


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def money(message: str) -> list[float]:
    """Dollar amounts and ARR figures: "$4M", "$1.5 million", "6m ARR", "$2,500,000"."""
    found = []
    for m in MONEY.finditer(message):
        number, scale = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        found.append(_value(number) * SCALE.get((scale or "").lower(), 1.0))
    return found


def license_risk(message: str, rules: Rules) -> ToolStep | None:
    of = OF_N.search(message)
    if of and re.search(ACTIVE, message, _I) and re.search(SEATS, message, _I):
        active, licensed = _value(of.group(1)), _value(of.group(2))
    else:
        seats, used = LICENSED_N.search(message), ACTIVE_N.search(message)
        if not seats or not used:
            return None
        licensed = _value(seats.group(1) or seats.group(2))
        active = _value(used.group(1) or used.group(2))
        if seats.span() == used.span():
            return None
    if licensed < 1:
        return None
    return ToolStep("calculate_license_risk", {"licensed": int(licensed), "active": int(active)})


def staffing(message: str, rules: Rules) -> ToolStep | None:
    role = rules.staffing.role if rules.staffing else None
    if not role:
        return None
    words = [w for w in re.findall(r"[a-z]+", role.lower()) if len(w) > 2]
    names_role = any(re.search(rf"\b{re.escape(w)}s?\b", message, _I) for w in words)
    asks = names_role or re.search(r"\b(?:staff|headcount|people|hire|fte)s?\b", message, _I)
    amounts = money(message)
    if not asks or not amounts or not HOW_MANY.search(message):
        return None
    return ToolStep("calculate_staffing", {"arr": max(amounts)})


def blocks(message: str, rules: Rules) -> ToolStep | None:
    if rules.blocks is None or not re.search(r"\bblocks?\b|\bhours?\b", message, _I):
        return None
    if not HOW_MANY.search(message):
        return None
    if found := HOURS.search(message):
        return ToolStep("calculate_blocks", {"hours": _value(found.group(1))})
    if found := BLOCKS.search(message):
        return ToolStep("calculate_blocks", {"blocks": int(_value(found.group(1)))})
    return None


def csat_points(message: str, rules: Rules) -> ToolStep | None:
    found = CSAT.search(message)
    if not found or not re.search(r"\bpoints?\b|\bearn|\bscore\b", message, _I):
        return None
    score = _value(found.group(1) or found.group(2))
    top = rules.surveys.csat.scale_max
    if score > top:
        return None
    return ToolStep("calculate_csat_points", {"score": score})


def health(message: str, rules: Rules) -> ToolStep | None:
    components: dict[str, int] = {}
    for key in rules.component_keys:
        labels = {key, *(c.label for c in rules.health.components if c.key == key)}
        for label in labels:
            pattern = rf"\b{re.escape(label)}\b\s*(?:[:=]|of|is|at)?\s*(\d{{1,3}})\b"
            if found := re.search(pattern, message, _I):
                components[key] = int(found.group(1))
                break
    if len(components) < len(rules.component_keys):
        return None
    return ToolStep("calculate_health", {"components": components})


def ltv(message: str, rules: Rules) -> ToolStep | None:
    if rules.formulas.ltv is None or not LTV_WORDS.search(message):
        return None
    found_in = (message, _I)
    margin = re.search(rf"margin[^\d%]{{0,20}}{PERCENT}|{PERCENT}\s*(?:gross\s+)?margin", *found_in)
    churn = re.search(rf"churn[^\d%]{{0,20}}{PERCENT}|{PERCENT}\s*(?:monthly\s+)?churn", *found_in)
    revenue = money(message)
    if not (margin and churn and revenue):
        return None
    return ToolStep(
        "calculate_ltv",
        {
            "average_revenue_per_customer": revenue[0],
            "gross_margin": float(margin.group(1) or margin.group(2)),
            "monthly_churn_rate": float(churn.group(1) or churn.group(2)),
        },
    )


PARSERS: tuple[Callable[[str, Rules], ToolStep | None], ...] = (
    health,
    ltv,
    license_risk,
    staffing,
    blocks,
    csat_points,
)


def calculation(message: str, rules: Rules) -> ToolStep | None:
    """The calculator step for the numbers the message gives, or None."""
    for parse in PARSERS:
        step = parse(message, rules)
        if step is not None:
            return step
    return None
