"""GET /api/renewals?days=90: accounts renewing soon, filterable by health band and segment."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.tools.portfolio import Renewals

router = APIRouter(tags=["accounts"], responses=RESPONSES)


@router.get("/renewals", response_model=Renewals)
def renewals(
    services: ServicesDep,
    principal: PrincipalDep,
    days: Annotated[int, Query(ge=1, le=1095, description="renewing within this many days")] = 90,
    band: Annotated[
        list[Literal["red", "orange", "yellow", "green"]] | None,
        Query(description="health band; repeat for several (band=red&band=orange)"),
    ] = None,
    segment: Literal["enterprise", "mid_market", "smb"] | None = None,
) -> Renewals:
    """Accounts the caller may see that renew between today and today + `days`."""
    arguments = {"days": days, "bands": band, "segment": segment}
    result = services.tools.call("renewals_due", arguments, principal)
    assert isinstance(result, Renewals)
    return result
