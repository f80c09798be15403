"""Conversation state: what the previous turns were about (their plan and result sets), and
how a follow-up refers to it: "those", "the second", "the high one", "their CSM".

A state is built from the stored turns and filtered by the caller's scope every time it is
used, so a conversation never brings back an account its caller may not see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.engine.number_words import NUMBER_WORDS
from assistant.principal import Principal

ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
PLURAL = re.compile(r"\b(those|these|them|they|their|the same (?:accounts|ones|customers))\b", re.I)
SINGULAR = re.compile(
    r"\b(it|its|it's|this (?:one|account)|that (?:one|account)|their|they|them|the account)\b"
    r"|(?<!\bis )(?<!\bare )\bthere\b(?!\s+(?:is|are|was|were|a|an|any|some)\b)",  # "the AE there"
    re.I,
)
ORDINAL = re.compile(rf"\bthe\s+({'|'.join(ORDINALS)})(?:\s+(?:one|account|customer))?\b", re.I)
THE_X_ONE = re.compile(r"\bthe\s+([\w-]+)\s+(?:one|module|account)\b", re.I)
# "which one has the lowest health?", "which of them": one of the result set, to be picked
WHICH_ONE = re.compile(r"\bwhich\s+(?:one|ones|of\s+(?:them|those|these))\b", re.I)
# "compare them", "which one renews first?" after two account answers: the accounts
# discussed ("their CSM" stays the last one)
DISCUSSED = re.compile(r"\b(them|those|these|both|the two|each|which one)\b", re.I)
# a message read as a follow-up only by a pronoun, with this many content words, may well
# stand alone ("What does a partner need before it can deliver our services?")
STANDS_ALONE_WORDS = 4
RECENT = 4  # accounts discussed that a follow-up may refer to together
# "compare the first two", "the top 3 of those", "the last two": that many of the set
FIRST_N = re.compile(r"\bthe\s+(first|top|last|bottom)\s+(two|three|four|five|[2-9])\b", re.I)
# "only the enterprise ones", "just the red accounts": the set, narrowed by what it names
ONLY = re.compile(
    r"\b(?:only|just)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?(?:ones|accounts|customers|deals)\b", re.I
)


# "what's the total?", "and the average health?": a figure over the last result set
TOTAL_OF_SET = re.compile(
    r"^\W*(?:and\s+|so\s+)?(?:what(?:'s|\s+is|\s+are|\s+was)\s+|how much is\s+|give me\s+)?"
    r"(?:the\s+|their\s+)?(?:total|sum|average|mean|combined)"
    r"(?:\s+(?:arr|health(?:\s+score)?|nps|revenue|of\s+(?:them|those|these|all)))?\W*$",
    re.I,
)
# "sort by ARR", "order them by renewal date": the last result set again, in another order
RESORT = re.compile(r"^\W*(?:now\s+|and\s+)?(?:sort|order|rank|re-?sort)\b", re.I)
# "is any module at risk?", "are there any sev1s?": a question about the account of the last
# answer (the planner still sends it to the knowledge base when that intent leads)
ANY_OF_IT = re.compile(
    r"^\s*(?:(?:is|are|was|were|do|does|did|has|have)\s+(?:there\s+)?any|any)\b", re.I
)


@dataclass(frozen=True)
class Row:
    """One item of a result set: the account it is about and its labels (band, risk, ...)."""

    account_id: str
    name: str
    labels: tuple[str, ...] = ()


@dataclass
class State:
    intent: str | None = None
    account_id: str | None = None  # the account the last answer was about
    rows: list[Row] = field(default_factory=list)  # the last result set, in answer order
    opportunity: str | None = None
    identity: str | None = None  # the caller's name, set by "I'm <name>"
    recent: tuple[str, ...] = ()  # the accounts answered about one by one, the latest last
    empty_set: bool = False  # the last answer listed a set, and it held nothing

    def about(self, account_id: str) -> State:
        """The state after an answer about one account."""
        recent = (*(a for a in self.recent if a != account_id), account_id)[-RECENT:]
        return State(self.intent, account_id, self.rows, self.opportunity, self.identity, recent)

    def points_at_empty_set(self, message: str) -> bool:
        """'Which of those ...?' right after a list that held nothing."""
        return self.empty_set and bool(PLURAL.search(message) or WHICH_ONE.search(message))

    def scoped(self, principal: Principal) -> State:
        """Only what `principal` may see (re-checked on every use)."""
        rows = [r for r in self.rows if principal.can_see(r.account_id)]
        account = (
            self.account_id if self.account_id and principal.can_see(self.account_id) else None
        )
        recent = tuple(a for a in self.recent if principal.can_see(a))
        return State(
            self.intent, account, rows, self.opportunity, self.identity, recent, self.empty_set
        )

    def dump(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "account_id": self.account_id,
            "rows": [
                {"id": r.account_id, "name": r.name, "labels": list(r.labels)} for r in self.rows
            ],
            "opportunity": self.opportunity,
            "identity": self.identity,
            "recent": list(self.recent),
            "empty_set": self.empty_set,
        }

    @classmethod
    def load(cls, payloads: Sequence[Mapping[str, Any]]) -> State:
        """The state after the stored assistant payloads (oldest first)."""
        state = cls()
        for payload in payloads:
            saved = payload.get("state")
            if isinstance(saved, Mapping):
                rows = [
                    Row(str(r["id"]), str(r["name"]), tuple(str(x) for x in r.get("labels", ())))
                    for r in saved.get("rows", ())
                    if isinstance(r, Mapping) and "id" in r and "name" in r
                ]
                empty = bool(saved.get("empty_set"))
                state = cls(
                    saved.get("intent"),
                    saved.get("account_id"),
                    [] if empty else rows or state.rows,  # an empty list is no older set
                    saved.get("opportunity"),
                    saved.get("identity") or state.identity,
                    tuple(str(a) for a in saved.get("recent", ()) if a),
                    empty,
                )
            elif payload.get("account_id"):
                state = cls(None, state.account_id, state.rows, None, state.identity, state.recent)
                state = state.about(str(payload["account_id"]))
        return state


@dataclass(frozen=True)
class Reference:
    """What a follow-up points at: one account, several, or none."""

    account_ids: tuple[str, ...] = ()
    kind: str = "none"  # one | several | none


def refer(message: str, state: State) -> Reference:
    """Resolve "those", "the second", "the high one", "their" against the state."""
    rows = state.rows
    ids = tuple(dict.fromkeys(r.account_id for r in rows))
    if len(ids) > 1 and (several := FIRST_N.search(message)):
        word = several.group(2).lower()
        count = int(word) if word.isdigit() else NUMBER_WORDS[word]
        last = several.group(1).lower() in ("last", "bottom")
        return Reference(ids[-count:] if last else ids[:count], "several")
    if len(ids) > 1 and ONLY.search(message):
        return Reference(ids, "several")
    if len(ids) > 1 and RESORT.search(message):  # "sort by ARR": the last set, in that order
        return Reference(ids, "several")
    if rows:
        found = ORDINAL.search(message)
        if found:  # "the first one" (of one row too: it)
            index = ORDINALS[found.group(1).lower()]
            if -len(rows) <= index < len(rows):
                return Reference((rows[index].account_id,), "one")
        for found in THE_X_ONE.finditer(message):
            word = found.group(1).lower()
            chosen = [r for r in rows if word in (label.lower() for label in r.labels)]
            if chosen and len({r.account_id for r in chosen}) == 1:
                return Reference((chosen[0].account_id,), "one")
            if chosen:
                return Reference(tuple(dict.fromkeys(r.account_id for r in chosen)), "several")
        if (PLURAL.search(message) or WHICH_ONE.search(message)) and len(ids) > 1:
            return Reference(ids, "several")
    if len(ids) > 1 and TOTAL_OF_SET.search(message):
        return Reference(ids, "several")
    if len(state.recent) > 1 and DISCUSSED.search(message):
        return Reference(state.recent, "several")
    if state.account_id and (SINGULAR.search(message) or ANY_OF_IT.search(message)):
        return Reference((state.account_id,), "one")
    if rows and len({r.account_id for r in rows}) == 1 and SINGULAR.search(message):
        return Reference((rows[0].account_id,), "one")
    return Reference()
