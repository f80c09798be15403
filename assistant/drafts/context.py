"""What a draft builder works with: the evidence ledger, the knowledge index, the accounts
store and the clock; plus the store reads no tool covers (verified outcomes)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from assistant.drafts.evidence import Evidenced, Ledger, Quote, needed
from assistant.drafts.knowledge import GUIDANCE, Knowledge
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

    def pick(
        self,
        suffix: str,
        *,
        must: str | None = None,
        limit: int = 2,
        doc_types: frozenset[str] | None = GUIDANCE,
        title: str | None = None,
        source: str | None = None,
        query: str | None = None,
    ) -> list[Quote]:
        return self.knowledge.pick(
            self.principal,
            suffix,
            must=must,
            limit=limit,
            doc_types=doc_types,
            title=title,
            source=source,
            query=query,
        )

    def guidance(
        self,
        suffix: str,
        *,
        must: str | None = None,
        limit: int = 2,
        tools: tuple[str, ...] = (),
        query: str | None = None,
        missing: str = "",
        doc_types: frozenset[str] | None = GUIDANCE,
        title: str | None = None,
        source: str | None = None,
    ) -> Evidenced[str]:
        """Quoted guidance of a section, citing its chunks (needs input when none found)."""
        quotes = self.pick(
            suffix,
            must=must,
            limit=limit,
            doc_types=doc_types,
            title=title,
            source=source,
            query=query,
        )
        return self.ledger.quoted(
            quotes, tools=tools, missing=missing or f"no guidance on '{suffix}' found"
        )

    def cite_first(
        self, suffix: str, must: str | None = None, doc_types: frozenset[str] | None = GUIDANCE
    ) -> list[int]:
        """Citation markers of the first matching sentence (empty when none matches)."""
        quotes = self.pick(suffix, must=must, limit=1, doc_types=doc_types)
        return [self.ledger.cite(q.chunk) for q in quotes]

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
