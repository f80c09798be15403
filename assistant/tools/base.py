"""What every tool shares: its context (store + clock), the provenance every result carries,
and the argument types tools reuse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant.rules.models import Rules
from assistant.store.account_store import AccountStore

AccountId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Aa][Cc][Cc]-\d{3,}$"),
    Field(description="account id, e.g. ACC-001"),
]


@dataclass(frozen=True)
class ToolContext:
    store: AccountStore
    clock: Callable[[], dt.date]
    rules: Rules


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountInput(ToolInput):
    account_id: AccountId


class ToolResult(BaseModel):
    """Provenance: the date the figures hold for, and the tables they come from."""

    as_of: dt.date = Field(description="date the figures hold for")
    source: list[str] = Field(description="accounts-store tables the figures come from")
