"""Calculators: the knowledge base's rules applied to the caller's own numbers.

Each result names the rule it applies (`rule`: the document and section the rules file
cites), so an answer can cite it. No account data is read: nothing here needs a scope.
"""

from __future__ import annotations

import math
from typing import Self

from pydantic import BaseModel, Field, model_validator

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.rules.models import Source
from assistant.tools.base import ToolContext, ToolInput, ToolResult

RULES_SOURCE = ["rules"]


class RuleCited(BaseModel):
    document: str
    section: str

    @classmethod
    def of(cls, source: Source) -> RuleCited:
        return cls(document=source.document, section=source.section)


class Calculation(ToolResult):
    rule: RuleCited = Field(description="the knowledge-base section the rule comes from")
    explanation: str = Field(description="the arithmetic, in one sentence")


# license risk ------------------------------------------------------------------------------


class LicenseRiskInput(ToolInput):
    licensed: int = Field(ge=1, le=10_000_000, description="licensed users (seats)")
    active: int = Field(ge=0, le=10_000_000, description="active users")


class LicenseRiskResult(Calculation):
    licensed: int
    active: int
    delta: int = Field(description="licensed minus active")
    unused_share_pct: float | None = Field(description="None when over-deployed")
    risk: str
    over_deployed: bool


def calculate_license_risk(
    ctx: ToolContext, args: LicenseRiskInput, principal: Principal
) -> LicenseRiskResult:
    """License risk for the numbers given (e.g. 500 licensed, 240 active): the unused share
    and the risk level of the License Compliance Guide; active above licensed is
    over-deployment (a compliance true-up or an upsell)."""
    rules = ctx.rules
    risk = rules.license_risk(args.licensed, args.active)
    share = rules.unused_share(args.licensed, args.active)
    over = share is None
    source = rules.licenses.sources.over_deployed if over else rules.licenses.sources.levels
    if share is None:
        text = (
            f"{args.active:,} active of {args.licensed:,} licensed is "
            f"{args.active - args.licensed:,} above the licenses: {risk}"
        )
    else:
        text = (
            f"({args.licensed:,} - {args.active:,}) / {args.licensed:,} = "
            f"{100 * share:.1f}% unused: {risk} license risk"
        )
    return LicenseRiskResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(source),
        explanation=text,
        licensed=args.licensed,
        active=args.active,
        delta=args.licensed - args.active,
        unused_share_pct=None if share is None else round(100 * share, 1),
        risk=risk,
        over_deployed=over,
    )


# health ------------------------------------------------------------------------------------


class HealthInput(ToolInput):
    components: dict[str, int] = Field(
        description="every health component by key (e.g. deployment, adoption), each 0-100"
    )


class HealthResult(Calculation):
    components: dict[str, int]
    overall: int
    band: str
    healthy: bool
    healthy_from: int


def calculate_health(ctx: ToolContext, args: HealthInput, principal: Principal) -> HealthResult:
    """The overall health score, band and healthy/at-risk for the component scores given,
    by the rules' formula and bands (the result cites their section)."""
    rules = ctx.rules
    keys = rules.component_keys
    given = {k.strip().lower(): v for k, v in args.components.items()}
    missing = [k for k in keys if k not in given]
    unknown = [k for k in given if k not in keys]
    if missing or unknown:
        raise InvalidInputError(
            f"give every health component ({', '.join(keys)})"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    top = rules.health.scale_max
    bad = [f"{k} {v}" for k, v in given.items() if not 0 <= v <= top]
    if bad:
        raise InvalidInputError(f"components are scored 0 to {top}: {', '.join(bad)}")
    overall = rules.overall_score(given)
    band = rules.band_for(overall)
    weights = {c.key: c.weight for c in rules.health.components}
    equal = len(set(weights.values())) == 1
    how = "mean" if equal else "weighted mean"
    return HealthResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(rules.health.sources.bands),
        explanation=f"the rounded {how} of {', '.join(str(given[k]) for k in keys)} is "
        f"{overall}, which is {band.name} ({band.min}-{band.max})",
        components={k: given[k] for k in keys},
        overall=overall,
        band=band.name,
        healthy=rules.is_healthy(overall),
        healthy_from=rules.health.healthy_from,
    )


# LTV ---------------------------------------------------------------------------------------


class LtvInput(ToolInput):
    average_revenue_per_customer: float = Field(
        gt=0, le=1e10, description="average monthly revenue per customer (USD)"
    )
    gross_margin: float = Field(
        gt=0, le=100, description="gross margin per customer: a fraction (0.8) or percent (80)"
    )
    monthly_churn_rate: float = Field(
        gt=0, le=100, description="monthly churn: a fraction (0.02) or percent (2)"
    )


class LtvResult(Calculation):
    ltv: float = Field(description="customer lifetime value (USD), 2 decimals")
    formula: str


def _fraction(value: float) -> float:
    return value / 100 if value > 1 else value


