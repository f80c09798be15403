"""Metadata filters shared by the dense and the lexical retriever."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchFilter:
    """Which chunks a search may return.

    `doc_types`: only these document types. `account`: only chunks about this account.
    `visible_accounts`: the caller's scope (None means every account, as for an admin).

    The access rule fails closed: a chunk is visible to a scoped caller only when it is
    marked `restricted: false`, or when it shares an account tag with the scope. So a
    restricted chunk without account tags (an account note nobody tagged) is admins-only,
    and so is a chunk whose metadata lacks the flag. The Chroma `where` below says the same.
    """

    doc_types: frozenset[str] | None = None
    account: str | None = None
    visible_accounts: frozenset[str] | None = None

    @property
    def is_empty(self) -> bool:
        return self.doc_types is None and self.account is None and self.visible_accounts is None

    def matches(self, metadata: dict[str, Any]) -> bool:
        if self.doc_types is not None and metadata.get("doc_type") not in self.doc_types:
            return False
        accounts = metadata.get("accounts") or []
        if self.account is not None and self.account not in accounts:
            return False
        if self.visible_accounts is None or metadata.get("restricted") is False:
            return True
        return bool(self.visible_accounts.intersection(accounts))

    def chroma_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.doc_types is not None:
            clauses.append({"doc_type": {"$in": sorted(self.doc_types)}})
        if self.account is not None:
            clauses.append({"accounts": {"$contains": self.account}})
        if self.visible_accounts is not None:
            scope: list[dict[str, Any]] = [{"restricted": False}]
            scope += [{"accounts": {"$contains": a}} for a in sorted(self.visible_accounts)]
            clauses.append(scope[0] if len(scope) == 1 else {"$or": scope})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
