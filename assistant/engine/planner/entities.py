"""Entities resolved against the data: accounts (ids, names, typos: `account_names`), the
people who own them (CSM, account executive) and partners, product modules, opportunity ids
and the knowledge base's own service titles. Only what the caller may see is a candidate.

`mask` replaces what was found by placeholders (ACCOUNT, PERSON, OPPORTUNITY), so intent
matching compares the shape of a question, not its names.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.engine.account_names import AccountName, NameMatch, NameResolver, words_of
from assistant.engine.planner.plan import Person

# month and weekday names (the standard library's), which a capital letter does not make
# an account name
CALENDAR_WORDS = frozenset(
    name.lower()
    for name in (*calendar.month_name, *calendar.month_abbr, *calendar.day_name)
    if name
)

OPPORTUNITY_ID = re.compile(r"\bopp-?(\d{3,})\b", re.I)
ACCOUNT_ID = re.compile(r"\bacc-?(\d{3,})\b", re.I)
PERSON_MIN = 88  # rapidfuzz ratio for each word of a person's name


@dataclass(frozen=True)
class Owner:
    """An account as its owners see it (the resolver needs only these fields)."""

    id: str
    name: str
    csm: str
    account_exec: str
    partner: str | None


@dataclass
class Found:
    match: NameMatch
    accounts: list[AccountName]  # every account named ("compare A and B")
    people: list[Person]
    ambiguous_people: list[tuple[str, list[Person]]]
    modules: list[str]
    services: list[str]
    opportunities: list[str]
    masked: str
    unknown: str | None = None  # words written as a name that match no visible account
    masked_unknown: str = ""


class EntityResolver:
    def __init__(
        self,
        owners: Sequence[Owner],
        modules: Sequence[str] = (),
        services: Sequence[str] = (),
        ordinary: Callable[[str], bool] | None = None,
    ) -> None:
        self.owners = list(owners)
        self.names = NameResolver([AccountName(o.id, o.name) for o in owners], ordinary)
        people: dict[str, Person] = {}
        for o in owners:
            people.setdefault(o.csm, Person(o.csm, "csm"))
            people.setdefault(o.account_exec, Person(o.account_exec, "account_exec"))
            if o.partner:
                people.setdefault(o.partner, Person(o.partner, "partner"))
        self.people = list(people.values())
        self.modules = list(modules)
        self.services = list(services)

    def person(self, name: str) -> list[Person]:
        """The people whose name is `name` (full, or a first/last name alone)."""
        wanted = words_of(name)
        exact = [p for p in self.people if words_of(p.name) == wanted]
        if exact:
            return exact
        return [p for p in self.people if _person_score(wanted, words_of(p.name), True)]

    def resolve(self, message: str) -> Found:
        masked = message
        opportunities = [f"OPP-{m.group(1)}" for m in OPPORTUNITY_ID.finditer(message)]
        masked = OPPORTUNITY_ID.sub(" OPPORTUNITY ", masked)
        accounts: list[tuple[int, AccountName]] = []
        lowered = " ".join(words_of(message))
        match = self.names.resolve(message)
        first = match
        rest = message
        for _ in range(4):  # every account named, longest alias first
            if match.status not in ("found", "ambiguous") or not match.mention:
                break
            if match.status == "found" and match.account is not None:
                accounts.append((lowered.find(match.mention.lower()), match.account))
            masked = _replace(masked, match.mention, " ACCOUNT ")
            rest = _replace(rest, match.mention, " ")
            if match.status == "ambiguous":
                break
            match = self.names.resolve(rest)
        if ACCOUNT_ID.search(masked):
            masked = ACCOUNT_ID.sub(" ACCOUNT ", masked)
        people, ambiguous = self._people(rest)
        for person in people:
            masked = _replace(masked, person.name, " PERSON ")
        for _, candidates in ambiguous:
            for person in candidates:
                for word in person.name.split():
                    masked = _replace(masked, word, " PERSON ")
        modules = [m for m in self.modules if re.search(_loose(m), message, re.I)]
        services = [s for s in self.services if _names_service(message, s)]
        ordered = [a for _, a in sorted(accounts, key=lambda item: item[0])]
        result = Found(first, ordered, people, ambiguous, modules, services, opportunities, masked)
        if first.status == "none" and not opportunities:
            known = {w for p in people for w in words_of(p.name)}
            known |= {w for m in modules for w in words_of(m)}
            known |= {w for s in services for w in words_of(s)}
            result.unknown = self._mention(masked, known)
            if result.unknown:
                result.masked_unknown = _replace(masked, result.unknown, " ACCOUNT ")
        return result

    def _mention(self, message: str, known: set[str]) -> str | None:
        """Capitalised words that look like a name ("Globex Corporation"), for a reply when
        no account matched: not acronyms, not placeholders, not the data's own words, not
        ordinary words of the knowledge base."""
        words = re.findall(r"[A-Za-z][\w&.'-]*", message)
        run: list[str] = []
        runs: list[list[str]] = []
        for position, word in enumerate(words):
            bare = word.strip(".'").removesuffix("'s")
            lowered = bare.lower()
            name_like = (
                bare[:1].isupper()
                and not (bare.isupper() and len(bare) <= 8)
                and lowered not in known
                and len(bare) > 2
                and position > 0
                and not (self.names.is_ordinary(lowered))
                and lowered not in CALENDAR_WORDS  # "close in January" names a month
            )
            if name_like:
                run.append(bare)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        if not runs:
            return None
        longest: list[str] = max(runs, key=len)
        return " ".join(longest)

    def _people(self, message: str) -> tuple[list[Person], list[tuple[str, list[Person]]]]:
        words = words_of(message)
        found: list[Person] = []
        for person in self.people:
            target = words_of(person.name)
            size = len(target)
            for start in range(len(words) - size + 1):
                if _person_score(words[start : start + size], target, False):
                    found.append(person)
                    break
        taken = {w for p in found for w in words_of(p.name)}
        ambiguous: list[tuple[str, list[Person]]] = []
        # a capitalised word, or a lower-case one that is a person's first or last name and
        # no ordinary word of the knowledge base ("list accounts for maya")
        parts = {w for p in self.people if p.role != "partner" for w in words_of(p.name)}
        cased = [
            w
            for w in re.findall(r"[A-Za-z][\w'-]*", message)
            if w[:1].isupper() or (len(w) >= 3 and w in parts and not self.names.is_ordinary(w))
        ]
        for word in cased:
            bare = word.lower().removesuffix("'s")
            if bare in taken or len(bare) < 3:
                continue
            candidates = [p for p in self.people if bare in words_of(p.name) and p not in found]
            if len(candidates) == 1 and candidates[0].role != "partner":
                found.append(candidates[0])
            elif len(candidates) > 1:
                ambiguous.append((word, candidates))
        return found, ambiguous


def _person_score(window: list[str], target: list[str], partial: bool) -> bool:
    if partial and len(window) == 1:
        return any(window[0] == t for t in target)
    if len(window) != len(target) or not target:
        return False
    return all(
        w == t or (len(t) > 4 and fuzz.ratio(w, t) >= PERSON_MIN)
        for w, t in zip(window, target, strict=True)
    )


def _loose(name: str) -> str:
    words = re.split(r"[\s_-]+", name.strip())
    return r"\b" + r"[\s_-]?".join(re.escape(w) for w in words) + r"s?\b"


def _names_service(message: str, title: str) -> bool:
    """The message names a service when it holds the title's words (near enough)."""
    words = [w for w in words_of(title) if len(w) > 2]
    if len(words) < 2:
        return False
    return fuzz.partial_ratio(" ".join(words), " ".join(words_of(message))) >= 90


def _replace(text: str, mention: str, placeholder: str) -> str:
    words = r"\W+".join(re.escape(word) for word in mention.split())
    return re.sub(rf"\b{words}(?:['’]s)?\b", placeholder, text, count=1, flags=re.I)
