"""Portfolio tools: renewals due in a window, and the expansion 2x2."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from assistant.principal import Principal
from assistant.tools import rules
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult

Segment = Literal["enterprise", "mid_market", "smb"]
QUADRANTS: tuple[rules.Quadrant, ...] = ("Expand", "Advocate", "Fix adoption", "Save")


class RenewalsInput(ToolInput):
    days: int = Field(default=90, ge=1, le=1095, description="renewing within this many days")
    bands: list[rules.Band] | None = Field(
        default=None, description="only these health bands, e.g. [red] or [red, orange]"
    )
    segment: Segment | None = Field(default=None, description="only this segment")


class Renewal(BaseModel):
    account_id: str
    name: str
    segment: str
    arr: int
    renewal_date: dt.date
    days_to_renewal: int
    overall: int | None
    band: rules.Band | None
    trend: rules.Direction | None = Field(description="12-month trend of the overall score")
    csm: str


class Renewals(ToolResult):
    days: int
    window_end: dt.date
    count: int
    renewals: list[Renewal]
    total_arr: int


def renewals_due(ctx: ToolContext, args: RenewalsInput, principal: Principal) -> Renewals:
    """Accounts renewing between today and today + N days (default 90), soonest first, with
    ARR, days to renewal, latest health score, band and 12-month trend; optionally only
    some health bands (red, orange, yellow, green) and one segment."""
    today = ctx.clock()
    end = today + dt.timedelta(days=args.days)
    due = [
        a
        for a in ctx.store.accounts(principal.accounts)
        if today <= a.renewal_date <= end and args.segment in (None, a.segment)
    ]
    start = rules.window_start(today, 12)
    renewals: list[Renewal] = []
    for account in sorted(due, key=lambda a: (a.renewal_date, a.id)):
        history = ctx.store.health(account.id, start, today)
        latest = history[-1].overall if history else None
        band = rules.health_band(latest) if latest is not None else None
        if args.bands is not None and band not in args.bands:
            continue
        renewals.append(
            Renewal(
                account_id=account.id,
                name=account.name,
                segment=account.segment,
                arr=account.arr,
                renewal_date=account.renewal_date,
                days_to_renewal=(account.renewal_date - today).days,
                overall=latest,
                band=band,
                trend=rules.trend_direction(history[0].overall, history[-1].overall)
                if history
                else None,
                csm=account.csm,
            )
        )
    return Renewals(
        as_of=today,
        source=["accounts", "health_snapshots"],
        days=args.days,
        window_end=end,
        count=len(renewals),
        renewals=renewals,
        total_arr=sum(r.arr for r in renewals),
    )


class ExpansionInput(ToolInput):
    quadrant: rules.Quadrant | None = Field(default=None, description="only this quadrant")
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
    band: rules.Band
    quadrant: rules.Quadrant


class ExpansionTargets(ToolResult):
    placements: list[Placement] = Field(description="Expand first, lowest ARR per employee first")
    counts: dict[str, int] = Field(description="accounts per quadrant")
    low_penetration_below: int = Field(description="ARR per employee (USD) that is low")
    healthy_from: int = Field(description="health score from which an account is healthy")


def expansion_targets(
    ctx: ToolContext, args: ExpansionInput, principal: Principal
) -> ExpansionTargets:
    """The expansion 2x2: ARR per employee (below $150 is low penetration) against the latest
    health score (60 and above is healthy). Healthy + low = Expand (best expansion targets),
    healthy + high = Advocate, unhealthy + low = Fix adoption, unhealthy + high = Save.
    Optionally one quadrant or one account."""
    today = ctx.clock()
    if args.account_id is not None:
        accounts = [ctx.store.account(principal.require(args.account_id))]
    else:
        accounts = ctx.store.accounts(principal.accounts)
    latest = ctx.store.latest_health([a.id for a in accounts], today)
    placements: list[Placement] = []
    for account in accounts:
        snapshot = latest.get(account.id)
        if snapshot is None:
            continue
        low = rules.low_penetration(account.arr, account.employees)
        placements.append(
            Placement(
                account_id=account.id,
                name=account.name,
                segment=account.segment,
                arr=account.arr,
                employees=account.employees,
                arr_per_employee=round(account.arr / account.employees, 2),
                penetration="low" if low else "high",
                overall=snapshot.overall,
                band=rules.health_band(snapshot.overall),
                quadrant=rules.quadrant(snapshot.overall, account.arr, account.employees),
            )
        )
    counts: dict[str, int] = {q: sum(1 for p in placements if p.quadrant == q) for q in QUADRANTS}
    if args.quadrant is not None:
        placements = [p for p in placements if p.quadrant == args.quadrant]
    placements.sort(key=lambda p: (QUADRANTS.index(p.quadrant), p.arr_per_employee, p.account_id))
    as_of = max((s.month for s in latest.values()), default=today)
    return ExpansionTargets(
        as_of=as_of,
        source=["accounts", "health_snapshots"],
        placements=placements,
        counts=counts,
        low_penetration_below=rules.PENETRATION_THRESHOLD,
        healthy_from=rules.HEALTHY_FROM,
    )
