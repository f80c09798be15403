"""What a draft builder works with: the evidence ledger, the knowledge index, the accounts
store, the clock and the kind's template; plus the store reads no tool covers (verified
outcomes).

Guidance is asked for by the template's names: `ctx.guide("risks", "levers")` reads the
lookup `risks.guidance.levers` of the template (question, optional section hint) and finds
it in the knowledge base (`find`)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from assistant.drafts.evidence import Evidenced, Ledger, Quote, needed
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.templates import Lookup, Template
from assistant.engine.types import ToolCall
from assistant.errors import NotFoundError
from assistant.principal import Principal
from assistant.rules.models import Rules
from assistant.store.account_store import AccountStore
from assistant.store.accounts import Outcome
from assistant.tools.base import ToolResult
from assistant.tools.health import HealthScore

R = TypeVar("R", bound=ToolResult)
OUTCOMES_TOOL = "verified_outcomes"


def shift_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


@dataclass
class Context:
    ledger: Ledger
    knowledge: Knowledge
    store: AccountStore
    today: dt.date
    template: Template

    @property
    def principal(self) -> Principal:
        return self.ledger.principal

    @property
    def rules(self) -> Rules:
        """The business rules the tools use (windows, fields, modules, cadence)."""
        return self.ledger.registry.context.rules

    def run(self, kind: type[R], name: str, **arguments: object) -> R:
        return self.ledger.run(kind, name, **arguments)

    def health(self, account_id: str) -> HealthScore | None:
        """The health score, or None when no snapshot is recorded."""
        try:
            return self.run(HealthScore, "health_score", account_id=account_id)
        except NotFoundError as error:  # recorded: the fields that need input name it
            self.ledger.record(
                ToolCall(
                    name="health_score",
                    arguments={"account_id": account_id},
                    result={"error": str(error)},
                )
            )
            return None

    def find(
        self,
        section: str,
        name: str,
        *,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
        **fields: str,
    ) -> list[Quote]:
        """The quotes of the template's lookup `section.name`: the hinted section's sentences
        when the knowledge base has it; else the question, by meaning (within the document
        when `source` or `title` narrows it to one, or within the documents about an
        `account`)."""
        lookup = self.template.lookup(section, name)
        return self.lookup(lookup, source=source, title=title, account=account, **fields)

    def lookup(
        self,
        lookup: Lookup,
        *,
        source: str | None = None,
        title: str | None = None,
        account: str | None = None,
        **fields: str,
    ) -> list[Quote]:
        doc_types = frozenset(lookup.doc_types)
        quotes: list[Quote] = []
        if lookup.section:
            quotes = self.knowledge.pick(
                self.principal,
                fill(lookup.section, fields),
                must=fill(lookup.must, fields, regex=True) if lookup.must else None,
                limit=lookup.limit,
                doc_types=doc_types,
                source=source,
                title=title,
                account=account,
            )
        if quotes:
            return quotes
        question = fill(lookup.question, fields)
        if source is not None or title is not None or account is not None:
            return self.knowledge.closest(
                self.principal,
                question,
                lookup.limit,
                doc_types,
                source=source,
                title=title,
                account=account,
            )
        return self.knowledge.search(self.principal, question, lookup.limit, doc_types)

    def guide(
        self,
        section: str,
        name: str,
        *,
        tools: Sequence[str] = (),
        missing: str = "",
        source: str | None = None,
        title: str | None = None,
        **fields: str,
    ) -> Evidenced[str]:
        """Quoted guidance of a template lookup, citing its chunks (needs input when none
        is found, saying what to write)."""
        lookup = self.template.lookup(section, name)
        quotes = self.lookup(lookup, source=source, title=title, **fields)
        note = (
            missing or lookup.missing or f"no guidance found for '{fill(lookup.question, fields)}'"
        )
        quoted = self.ledger.quoted(quotes, tools=tools, missing=note)
        if lookup.clause and isinstance(quoted.value, str):
            quoted.value = own_clause(quoted.value, lookup.clause)
        return quoted

    def cite(self, section: str, name: str, **fields: str) -> list[int]:
        """Citation markers of the first sentence a lookup finds (empty when none)."""
        lookup = self.template.lookup(section, name).model_copy(update={"limit": 1})
        return [self.ledger.cite(q.chunk) for q in self.lookup(lookup, **fields)]

    def outcomes(self, account_id: str) -> list[Outcome]:
        """Verified outcomes of an account (no tool reads them yet: a scope-checked store
        read, recorded as a tool call with its provenance)."""
        account_id = self.principal.require(account_id)
        rows = self.store.outcomes(account_id)
        self.ledger.record(
            ToolCall(
                name=OUTCOMES_TOOL,
                arguments={"account_id": account_id},
                result={
                    "outcomes": [
                        {
                            "date": r.date.isoformat(),
                            "outcome": r.outcome,
                            "metric": r.metric,
                            "verified_by": r.verified_by,
                        }
                        for r in rows
                    ]
                },
                as_of=max((r.date for r in rows), default=self.today).isoformat(),
                source="outcomes",
            )
        )
        return rows

    def missing(self, note: str, *tools: str, citations: list[int] | None = None) -> Evidenced[str]:
        return needed(note, tools=tools, citations=citations or [])


_CLAUSE_BREAK = re.compile(r",\s+(?:and\s+|while\s+)?|;\s+|\s+while\s+")


def own_clause(sentence: str, pattern: str) -> str:
    """Of a sentence naming several people's duties ("the AE owns X, the SA shapes Y, and
    the CSM owns Z."), the one clause matching `pattern` as a sentence ("The CSM owns Z.");
    the sentence itself when no single clause matches (or it has one clause only)."""
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(sentence.strip()) if c.strip()]
    hits = [c for c in clauses if re.search(pattern, c, re.IGNORECASE)]
    if len(clauses) < 2 or len(hits) != 1:
        return sentence
    clause = hits[0].rstrip(".")
    return clause[:1].upper() + clause[1:] + "."


def fill(text: str, fields: dict[str, str], *, regex: bool = False) -> str:
    """`text` with each `{name}` replaced by the field and `{Name}` by it capitalised (only
    these, so a regex quantifier such as `{2}` is left alone)."""
    for key, value in fields.items():
        value = re.escape(value) if regex else value
        text = text.replace("{" + key + "}", value)
        text = text.replace("{" + key.capitalize() + "}", value[:1].upper() + value[1:])
    return text