def calculate_ltv(ctx: ToolContext, args: LtvInput, principal: Principal) -> LtvResult:
    """Customer lifetime value from average revenue per customer, gross margin per customer
    and the monthly churn rate, by the dashboard guide's formula."""
    formula = ctx.rules.formulas.ltv
    if formula is None:
        raise InvalidInputError("the rules file states no LTV formula (formulas.ltv)")
    margin, churn = _fraction(args.gross_margin), _fraction(args.monthly_churn_rate)
    ltv = args.average_revenue_per_customer * margin / churn
    return LtvResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(formula.source),
        explanation=f"(${args.average_revenue_per_customer:,.2f} x {margin:.0%}) / "
        f"{churn:.2%} = ${ltv:,.2f}",
        ltv=round(ltv, 2),
        formula=formula.expression,
    )


# CSAT points -------------------------------------------------------------------------------


class CsatInput(ToolInput):
    score: float = Field(ge=0, le=10, description="the average CSAT score")


class CsatResult(Calculation):
    score: float
    points: int
    next_cut_off: float | None = Field(description="the score that earns the next step")


def calculate_csat_points(ctx: ToolContext, args: CsatInput, principal: Principal) -> CsatResult:
    """The points an average CSAT score earns on the survey guide's scale."""
    csat = ctx.rules.surveys.csat
    if not csat.scale_min <= args.score <= csat.scale_max:
        raise InvalidInputError(
            f"a CSAT score is from {csat.scale_min:g} to {csat.scale_max:g}, got {args.score:g}"
        )
    points = ctx.rules.csat_points(args.score)
    higher = [p.at_least for p in csat.points if p.at_least > args.score + 1e-9]
    first = csat.points[0]
    text = (
        f"an average of {args.score:g} earns {points} points"
        if points
        else f"an average of {args.score:g} is below {first.at_least:g}, so it earns no points"
    )
    return CsatResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(csat.source),
        explanation=text,
        score=args.score,
        points=points,
        next_cut_off=higher[0] if higher else None,
    )


# staffing ----------------------------------------------------------------------------------


class StaffingInput(ToolInput):
    arr: float = Field(gt=0, le=1e12, description="portfolio ARR in USD, e.g. 6000000")


class StaffingResult(Calculation):
    arr: float
    role: str
    fewest: int = Field(description="at the top of the ARR-per-lead range")
    most: int = Field(description="at the bottom of the ARR-per-lead range")


def calculate_staffing(
    ctx: ToolContext, args: StaffingInput, principal: Principal
) -> StaffingResult:
    """How many engagement leads a portfolio ARR needs, by the staffing guide's ratio (one
    lead per an ARR range)."""
    staffing = ctx.rules.staffing
    leads = ctx.rules.engagement_leads(args.arr)
    if staffing is None or leads is None:
        raise InvalidInputError("the rules file states no staffing ratio (staffing)")
    fewest, most = leads
    span = f"{fewest}" if fewest == most else f"{fewest} to {most}"
    return StaffingResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(staffing.source),
        explanation=f"one {staffing.role} per ${staffing.arr_per_lead_min:,}-"
        f"${staffing.arr_per_lead_max:,} of ARR: ${args.arr:,.0f} needs {span} "
        f"{staffing.role}s",
        arr=args.arr,
        role=staffing.role,
        fewest=fewest,
        most=most,
    )


# services blocks ---------------------------------------------------------------------------


class BlocksInput(ToolInput):
    hours: float | None = Field(default=None, gt=0, le=1e6, description="delivery hours")
    blocks: int | None = Field(default=None, ge=1, le=100_000, description="or: blocks")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.hours is None) == (self.blocks is None):
            raise ValueError("give exactly one of hours or blocks")
        return self


class BlocksResult(Calculation):
    hours: float
    blocks: int
    block_hours: int
    rate: int
    price: int = Field(description="USD for the blocks")


def calculate_blocks(ctx: ToolContext, args: BlocksInput, principal: Principal) -> BlocksResult:
    """Services blocks for the hours given (rounded up to whole blocks) or the hours in the
    blocks given, with the price, by the pricing guide's block size and blended rate."""
    b = ctx.rules.blocks
    if b is None:
        raise InvalidInputError("the rules file states no block pricing (blocks)")
    count = args.blocks if args.blocks is not None else math.ceil((args.hours or 0) / b.hours)
    hours = args.hours if args.hours is not None else float(count * b.hours)
    return BlocksResult(
        as_of=ctx.clock(),
        source=RULES_SOURCE,
        rule=RuleCited.of(b.source),
        explanation=f"{hours:g} hours at {b.hours} hours per block is {count} block(s) of "
        f"${b.price:,}: ${count * b.price:,}",
        hours=hours,
        blocks=count,
        block_hours=b.hours,
        rate=b.rate,
        price=count * b.price,
    )


CALCULATORS = (
    calculate_license_risk,
    calculate_health,
    calculate_ltv,
    calculate_csat_points,
    calculate_staffing,
    calculate_blocks,
)
