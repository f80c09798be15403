"""Open opportunities with their qualification fields (the rules' framework, e.g. MEDDICC)
and the gaps in them: one opportunity or account's (`opportunity`), or the pipeline across
the accounts a caller may see (`pipeline`: close window, service, stage, a field missing)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.principal import Principal
from assistant.rules.models import Rules
from assistant.store.accounts import Opportunity
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult
from assistant.tools.filters import top

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


class PipelineInput(ToolInput):
    close_from: dt.date | None = Field(default=None, description="closing on or after")
    close_to: dt.date | None = Field(default=None, description="closing on or before")
    service: str | None = Field(default=None, description="only deals for this service")
    stage: str | None = Field(default=None, description="only deals at this stage")
    missing: str | None = Field(
        default=None, description="only deals without this qualification field (key or label)"
    )
    opportunity_ids: list[OpportunityId] | None = Field(
        default=None, description="only these deals (a follow-up on a list of them)"
    )
    sort: Literal["close_date", "amount"] = Field(default="close_date")
    descending: bool = Field(default=False, description="latest / largest first")
    limit: int | None = Field(default=None, ge=1, le=500, description="at most this many")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.close_from and self.close_to and self.close_from > self.close_to:
            raise ValueError(f"close_from {self.close_from} is after close_to {self.close_to}")
        return self


class Pipeline(Opportunities):
    count: int = Field(description="opportunities listed (after the top-N cut)")
    matched: int = Field(description="opportunities the filters keep")
    total_amount: int = Field(description="amount of the opportunities listed")


def pipeline(ctx: ToolContext, args: PipelineInput, principal: Principal) -> Pipeline:
    """The open opportunities of every account you may see, soonest close first (or by
    amount), optionally closing in a window (close_from, close_to), for one service, at one
    stage, or without one qualification field (e.g. champion); each with its account,
    amount, close date and the fields still missing; with the total amount."""
    today = ctx.clock()
    rules = ctx.rules
    missing = _field_key(rules, args.missing) if args.missing else None
    accounts = {a.id: a.name for a in ctx.store.accounts(principal.accounts)}
    rows = [
        row
        for row in ctx.store.opportunities(sorted(accounts))
        if (args.close_from is None or row.close_date >= args.close_from)
        and (args.close_to is None or row.close_date <= args.close_to)
        and (args.service is None or _same(row.service, args.service))
        and (args.stage is None or _same(row.stage, args.stage))
        and (missing is None or not getattr(row, missing))
        and (args.opportunity_ids is None or row.id in args.opportunity_ids)
    ]
    rows.sort(
        key=lambda r: r.close_date.toordinal() if args.sort == "close_date" else r.amount,
        reverse=args.descending,
    )
    shown = top(rows, args.limit)
    views = [_view(rules, row, accounts[row.account_id], today) for row in shown]
    return Pipeline(
        as_of=max((row.as_of for row in rows), default=today),
        source=["opportunities"],
        opportunities=views,
        count=len(views),
        matched=len(rows),
        total_amount=sum(v.amount for v in views),
    )


def _same(value: str, wanted: str) -> bool:
    """ "proof of concept" is "proof_of_concept"; case does not matter."""

    def norm(text: str) -> str:
        return " ".join(text.replace("_", " ").replace("-", " ").lower().split())

    return norm(value) == norm(wanted)


def _field_key(rules: Rules, name: str) -> str:
    """The key of a qualification field given by key or label; an error lists them."""
    for field in rules.qualification.fields:
        if _same(field.key, name) or _same(field.label, name):
            return field.key
    labels = ", ".join(f.label for f in rules.qualification.fields)
    raise InvalidInputError(f"unknown {rules.qualification.name} field '{name}'; fields: {labels}")
