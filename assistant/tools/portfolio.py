"""Portfolio tools: renewals due in a window (with the portfolio filters), and the
expansion 2x2 of the rules (penetration threshold, healthy_from, quadrant names)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from assistant.principal import Principal
from assistant.tools.base import AccountId, ToolContext, ToolResult
from assistant.tools.filters import (
    Breakdown,
    Group,
    PooledNps,
    PortfolioFilters,
    PortfolioRow,
    check_names,
    extra_sources,
    listed,
    matching,
    select_accounts,
    totals,
)


class RenewalsInput(Breakdown):
    days: int = Field(default=90, ge=1, le=1095, description="renewing within this many days")


class Renewal(PortfolioRow):
    pass


class Renewals(ToolResult):
    days: int
    window_end: dt.date
    count: int = Field(description="accounts listed (after the top-N cut)")
    matched: int = Field(description="accounts renewing in the window with the filters")
    renewals: list[Renewal]
    total_arr: int = Field(description="ARR of the accounts listed")
    average_health: float | None = Field(description="mean health score of those listed")
    pooled_nps: PooledNps | None = Field(
        default=None, description="NPS of all answers of those listed (when surveys are read)"
    )
    groups: list[Group] | None = Field(default=None, description="the group_by breakdown")


def renewals_due(ctx: ToolContext, args: RenewalsInput, principal: Principal) -> Renewals:
    """Accounts renewing between today and today + `days` (default 90), soonest first, with
    the rows, filters, order, cut and breakdown of list_accounts; `count` is what is listed,
    `matched` every account in the window."""
    today = ctx.clock()
    end = today + dt.timedelta(days=args.days)
    start = max(today, args.renewal_from) if args.renewal_from else today
    last = min(end, args.renewal_to) if args.renewal_to else end
    window = args.model_copy(
        update={"renewal_from": start, "renewal_to": last, "sort": args.sort or "renewal_date"}
    )
    rows = matching(ctx, ctx.store.accounts(principal.accounts), window)
    shown = listed(rows, window)
    return Renewals(
        as_of=today,
        source=["accounts", "health_snapshots", *extra_sources(args)],
        days=args.days,
        window_end=end,
        renewals=[Renewal(**row.model_dump()) for row in shown],
        **totals(rows, shown, window),
    )


class ExpansionInput(PortfolioFilters):
    account_id: AccountId | None = Field(default=None, description="only this account")


class Placement(BaseModel):
    account_id: str
    name: str
    segment: str
    arr: int
    employees: int
    arr_per_employee: float
    penetration: Literal["low", "high"]
    overall: int
    band: str
    quadrant: str
    motion: str | None = Field(default=None, description="what the quadrant calls for")


class ExpansionTargets(ToolResult):
    placements: list[Placement] = Field(
        description="in the rules' quadrant order, lowest ARR per employee first"
    )
    counts: dict[str, int] = Field(description="accounts per quadrant")
    low_penetration_below: float = Field(description="ARR per employee (USD) that is low")
    healthy_from: int = Field(description="health score from which an account is healthy")


def expansion_targets(
    ctx: ToolContext, args: ExpansionInput, principal: Principal
) -> ExpansionTargets:
    """The expansion 2x2 of the rules: ARR per employee (low penetration below the
    rules' threshold) against the latest health score (healthy from the rules' threshold),
    each account in its quadrant (e.g. healthy + low penetration = the best expansion
    targets) with the quadrant's motion. Optionally
    one quadrant, one account, or the portfolio filters of list_accounts."""
    rules, today = ctx.rules, ctx.clock()
    if args.account_id is not None:
        accounts = [ctx.store.account(principal.require(args.account_id))]
    else:
        accounts = ctx.store.accounts(principal.accounts)
    everyone = select_accounts(
        ctx, accounts, args.model_copy(update={"quadrant": None, "limit": None})
    )
    by_id = {a.id: a for a in accounts}
    order = rules.quadrant_names
    motions = {q.name: q.motion for q in rules.expansion.quadrants}
    placements = [
        Placement(
            account_id=row.account_id,
            name=row.name,
            segment=row.segment,
            arr=row.arr,
            employees=by_id[row.account_id].employees,
            arr_per_employee=round(row.arr / by_id[row.account_id].employees, 2),
            penetration="low"
            if rules.low_penetration(row.arr, by_id[row.account_id].employees)
            else "high",
            overall=row.overall,
            band=row.band or "",
            quadrant=row.quadrant,
            motion=motions.get(row.quadrant),
        )
        for row in everyone
        if row.overall is not None and row.quadrant is not None
    ]
    counts = {q: sum(1 for p in placements if p.quadrant == q) for q in order}
    _, quadrant = check_names(rules, args)
    if quadrant is not None:
        placements = [p for p in placements if p.quadrant == quadrant]
    if args.sort is None:
        placements.sort(key=lambda p: (order.index(p.quadrant), p.arr_per_employee, p.account_id))
    if args.limit is not None:
        placements = placements[: args.limit]
    latest = ctx.store.latest_health([p.account_id for p in placements], today)
    as_of = max((s.month for s in latest.values()), default=today)
    return ExpansionTargets(
        as_of=as_of,
        source=["accounts", "health_snapshots"],
        placements=placements,
        counts=counts,
        low_penetration_below=rules.expansion.penetration.low_below,
        healthy_from=rules.health.healthy_from,
    )
