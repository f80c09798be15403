"""Chart specs from the tools' results: every plotted figure is a tool's figure.

The callers' scope is the tools' (`principal.require`); names, bands, levels, quadrant lines
and quadrant names are the rules'. The health trend's components come from the same
snapshots the `health_score` tool read for its trend (its window, its account check).
"""

from __future__ import annotations

from typing import Any

from assistant.charts.specs import (
    BandZone,
    HealthTrendChart,
    LicenseBar,
    LicenseChart,
    QuadrantCell,
    QuadrantChart,
    QuadrantPoint,
    Series,
    Table,
)
from assistant.principal import Principal
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.portfolio import ExpansionTargets
from assistant.tools.registry import ToolRegistry

TREND_MONTHS = 12


def health_trend(
    tools: ToolRegistry, principal: Principal, account_id: str, months: int = TREND_MONTHS
) -> HealthTrendChart:
    """The overall score and each component, month by month, over the last `months`."""
    score = tools.call("health_score", {"account_id": account_id, "months": months}, principal)
    assert isinstance(score, HealthScore)
    rules = tools.context.rules
    trend = score.trend
    snapshots = tools.context.store.health(score.account_id, trend.from_month, trend.to_month)
    by_month = {s.month: s for s in snapshots}
    axis = [p.month for p in trend.points]
    overall = Series(key="overall", label="Overall", values=[p.overall for p in trend.points])
    components = [
        Series(
            key=c.key,
            label=c.label,
            values=[int(getattr(by_month[m], c.key)) if m in by_month else None for m in axis],
        )
        for c in rules.health.components
    ]
    columns = ["month", overall.label, *(c.label for c in components)]
    rows: list[list[str | int | float | None]] = [
        [m.isoformat(), overall.values[i], *(c.values[i] for c in components)]
        for i, m in enumerate(axis)
    ]
    summary = (
        f"{score.name}: overall health {trend.from_score} in {trend.from_month:%B %Y} and "
        f"{trend.to_score} in {trend.to_month:%B %Y} ({trend.direction}, {score.band} band)."
    )
    return HealthTrendChart(
        title=f"{score.name}: health score, last {len(axis)} months",
        summary=summary,
        as_of=score.as_of,
        source=score.source,
        tool="health_score",
        table=Table(columns=columns, rows=rows),
        account_id=score.account_id,
        account_name=score.name,
        months=axis,
        overall=overall,
        components=components,
        bands=[
            BandZone(name=b.name, colour=b.colour, min=b.min, max=b.max) for b in rules.health.bands
        ],
        scale_max=rules.health.scale_max,
        healthy_from=rules.health.healthy_from,
    )


def license_bars(tools: ToolRegistry, principal: Principal, account_id: str) -> LicenseChart:
    """Licensed against active users per module, with the utilization and risk level."""
    result = tools.call("license_utilization", {"account_id": account_id}, principal)
    assert isinstance(result, LicenseUtilization)
    account = tools.context.store.account(principal.require(account_id))
    bars = [
        LicenseBar(
            module=m.module,
            licensed=m.licensed,
            active=m.active,
            utilization_pct=m.utilization_pct,  # the tool's figure, so a caption cites it
            risk=m.risk,
        )
        for m in result.modules
    ]
    rows: list[list[str | int | float | None]] = [
        [b.module, b.licensed, b.active, b.utilization_pct, b.risk] for b in bars
    ]
    if bars:
        lowest = min(bars, key=lambda b: (b.utilization_pct or 0.0, b.module))
        summary = (
            f"{account.name}: {len(bars)} licensed module(s); the lowest utilization is "
            f"{lowest.module} at {lowest.utilization_pct}% ({lowest.risk} risk)."
        )
    else:
        summary = f"{account.name}: no licenses recorded."
    return LicenseChart(
        title=f"{account.name}: license utilization by module",
        summary=summary,
        as_of=result.as_of,
        source=result.source,
        tool="license_utilization",
        table=Table(columns=["module", "licensed", "active", "utilization %", "risk"], rows=rows),
        account_id=account.id,
        account_name=account.name,
        bars=bars,
        levels=result.levels,
    )


def portfolio_quadrant(
    tools: ToolRegistry, principal: Principal, filters: dict[str, Any] | None = None
) -> QuadrantChart:
    """The expansion 2x2 of the accounts the caller may see (after the portfolio filters):
    ARR per employee against the health score, with the rules' lines and quadrant names."""
    result = tools.call("expansion_targets", dict(filters or {}), principal)
    assert isinstance(result, ExpansionTargets)
    rules = tools.context.rules
    points = [
        QuadrantPoint(
            account_id=p.account_id,
            name=p.name,
            arr_per_employee=p.arr_per_employee,
            overall=p.overall,
            quadrant=p.quadrant,
            band=p.band,
            colour=band.colour if (band := rules.band(p.band)) else "#2e86c1",
            label=f"{p.name} ({p.account_id}): ARR per employee {p.arr_per_employee:,.2f}, "
            f"health {p.overall} ({p.band}), {p.quadrant}",
        )
        for p in result.placements
    ]
    shown = {q: sum(1 for p in points if p.quadrant == q) for q in rules.quadrant_names}
    cells = [
        QuadrantCell(
            name=q.name,
            healthy=q.healthy,
            low_penetration=q.low_penetration,
            motion=q.motion,
            count=shown[q.name],
        )
        for q in rules.expansion.quadrants
    ]
    rows: list[list[str | int | float | None]] = [
        [p.name, p.account_id, p.arr_per_employee, p.overall, p.quadrant] for p in points
    ]
    counts = ", ".join(f"{c.name} {c.count}" for c in cells)
    return QuadrantChart(
        title="Portfolio: ARR per employee against health score",
        summary=f"{len(points)} account(s) by quadrant: {counts}.",
        as_of=result.as_of,
        source=result.source,
        tool="expansion_targets",
        table=Table(columns=["account", "id", "ARR per employee", "health", "quadrant"], rows=rows),
        points=points,
        quadrants=cells,
        low_penetration_below=result.low_penetration_below,
        healthy_from=result.healthy_from,
        scale_max=rules.health.scale_max,
    )
