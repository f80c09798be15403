"""The portfolio filters as query parameters, shared by /api/accounts and /api/renewals.

Band, quadrant, level and module names are the rules' (the tool checks them and answers a
422 listing the valid ones)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from assistant.store.records import Day

Segment = Literal["enterprise", "mid_market", "smb"]


def portfolio_filters(
    segment: Segment | None = None,
    industry: Annotated[
        str | None, Query(description="industry, as the account data names it")
    ] = None,
    band: Annotated[list[str] | None, Query(description="health band; repeat for several")] = None,
    csm: Annotated[str | None, Query(description="CSM name (case-insensitive)")] = None,
    account_exec: Annotated[str | None, Query(description="account executive name")] = None,
    partner: Annotated[str | None, Query(description="partner name")] = None,
    health_below: Annotated[int | None, Query(ge=0, le=1000)] = None,
    health_at_least: Annotated[int | None, Query(ge=0, le=1000)] = None,
    arr_at_least: Annotated[int | None, Query(ge=0, description="ARR (USD) at least")] = None,
    arr_below: Annotated[int | None, Query(ge=1, description="ARR (USD) below")] = None,
    renewal_from: Day | None = None,
    renewal_to: Day | None = None,
    quadrant: str | None = None,
    license_risk: Annotated[str | None, Query(description="any module at this level")] = None,
    module: str | None = None,
    trend: Literal["declining", "stable", "improving"] | None = None,
    partnered: Annotated[bool | None, Query(description="a partner works it (or not)")] = None,
    incident_severity: Annotated[
        list[str] | None, Query(description="with incidents of this severity; repeat")
    ] = None,
    incidents_since: Day | None = None,
    incidents_at_least: Annotated[int | None, Query(ge=1)] = None,
    nps_below: Annotated[int | None, Query(ge=-100, le=101, description="0: negative")] = None,
    detractors: Annotated[bool | None, Query(description="with an NPS detractor")] = None,
    surveys_since: Day | None = None,
    sort: Literal["name", "arr", "health", "renewal_date", "incidents", "nps"] | None = None,
    descending: bool = False,
    limit: Annotated[int | None, Query(ge=1, le=500, description="with group_by: groups")] = None,
    with_nps: Annotated[bool | None, Query(description="each account's NPS, and pooled")] = None,
    group_by: Annotated[
        Literal["csm", "account_exec", "partner", "segment", "industry", "band", "quadrant"] | None,
        Query(description="break the accounts down: count, ARR and mean health per group"),
    ] = None,
    group_sort: Literal["count", "arr", "health"] | None = None,
    group_descending: bool | None = None,
) -> dict[str, Any]:
    given = {
        "segment": segment,
        "industry": industry,
        "bands": band,
        "csm": csm,
        "account_exec": account_exec,
        "partner": partner,
        "health_below": health_below,
        "health_at_least": health_at_least,
        "arr_at_least": arr_at_least,
        "arr_below": arr_below,
        "renewal_from": renewal_from,
        "renewal_to": renewal_to,
        "quadrant": quadrant,
        "license_risk": license_risk,
        "module": module,
        "trend": trend,
        "partnered": partnered,
        "incident_severities": incident_severity,
        "incidents_since": incidents_since,
        "incidents_at_least": incidents_at_least,
        "nps_below": nps_below,
        "detractors": detractors,
        "surveys_since": surveys_since,
        "sort": sort,
        "limit": limit,
        "with_nps": with_nps,
        "group_by": group_by,
        "group_sort": group_sort,
        "group_descending": group_descending,
    }
    filters = {k: v for k, v in given.items() if v is not None}
    return {**filters, "descending": descending} if descending else filters


PortfolioQuery = Annotated[dict[str, Any], Depends(portfolio_filters)]
