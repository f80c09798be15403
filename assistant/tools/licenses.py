"""License utilization per module, with the risk level of the rules (License Compliance
Guide): the unused share against the levels' cut-offs; active above licensed is its own
level, over-deployment (a compliance true-up or an upsell, never an adoption risk)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.errors import InvalidInputError
from assistant.principal import Principal
from assistant.rules.models import Rules
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult


class LicenseInput(ToolInput):
    account_id: AccountId | None = Field(
        default=None, description="one account; omit for every account you may see"
    )
    risk: list[str] | None = Field(
        default=None, description="only modules at these risk levels, e.g. [High]"
    )
    module: str | None = Field(default=None, description="only this module")


class ModuleLicense(BaseModel):
    account_id: str
    account_name: str
    module: str
    licensed: int
    active: int
    assigned: int
    delta: int = Field(description="licensed minus active (negative when over-deployed)")
    unused_share_pct: float | None = Field(description="delta / licensed in %, 1 decimal")
    utilization_pct: float | None = Field(
        default=None, description="active / licensed in %, 1 decimal (None without licenses)"
    )
    risk: str
    compliance_issue: bool = Field(description="active above licensed (over-deployment)")
    over_deployed_by: int = Field(default=0, description="active users above licensed")


class LicenseUtilization(ToolResult):
    modules: list[ModuleLicense]
    high_risk: int = Field(description="number of modules at the highest risk level")
    over_deployed: int = Field(default=0, description="modules with active above licensed")
    levels: list[str] = Field(description="the risk levels of the rules, highest first")


def risk_levels(rules: Rules, given: list[str] | None) -> list[str] | None:
    """The rules' spelling of each level given; a clear error naming the valid ones."""
    if given is None:
        return None
    levels: list[str] = []
    for name in given:
        level = rules.license_level(name)
        if level is None:
            raise InvalidInputError(
                f"unknown license risk level '{name}'; levels: {', '.join(rules.licenses.names)}"
            )
        levels.append(level)
    return levels


def known_module(rules: Rules, module: str | None) -> str | None:
    if module is None:
        return None
    key = module.strip().lower()
    if key not in rules.modules:
        raise InvalidInputError(f"unknown module '{module}'; modules: {', '.join(rules.modules)}")
    return key


def license_utilization(
    ctx: ToolContext, args: LicenseInput, principal: Principal
) -> LicenseUtilization:
    """License utilization per module: licensed, active and assigned users, the delta, the
    unused share and the risk level of the License Compliance Guide (e.g. High when half
    or more is unused); active above licensed is over-deployment, a compliance issue (a
    true-up or an expansion quote). For one account, or across every account you may see,
    optionally only some risk levels (e.g. where are we under-deployed: High; where
    over-deployed) and one module."""
    rules = ctx.rules
    wanted = risk_levels(rules, args.risk)
    module = known_module(rules, args.module)
    if args.account_id is not None:
        accounts = [ctx.store.account(principal.require(args.account_id))]
    else:
        accounts = ctx.store.accounts(principal.accounts)
    names = {a.id: a.name for a in accounts}
    modules: list[ModuleLicense] = []
    latest = None
    for lic in ctx.store.licenses(list(names)):
        share = rules.unused_share(lic.licensed, lic.active)
        risk = rules.license_risk(lic.licensed, lic.active)
        if (wanted is not None and risk not in wanted) or module not in (None, lic.module):
            continue
        latest = lic.as_of if latest is None else max(latest, lic.as_of)
        over = risk == rules.licenses.over_deployed
        modules.append(
            ModuleLicense(
                account_id=lic.account_id,
                account_name=names[lic.account_id],
                module=lic.module,
                licensed=lic.licensed,
                active=lic.active,
                assigned=lic.assigned,
                delta=lic.licensed - lic.active,
                unused_share_pct=None if share is None else round(100 * share, 1),
                utilization_pct=round(100 * lic.active / lic.licensed, 1) if lic.licensed else None,
                risk=risk,
                compliance_issue=over,
                over_deployed_by=max(0, lic.active - lic.licensed),
            )
        )
    order = {m: i for i, m in enumerate(rules.modules)}
    modules.sort(key=lambda m: (m.account_id, order.get(m.module, len(order)), m.module))
    top = rules.licenses.levels[0].name
    return LicenseUtilization(
        as_of=latest or ctx.clock(),
        source=["licenses"],
        modules=modules,
        high_risk=sum(1 for m in modules if m.risk == top),
        over_deployed=sum(1 for m in modules if m.compliance_issue),
        levels=rules.licenses.names,
    )
