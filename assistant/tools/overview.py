"""Account overview and the list of accounts the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from assistant.principal import Principal
from assistant.rules.models import Rules
from assistant.store.accounts import Account
from assistant.tools.base import AccountInput, ToolContext, ToolResult
from assistant.tools.filters import (
    Breakdown,
    Group,
    PooledNps,
    PortfolioRow,
    extra_sources,
    listed,
    matching,
    totals,
)


class AccountOverview(ToolResult):
    account_id: str
    name: str
    industry: str
    segment: str
    employees: int
    arr: int = Field(description="annual recurring revenue in USD")
    arr_per_employee: float = Field(description="ARR penetration in USD per employee")
    penetration: Literal["low", "high"] = Field(
        description="low below the expansion rules' ARR per employee"
    )
    contract_start: dt.date
    renewal_date: dt.date
    days_to_renewal: int = Field(description="days from today (the clock) to the renewal")
    csm: str
    account_exec: str
    partner: str | None
    partner_role: str = Field(description="sales_agent, cs_manager or none")
    stage: str = Field(description="lifecycle stage: land, onboard, adopt, expand, renew")


def overview_of(rules: Rules, account: Account, today: dt.date) -> AccountOverview:
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
    return overview_of(ctx.rules, ctx.store.account(account_id), ctx.clock())


class ListAccountsInput(Breakdown):
    pass


AccountSummary = PortfolioRow


class AccountList(ToolResult):
    count: int = Field(description="accounts listed (after the top-N cut)")
    matched: int = Field(description="accounts the filters keep")
    accounts: list[PortfolioRow]
    total_arr: int = Field(description="ARR of the accounts listed")
    average_health: float | None = Field(description="mean health score of those listed")
    pooled_nps: PooledNps | None = Field(
        default=None, description="NPS of all answers of those listed (when surveys are read)"
    )
    groups: list[Group] | None = Field(default=None, description="the group_by breakdown")


def list_accounts(ctx: ToolContext, args: ListAccountsInput, principal: Principal) -> AccountList:
    """The accounts you may see, each with owners, ARR, renewal, latest health score, band,
    trend and expansion quadrant; the parameters filter, sort and cut them (`matched` counts
    every account the filters keep) or break them down by group. Owner names are
    case-insensitive. Use it to find an account's id by its name."""
    rows = matching(ctx, ctx.store.accounts(principal.accounts), args)
    shown = listed(rows, args)
    return AccountList(
        as_of=ctx.clock(),
        source=["accounts", "health_snapshots", *extra_sources(args)],
        accounts=shown,
        **totals(rows, shown, args),
    )
