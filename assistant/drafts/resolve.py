"""Find the account, service or opportunity a draft is for; an unknown one is a 404 that
names the closest matches (rapidfuzz) among what the caller may see.

Accounts: an id outside the caller's scope is a 403 (checked before existence, as
everywhere); a name is matched among the visible accounts only. Opportunities: an id that is
missing or hidden gets the same 404 ("not among the opportunities you may see"), so a
scoped caller cannot probe which ids exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from assistant.drafts.knowledge import ServiceDoc
from assistant.engine.account_names import AccountName, NameResolver
from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.store.account_store import AccountStore

ACCOUNT_ID = re.compile(r"^\s*acc-?(\d{3,})\s*$", re.I)
OPPORTUNITY_ID = re.compile(r"\bopp-?(\d{3,})\b", re.I)
ACCEPT = 90  # a fuzzy name match is taken at this score when no rival is as close
WORD = re.compile(r"[a-z0-9]+")
STOP = frozenset({"and", "the", "of", "for", "a", "an"})
GENERIC = frozenset({"services", "one-pager", "service"})  # tags every one-pager has


def closest(query: str, labels: Sequence[str], limit: int = 3) -> list[str]:
    found = process.extract(query, list(labels), scorer=fuzz.WRatio, limit=limit)
    return [label for label, score, _ in found if score >= 45]


def _missing(
    what: str, query: str, labels: Sequence[str], everything: bool = False
) -> NotFoundError:
    """A 404 naming the closest labels (or, with `everything`, all of them when none is)."""
    near = closest(query, labels)
    if near:
        hint = f"; closest: {'; '.join(near)}"
    else:
        hint = f"; {what}s: {'; '.join(labels)}" if everything and labels else ""
    return NotFoundError(f"{what} '{query}' not found{hint}")


def resolve_account(store: AccountStore, principal: Principal, query: str) -> str:
    """An account id from an id or a name."""
    visible = store.accounts(principal.accounts)
    labels = [f"{a.name} ({a.id})" for a in visible]
    by_id = ACCOUNT_ID.match(query)
    if by_id:
        account_id = principal.require(f"ACC-{by_id.group(1)}")
        if any(a.id == account_id for a in visible):
            return account_id
        raise _missing("account", account_id, labels)
    wanted = query.strip().casefold()
    exact = [a.id for a in visible if a.name.casefold() == wanted]
    if exact:
        return exact[0]
    # as chat resolves names (partial, lower-case, typos: the planner's entity resolution)
    match = NameResolver([AccountName(a.id, a.name) for a in visible]).resolve(query)
    if match.status == "found" and match.account is not None:
        return match.account.id
    names = {a.name: a.id for a in visible}
    found = process.extract(query, list(names), scorer=fuzz.WRatio, limit=2)
    if found and found[0][1] >= ACCEPT and (len(found) == 1 or found[1][1] < found[0][1]):
        return names[found[0][0]]
    raise _missing("account", query.strip(), labels)


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP]


def resolve_service(services: Sequence[ServiceDoc], query: str) -> ServiceDoc:
    """A service from its id ("observability-quick-start") or its name, in part or in full."""
    wanted = " ".join(_words(query))
    labels = [f"{s.title} ({s.id})" for s in services]
    if not wanted:
        raise _missing("service", query, labels, everything=True)
    for service in services:
        if wanted in (" ".join(_words(service.id)), " ".join(_words(service.title))):
            return service
    covering = [s for s in services if set(wanted.split()) <= _vocabulary(s)]
    if len(covering) == 1:
        return covering[0]
    scored = sorted(
        ((fuzz.token_set_ratio(wanted, " ".join(_words(s.title))), s.id, s) for s in services),
        key=lambda item: (-item[0], item[1]),
    )
    if scored and scored[0][0] >= ACCEPT and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][2]
    raise _missing("service", query.strip(), labels, everything=True)


def _vocabulary(service: ServiceDoc) -> set[str]:
    return set(_words(service.title)) | set(_words(service.id)) | set(service.tags) - GENERIC


def find_service(services: Sequence[ServiceDoc], message: str) -> ServiceDoc | None:
    """The service a chat message names: the most words of its name and tags present (two,
    or one word of five letters or more that no other service has), ties broken by share."""
    said = set(_words(message))
    counts: dict[str, int] = {}
    for service in services:
        for word in _vocabulary(service):
            counts[word] = counts.get(word, 0) + 1
    best: tuple[int, float, ServiceDoc] | None = None
    for service in services:
        words = _vocabulary(service)
        hits = {w for w in words if w in said}
        distinct = any(counts.get(w, 0) == 1 and len(w) >= 5 for w in hits)
        if len(hits) >= 2 or distinct:
            rank = (len(hits), len(hits) / len(words), service)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


def resolve_opportunity(store: AccountStore, principal: Principal, query: str) -> str:
    visible = store.opportunities([a.id for a in store.accounts(principal.accounts)])
    labels = [f"{o.id} {o.name}" for o in visible]
    found = OPPORTUNITY_ID.search(query)
    wanted = f"OPP-{found.group(1)}" if found else query.strip()
    if any(o.id == wanted for o in visible):
        return wanted
    # an id gets no "closest" hint: nearest ids would differ between a hidden and a missing
    # opportunity, so both get the very same answer (no existence probing)
    near = [] if found else closest(wanted, labels)
    hint = f"; closest: {'; '.join(near)}" if near else ""
    raise NotFoundError(f"opportunity '{wanted}' is not among the opportunities you may see{hint}")
