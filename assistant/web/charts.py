"""The charts that go with an answer: an account's 12-month health trend and its license
utilization, or the portfolio 2x2 for an expansion question. Drawn by the chart module
(`assistant.charts`, the same specs as the chart API routes) as inline SVG, so the 2x2's
points have their hover text; each chart's figures are also given as a table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.charts import health_trend, license_bars, portfolio_quadrant, render
from assistant.charts.specs import ChartBase
from assistant.errors import AssistantError
from assistant.principal import Principal
from assistant.services import Services
from assistant.web.views import AnswerView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChartView:
    kind: str
    title: str
    summary: str
    svg: str
    columns: list[str]
    rows: list[list[Any]]
    as_of: str
    tool: str


def chart_view(spec: ChartBase) -> ChartView:
    svg = render(spec, "svg").decode("utf-8")
    svg = svg[svg.find("<svg") :]  # inline: no XML declaration nor doctype
    return ChartView(
        kind=str(getattr(spec, "kind", "")),
        title=spec.title,
        summary=spec.summary,
        svg=svg,
        columns=spec.table.columns,
        rows=spec.table.rows,
        as_of=spec.as_of.isoformat(),
        tool=spec.tool,
    )


def attach_charts(view: AnswerView, services: Services, principal: Principal) -> None:
    """Set `view.charts` for an answer about one account or the portfolio 2x2; a chart
    whose figures are missing (no snapshot recorded) is left out."""
    tools = services.tools
    builders: list[Callable[[], ChartBase]] = []
    if view.account_id:  # one account (a success plan too): its trend and licenses
        account = view.account_id
        builders.append(lambda: health_trend(tools, principal, account))
        builders.append(lambda: license_bars(tools, principal, account))
    elif view.portfolio:
        builders.append(lambda: portfolio_quadrant(tools, principal, view.portfolio_filters))
    charts: list[ChartView] = []
    for build in builders:
        try:
            charts.append(chart_view(build()))
        except AssistantError as error:
            log.warning("no chart for %s: %s", view.account_id or "the portfolio", error)
    view.charts = charts
