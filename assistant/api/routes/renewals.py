"""GET /api/renewals?days=90: accounts renewing soon, filterable by health band and segment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.routes.portfolio_query import PortfolioQuery
from assistant.tools.portfolio import Renewals

router = APIRouter(tags=["accounts"])


@router.get("/renewals", response_model=Renewals)
def renewals(
    services: ServicesDep,
    principal: PrincipalDep,
    filters: PortfolioQuery,
    days: Annotated[int, Query(ge=1, le=1095, description="renewing within this many days")] = 90,
) -> Renewals:
    """Accounts the caller may see that renew between today and today + `days`, with the
    portfolio filters (band=red&band=orange, csm, health_below, quadrant, sort, limit...)."""
    arguments = {"days": days, **filters}
    result = services.tools.call("renewals_due", arguments, principal)
    assert isinstance(result, Renewals)
    return result
