"""License utilization per module, with the risk level of the License Compliance Guide."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.principal import Principal
from assistant.tools import rules
from assistant.tools.base import AccountId, ToolContext, ToolInput, ToolResult


class LicenseInput(ToolInput):
    account_id: AccountId | None = Field(
        default=None, description="one account; omit for every account you may see"
    )
    risk: list[rules.Risk] | None = Field(
        default=None, description="only modules at these risk levels, e.g. [High]"
    )


class ModuleLicense(BaseModel):
    account_id: str
    account_name: str
    module: str
    licensed: int
    active: int
    assigned: int
    delta: int = Field(description="licensed minus active")
    unused_share_pct: float | None = Field(description="delta / licensed in %, 1 decimal")
    risk: rules.Risk
    compliance_issue: bool = Field(description="active above licensed (over-deployment)")


class LicenseUtilization(ToolResult):
    modules: list[ModuleLicense]
    high_risk: int = Field(description="number of modules at High risk")


def license_utilization(
    ctx: ToolContext, args: LicenseInput, principal: Principal
) -> LicenseUtilization:
    """License utilization per module (search, observability, security, genai): licensed,
    active and assigned users, the delta, the unused share and the risk level (High when 50%
    or more is unused, Medium from 25%, Low under 25%; active above licensed is
    over-deployment, a compliance issue). For one account, or across every account you may
    see, optionally only some risk levels (e.g. where are we under-deployed: High)."""
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
        if args.risk is not None and risk not in args.risk:
            continue
        latest = lic.as_of if latest is None else max(latest, lic.as_of)
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
                risk=risk,
                compliance_issue=risk == "over-deployed",
            )
        )
    order = {"search": 0, "observability": 1, "security": 2, "genai": 3}
    modules.sort(key=lambda m: (m.account_id, order.get(m.module, 9), m.module))
    return LicenseUtilization(
        as_of=latest or ctx.clock(),
        source=["licenses"],
        modules=modules,
        high_risk=sum(1 for m in modules if m.risk == "High"),
    )
