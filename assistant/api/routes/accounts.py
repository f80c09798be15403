"""Accounts: GET /api/accounts, GET /api/accounts/{id}, POST /api/accounts/{id}/metrics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.routes.portfolio_query import PortfolioQuery
from assistant.errors import InvalidInputError, NotFoundError
from assistant.principal import Principal
from assistant.services import Services
from assistant.store.records import (
    HealthValues,
    LicenseCounts,
    SurveyResponse,
    describe,
    vocabulary_context,
)
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.overview import AccountList, AccountOverview

router = APIRouter(tags=["accounts"])
AccountPath = Annotated[str, Path(pattern=r"^[Aa][Cc][Cc]-\d{3,}$", description="e.g. ACC-001")]


class AccountDetail(BaseModel):
    overview: AccountOverview
    health: HealthScore | None = Field(description="null when no snapshot is recorded")
    licenses: LicenseUtilization


@router.get("/accounts", response_model=AccountList)
def list_accounts(
    services: ServicesDep,
    principal: PrincipalDep,
    filters: PortfolioQuery,
) -> AccountList:
    """The accounts the caller may see, with owners, latest health score, band, trend and
    quadrant; filtered, sorted and cut by the portfolio filters (see /api/renewals)."""
    arguments = filters
    result = services.tools.call("list_accounts", arguments, principal)
    assert isinstance(result, AccountList)
    return result


@router.get("/accounts/{account_id}", response_model=AccountDetail)
def account_detail(
    account_id: AccountPath, services: ServicesDep, principal: PrincipalDep
) -> AccountDetail:
    """Overview, health score (components, band, trend, churn indicators) and licenses."""
    tools = services.tools
    overview = tools.call("account_overview", {"account_id": account_id}, principal)
    try:
        health = tools.call("health_score", {"account_id": account_id}, principal)
    except NotFoundError:
        health = None
    licenses = tools.call("license_utilization", {"account_id": account_id}, principal)
    assert isinstance(overview, AccountOverview) and isinstance(licenses, LicenseUtilization)
    assert health is None or isinstance(health, HealthScore)
    return AccountDetail(overview=overview, health=health, licenses=licenses)


class HealthMetric(HealthValues):
    metric: Literal["health"]


class LicenseMetric(LicenseCounts):
    metric: Literal["licenses"]
    as_of: dt.date | None = Field(default=None, description="defaults to today")


class SurveyMetric(SurveyResponse):
    metric: Literal["survey"]


Metric = Annotated[HealthMetric | LicenseMetric | SurveyMetric, Field(discriminator="metric")]


class MetricRecorded(BaseModel):
    account_id: str
    metric: str
    created: bool = Field(
        description="false when an existing record with the same key was replaced"
    )
    record: dict[str, object]


@router.post("/accounts/{account_id}/metrics", response_model=MetricRecorded, status_code=201)
async def record_metric(
    account_id: AccountPath,
    metric: Metric,
    services: ServicesDep,
    principal: PrincipalDep,
    response: Response,
) -> MetricRecorded:
    """Record a health snapshot (overall computed from the five components), license counts
    for a module, or a survey response; the next question sees it. 422 for bad values, 404
    for an unknown account, 403 outside the caller's scope or for the seller role."""
    recorded = await run_in_threadpool(_record, services, principal, account_id, metric)
    if not recorded.created:
        response.status_code = 200
    return recorded


def _record(
    services: Services,
    principal: Principal,
    account_id: str,
    metric: HealthMetric | LicenseMetric | SurveyMetric,
) -> MetricRecorded:
    account_id = principal.require(account_id)
    principal.require_role("csm", "admin")
    store = services.accounts
    today = services.settings.clock()
    day = _day_of(metric)
    if day is not None and day > today:
        raise InvalidInputError(f"{day.isoformat()} is after today ({today.isoformat()})")
    rules = vocabulary_context(services.rules)  # modules, components, the overall formula
    try:
        if isinstance(metric, HealthMetric):
            values = HealthValues.model_validate(
                metric.model_dump(exclude={"metric"}), context=rules
            )
        elif isinstance(metric, LicenseMetric):
            counts = LicenseCounts.model_validate(
                metric.model_dump(exclude={"metric", "as_of"}), context=rules
            )
        else:
            response = SurveyResponse.model_validate(
                metric.model_dump(exclude={"metric"}), context=rules
            )
    except ValidationError as error:
        raise InvalidInputError(describe(error)) from error
    if isinstance(metric, HealthMetric):
        _, created = store.record_health(account_id, values)
        record = values.model_dump(mode="json")
    elif isinstance(metric, LicenseMetric):
        as_of = metric.as_of or services.settings.clock()
        _, created = store.record_licenses(account_id, counts, as_of)
        record = {**counts.model_dump(mode="json"), "as_of": as_of.isoformat()}
    else:
        _, created = store.record_survey(account_id, response)
        record = response.model_dump(mode="json")
    return MetricRecorded(
        account_id=account_id, metric=metric.metric, created=created, record=record
    )


def _day_of(metric: HealthMetric | LicenseMetric | SurveyMetric) -> dt.date | None:
    if isinstance(metric, HealthMetric):
        return metric.month
    if isinstance(metric, SurveyMetric):
        return metric.date
    return metric.as_of
