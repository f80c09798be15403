"""Account overview and the list of accounts the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from assistant.principal import Principal
from assistant.store.accounts import Account
from assistant.tools import rules
from assistant.tools.base import AccountInput, ToolContext, ToolInput, ToolResult

Segment = Literal["enterprise", "mid_market", "smb"]


class AccountOverview(ToolResult):
    account_id: str
    name: str
    industry: str
    segment: str
    employees: int
    arr: int = Field(description="annual recurring revenue in USD")
    arr_per_employee: float = Field(description="ARR penetration in USD per employee")
    penetration: Literal["low", "high"] = Field(description="low below $150 per employee")
    contract_start: dt.date
    renewal_date: dt.date
    days_to_renewal: int = Field(description="days from today (the clock) to the renewal")
    csm: str
    account_exec: str
    partner: str | None
    partner_role: str = Field(description="sales_agent, cs_manager or none")
    stage: str = Field(description="lifecycle stage: land, onboard, adopt, expand, renew")


def overview_of(account: Account, today: dt.date) -> AccountOverview:
    return AccountOverview(
        as_of=today,
        source=["accounts"],
        account_id=account.id,
        name=account.name,
        industry=account.industry,
        segment=account.segment,
        employees=account.employees,
        arr=account.arr,
        arr_per_employee=round(account.arr / account.employees, 2),
        penetration="low" if rules.low_penetration(account.arr, account.employees) else "high",
        contract_start=account.contract_start,
        renewal_date=account.renewal_date,
        days_to_renewal=(account.renewal_date - today).days,
        csm=account.csm,
        account_exec=account.account_exec,
        partner=account.partner,
        partner_role=account.partner_role,
        stage=account.stage,
    )


def account_overview(ctx: ToolContext, args: AccountInput, principal: Principal) -> AccountOverview:
    """Overview of one account: ARR, employees, ARR per employee, renewal date and days to
    renewal, CSM, account executive, partner and partner role, and lifecycle stage."""
    account_id = principal.require(args.account_id)
    return overview_of(ctx.store.account(account_id), ctx.clock())


class ListAccountsInput(ToolInput):
    segment: Segment | None = Field(default=None, description="only accounts of this segment")
    bands: list[rules.Band] | None = Field(
        default=None, description="only these health bands, e.g. [red, orange] for at risk"
    )


class AccountSummary(BaseModel):
    account_id: str
    name: str
    segment: str
    arr: int
    renewal_date: dt.date
    days_to_renewal: int
    overall: int | None = Field(description="latest overall health score")
    band: rules.Band | None


class AccountList(ToolResult):
    count: int
    accounts: list[AccountSummary]


def list_accounts(ctx: ToolContext, args: ListAccountsInput, principal: Principal) -> AccountList:
    """The accounts you may see (id, name, segment, ARR, renewal, latest health score and
    band), optionally only one segment and some health bands (at risk: red and orange).
    Use it to find an account's id by its name."""
    today = ctx.clock()
    accounts = [
        a for a in ctx.store.accounts(principal.accounts) if args.segment in (None, a.segment)
    ]
    latest = ctx.store.latest_health([a.id for a in accounts], today)
    summaries = [
        AccountSummary(
            account_id=a.id,
            name=a.name,
            segment=a.segment,
            arr=a.arr,
            renewal_date=a.renewal_date,
            days_to_renewal=(a.renewal_date - today).days,
            overall=latest[a.id].overall if a.id in latest else None,
            band=rules.health_band(latest[a.id].overall) if a.id in latest else None,
        )
        for a in accounts
    ]
    if args.bands is not None:
        summaries = [s for s in summaries if s.band in args.bands]
    return AccountList(
        as_of=today,
        source=["accounts", "health_snapshots"],
        count=len(summaries),
        accounts=summaries,
    )
