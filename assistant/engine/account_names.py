"""Find the account a message names: ids, full or partial names, typos (rapidfuzz).

Only the accounts the caller may see are candidates, so neither a match nor a suggestion
can reveal an account outside the caller's scope.

Aliases of an account are its full name, every prefix of two or more words ("Acme
Pharma(ceuticals)" for "Acme Pharmaceuticals Group") and its first word alone ("Acme"). The
first word alone counts only when the message writes it as a name (capitalised) or when it
is no ordinary word of the knowledge base (`ordinary`, from the index's vocabulary), so
an ordinary word in a question ("red", "summit") does not pick an account whose name
starts with it. No word list: the data decides. A longer alias beats a
shorter one, so "Acme Traders" is one account while "Acme" alone is ambiguous between
two accounts whose names start with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

ID = re.compile(r"\bacc-?(\d{3,})\b", re.I)
WORD = re.compile(r"[a-z0-9]+")
CASED_WORD = re.compile(r"[a-z0-9]+", re.I)
POSSESSIVE = re.compile(r"['’]s\b")
TOKEN_MIN = 80  # every word of a multi-word alias must be at least this close
ALIAS_MIN = 88  # and the words on average this close
SHORT = 5  # single words this short must match exactly


@dataclass(frozen=True)
class AccountName:
    id: str
    name: str


@dataclass(frozen=True)
class NameMatch:
    """found: one account; ambiguous: candidates to choose from; unknown: a named account
    that is not among the visible ones (`suggestions` are the closest); none: no mention."""

    status: Literal["found", "ambiguous", "unknown", "none"]
    accounts: tuple[AccountName, ...] = ()
    mention: str | None = None
    suggestions: tuple[AccountName, ...] = field(default=())

    @property
    def account(self) -> AccountName | None:
        return self.accounts[0] if self.status == "found" else None


@dataclass(frozen=True)
class _Hit:
    account: AccountName
    words: int  # alias length in words
    score: float
    start: int
    end: int


def words_of(text: str) -> list[str]:
    return WORD.findall(POSSESSIVE.sub("", text.lower()))


class NameResolver:
    def __init__(
        self, accounts: Sequence[AccountName], ordinary: Callable[[str], bool] | None = None
    ) -> None:
        self.accounts = list(accounts)
        self._ordinary = ordinary
        self._by_id = {a.id: a for a in self.accounts}
        self._aliases: list[tuple[AccountName, list[str]]] = []
        for account in self.accounts:
            tokens = words_of(account.name)
            for size in range(len(tokens), 1, -1):
                self._aliases.append((account, tokens[:size]))
            if len(tokens) == 1 or (tokens and len(tokens[0]) >= 4):
                self._aliases.append((account, tokens[:1]))
        self._whole = {a.id for a in self.accounts if len(words_of(a.name)) == 1}

    @property
    def ordinary_known(self) -> bool:
        return self._ordinary is not None

    def is_ordinary(self, word: str) -> bool:
        """An everyday word of the knowledge base (never a name on its own)."""
        return self._ordinary is not None and self._ordinary(word)

    def resolve(self, message: str) -> NameMatch:
        explicit = ID.search(message)
        if explicit:
            account_id = f"ACC-{explicit.group(1)}"
            account = self._by_id.get(account_id)
            if account is None:
                return NameMatch("unknown", mention=account_id)
            return NameMatch("found", (account,), account_id)
        hits = self._hits(words_of(message), _cased(message))
        if not hits:
            return NameMatch("none")
        best = max(hits, key=lambda h: (h.words, h.score, -h.start))
        rivals = {
            h.account
            for h in hits
            if h.words == best.words and h.score >= best.score - 2 and _overlap(h, best)
        }
        mention = " ".join(words_of(message)[best.start : best.end])
        if len(rivals) > 1:
            ordered = tuple(sorted(rivals, key=lambda a: a.name))
            return NameMatch("ambiguous", ordered, mention)
        return NameMatch("found", (best.account,), mention)

    def suggest(self, mention: str, limit: int = 3) -> tuple[AccountName, ...]:
        """The visible accounts whose names are closest to a mention that matched nothing."""
        names = {a.name: a for a in self.accounts}
        found = process.extract(mention, list(names), scorer=fuzz.WRatio, limit=limit)
        return tuple(names[name] for name, score, _ in found if score >= 50)

    def _hits(self, message_words: list[str], cased: list[bool]) -> list[_Hit]:
        best: dict[str, _Hit] = {}
        for account, alias in self._aliases:
            size = len(alias)
            for start in range(len(message_words) - size + 1):
                window = message_words[start : start + size]
                score = _alias_score(window, alias)
                if score is None:
                    continue
                if (
                    size == 1
                    and account.id not in self._whole
                    and not cased[start]
                    and (self._ordinary is None or self._ordinary(window[0]))
                ):
                    continue  # a lower-case ordinary word is not a name
                hit = _Hit(account, size, score, start, start + size)
                current = best.get(account.id)
                if current is None or (hit.words, hit.score) > (current.words, current.score):
                    best[account.id] = hit
        return list(best.values())


def _cased(message: str) -> list[bool]:
    """Per word of `words_of(message)`: is it written capitalised (as a name)?"""
    return [w[:1].isupper() for w in CASED_WORD.findall(POSSESSIVE.sub("", message))]


def _alias_score(window: list[str], alias: list[str]) -> float | None:
    if len(alias) == 1:
        word, target = window[0], alias[0]
        if word == target:
            return 100.0
        if len(target) <= SHORT or len(word) <= SHORT - 1:
            return None
        score = fuzz.ratio(word, target)
        return score if score >= ALIAS_MIN else None
    scores: list[float] = []
    for position, (word, target) in enumerate(zip(window, alias, strict=True)):
        if word == target:
            scores.append(100.0)
        elif position > 0 and len(word) >= 4 and target.startswith(word):
            scores.append(95.0)  # "Acme Pharma" for "Acme Pharmaceuticals"
        elif len(target) > SHORT - 1 and len(word) > SHORT - 2:
            scores.append(fuzz.ratio(word, target))
        else:
            return None
    mean = sum(scores) / len(scores)
    return mean if min(scores) >= TOKEN_MIN and mean >= ALIAS_MIN else None


def _overlap(a: _Hit, b: _Hit) -> bool:
    return a.start < b.end and b.start < a.end
