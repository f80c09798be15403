"""Charts: an account's health trend and license utilization, and the portfolio 2x2.

`.svg` for the web UI, `.png` (for documents), `.json` for the same figures as data (the
accessible text of the chart). An account the caller may not see is a 404 with the same
message as an unknown one, so the chart routes do not reveal which ids exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.api.routes.portfolio_query import PortfolioQuery
from assistant.charts import (
    MEDIA_TYPES,
    HealthTrendChart,
    LicenseChart,
    QuadrantChart,
    health_trend,
    license_bars,
    portfolio_quadrant,
    render,
)
from assistant.charts.specs import ChartBase
from assistant.errors import NotFoundError, PermissionDeniedError
from assistant.principal import Principal

router = APIRouter(tags=["charts"], responses=RESPONSES)
AccountPath = Annotated[str, Path(pattern=r"^[Aa][Cc][Cc]-\d{3,}$", description="e.g. ACC-001")]
ChartFormat = Annotated[
    Literal["svg", "png", "json"],
    Path(description="svg (web), png (documents) or json (the figures as data)"),
]


def _content(model: type[ChartBase]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "model": model,
            "description": "the chart (svg, png) or its figures (json)",
            "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def _respond(spec: ChartBase, fmt: str) -> Response:
    if fmt == "json":
        return JSONResponse(spec.model_dump(mode="json"))
    return Response(render(spec, "svg" if fmt == "svg" else "png"), media_type=MEDIA_TYPES[fmt])


def _in_scope(principal: Principal, account_id: str, build: Callable[[], ChartBase]) -> ChartBase:
    """Out of scope answers exactly as an unknown account does (404, same message)."""
    normalised = account_id.strip().upper()
    try:
        principal.require(normalised)
    except PermissionDeniedError:
        raise NotFoundError(f"account {normalised} does not exist") from None
    return build()


@router.get(
    "/accounts/{account_id}/charts/health-trend.{fmt}",
    response_model=None,
    responses=_content(HealthTrendChart),
)
def health_trend_chart(
    account_id: AccountPath,
    fmt: ChartFormat,
    services: ServicesDep,
    principal: PrincipalDep,
    months: Annotated[int, Query(ge=2, le=36, description="months shown")] = 12,
) -> Response:
    """The overall health score and each component, month by month (default the last 12
    months), over the rules' bands; the figures of the health_score tool."""
    spec = _in_scope(
        principal,
        account_id,
        lambda: health_trend(services.tools, principal, account_id, months),
    )
    return _respond(spec, fmt)


@router.get(
    "/accounts/{account_id}/charts/licenses.{fmt}",
    response_model=None,
    responses=_content(LicenseChart),
)
def licenses_chart(
    account_id: AccountPath, fmt: ChartFormat, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Licensed against active users per module with the utilization and the risk level;
    the figures of the license_utilization tool."""
    spec = _in_scope(
        principal, account_id, lambda: license_bars(services.tools, principal, account_id)
    )
    return _respond(spec, fmt)


@router.get(
    "/portfolio/charts/quadrant.{fmt}",
    response_model=None,
    responses=_content(QuadrantChart),
)
def quadrant_chart(
    fmt: ChartFormat, services: ServicesDep, principal: PrincipalDep, filters: PortfolioQuery
) -> Response:
    """The expansion 2x2 of the accounts the caller may see: ARR per employee against the
    health score, the rules' lines and quadrant names, one point per account (its SVG
    <title> is the hover text); the portfolio filters of /api/accounts apply."""
    return _respond(portfolio_quadrant(services.tools, principal, filters), fmt)
