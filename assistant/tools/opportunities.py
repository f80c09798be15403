"""Open opportunities with their qualification fields (the rules' framework, e.g. MEDDICC)
and the gaps in them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from assistant.errors import NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.rules.models import Rules
from assistant.store.accounts import Opportunity
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult

OpportunityId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Oo][Pp][Pp]-\d{3,}$")
]


class OpportunityInput(ToolInput):
    opportunity_id: OpportunityId | None = Field(default=None, description="e.g. OPP-007")
    account_id: AccountId | None = Field(default=None, description="every opportunity of it")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.opportunity_id is None) == (self.account_id is None):
            raise ValueError("give exactly one of opportunity_id or account_id")
        return self


class OpportunityView(BaseModel):
    id: str
    account_id: str
    account_name: str
    name: str
    service: str
    stage: str
    amount: int
    close_date: dt.date
    days_to_close: int
    framework: str = Field(description="the qualification framework, e.g. MEDDICC")
    meddicc: dict[str, str | None] = Field(description="each qualification field by key")
    captured: int = Field(description="qualification fields captured")
    total_fields: int = Field(description="qualification fields in all")
    missing: list[str] = Field(description="qualification fields not captured yet (keys)")


class Opportunities(ToolResult):
    opportunities: list[OpportunityView]


def opportunity(ctx: ToolContext, args: OpportunityInput, principal: Principal) -> Opportunities:
    """An opportunity (by id) or every open opportunity of an account, with service, stage,
    amount, close date and the fields of the qualification framework (MEDDICC: metrics,
    economic buyer, decision criteria, decision process, identify pain, champion,
    competition, compelling event; or the rules' own), listing the fields not captured
    yet."""
    today = ctx.clock()
    if args.opportunity_id is not None:
        rows = [_visible_opportunity(ctx, args.opportunity_id, principal)]
    else:
        account_id = principal.require(str(args.account_id))
        ctx.store.account(account_id)
        rows = ctx.store.opportunities([account_id])
    names = {a.id: a.name for a in ctx.store.accounts(frozenset(r.account_id for r in rows))}
    views = [_view(ctx.rules, row, names[row.account_id], today) for row in rows]
    as_of = max((row.as_of for row in rows), default=today)
    return Opportunities(as_of=as_of, source=["opportunities"], opportunities=views)


def _visible_opportunity(
    ctx: ToolContext, opportunity_id: str, principal: Principal
) -> Opportunity:
    """Scoped callers get the same answer for a missing and a hidden opportunity."""
    try:
        row = ctx.store.opportunity(opportunity_id)
    except NotFoundError:
        if principal.accounts is None:
            raise
        row = None
    if row is None or not principal.can_see(row.account_id):
        raise PermissionDeniedError(
            f"opportunity {opportunity_id} is not among the opportunities you may see"
        )
    return row


def _view(rules: Rules, row: Opportunity, account_name: str, today: dt.date) -> OpportunityView:
    keys = rules.qualification_keys
    fields = {key: getattr(row, key) for key in keys}
    missing = [key for key in keys if not fields[key]]
    return OpportunityView(
        id=row.id,
        account_id=row.account_id,
        account_name=account_name,
        name=row.name,
        service=row.service,
        stage=row.stage,
        amount=row.amount,
        close_date=row.close_date,
        days_to_close=(row.close_date - today).days,
        framework=rules.qualification.name,
        meddicc=fields,
        captured=len(keys) - len(missing),
        total_fields=len(keys),
        missing=missing,
    )
