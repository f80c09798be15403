"""Run a plan's tool steps through the registry.

A step's arguments are validated by the tool's own input model. Portfolio filters a tool
does not take yet (owner, score thresholds, renewal window, sort, top-N, a follow-up's
result set) are applied to the tool's result here and recorded with the call, so the
answer, the recorded arguments and the recorded result always agree. When a tool accepts a
filter itself it gets it, and nothing is filtered twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.engine.types import ToolCall
from assistant.principal import Principal
from assistant.store.accounts import Account
from assistant.tools.base import ToolResult
from assistant.tools.filters import Breakdown, listed, sort_value, totals
from assistant.tools.licenses import LicenseUtilization
from assistant.tools.overview import AccountList
from assistant.tools.portfolio import Renewals
from assistant.tools.registry import ToolRegistry, to_call

LOCAL = (
    "account_ids",
    "segment",
    "industry",
    "csm",
    "account_exec",
    "partner",
    "health_below",
    "health_at_least",
    "renewal_from",
    "renewal_to",
    "quadrant",
    "license_risk",
    "module",
    "sort",
    "descending",
    "limit",
)


@dataclass
class Run:
    registry: ToolRegistry
    principal: Principal
    owners: Mapping[str, Account]
    calls: list[ToolCall] = field(default_factory=list)

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[ToolResult, str]:
        tool = self.registry.tool(name)
        accepted = set(tool.input_model.model_fields)
        direct = {k: v for k, v in arguments.items() if k in accepted or k not in LOCAL}
        local = {k: v for k, v in arguments.items() if k not in direct}
        if local.keys() & ROWS and "limit" in direct:  # cut after the local filters, not before
            # the tool still sorts (so it reads what it sorts by: incidents, NPS); the cut
            # and the order are applied again after the local filters
            for key in ORDER:
                if key in direct:
                    local[key] = direct[key] if key != "limit" else direct.pop(key)
        if name == "renewals_due" and "days" not in direct and "renewal_to" in local:
            direct["days"] = self._days_to(str(local["renewal_to"]))
        args = self.registry.validate(name, direct)
        result = tool.invoke(self.registry.context, args, self.principal)
        local = {k: v for k, v in local.items() if k in _applicable(result)}
        if local:
            result = self._filter(result, local, args)
        record = to_call(name, args, result)
        record.arguments.update({k: v for k, v in local.items() if v is not None})
        self.calls.append(record)
        return result, f"T{len(self.calls)}"

    def _days_to(self, day: str) -> int:
        today = self.registry.context.clock()
        return max(1, min(1095, (dt.date.fromisoformat(day) - today).days))

    def _filter(self, result: ToolResult, local: dict[str, Any], args: object) -> ToolResult:
        if isinstance(result, AccountList | Renewals) and isinstance(args, Breakdown):
            field = "accounts" if isinstance(result, AccountList) else "renewals"
            rows = [
                r
                for r in getattr(result, field)
                if self._keep(r.account_id, r.overall, r.renewal_date, local)
            ]
            if args.group_by is not None:  # the limit cuts the groups of the rows kept
                cut = args.model_copy(update={"limit": local.get("limit", args.limit)})
                order = {k: v for k, v in local.items() if k != "limit"}
                shown = listed(_ordered(rows, order), cut)
                return result.model_copy(update={field: shown, **totals(rows, shown, cut)})
            shown = _ordered(rows, local)
            return result.model_copy(update={field: shown, **totals(rows, shown, args)})
        if isinstance(result, LicenseUtilization):
            ids = local.get("account_ids")
            modules = [m for m in result.modules if ids is None or m.account_id in ids]
            # "which SMB accounts have high license risk?": the accounts' own fields
            modules = [m for m in modules if self._owned(m.account_id, local)]
            if local.get("module"):
                modules = [m for m in modules if m.module == local["module"]]
            top = result.levels[0] if result.levels else None  # the rules' highest level
            high = sum(1 for m in modules if m.risk == top)
            return result.model_copy(update={"modules": modules, "high_risk": high})
        return result

    def _owned(self, account_id: str, local: dict[str, Any]) -> bool:
        """The account's segment, industry and owners are those `local` names (if any)."""
        account = self.owners.get(account_id)
        for key in ("segment", "industry", "csm", "account_exec", "partner"):
            wanted = local.get(key)
            if wanted and (
                account is None
                or (getattr(account, key) or "").casefold().replace("_", " ")
                != str(wanted).casefold().replace("_", " ")
            ):
                return False
        return True

    def _keep(
        self, account_id: str, overall: int | None, renewal: dt.date, local: dict[str, Any]
    ) -> bool:
        ids = local.get("account_ids")
        if ids is not None and account_id not in ids:
            return False
        owner = self.owners.get(account_id)
        for key in ("csm", "account_exec", "partner"):
            wanted = local.get(key)
            if wanted and (
                owner is None or (getattr(owner, key) or "").casefold() != str(wanted).casefold()
            ):
                return False
        below, least = local.get("health_below"), local.get("health_at_least")
        if below is not None and (overall is None or overall >= int(below)):
            return False
        if least is not None and (overall is None or overall < int(least)):
            return False
        start, end = local.get("renewal_from"), local.get("renewal_to")
        if start and renewal < dt.date.fromisoformat(str(start)):
            return False
        return not (end and renewal > dt.date.fromisoformat(str(end)))


ROWS = frozenset(LOCAL) - {"quadrant", "license_risk", "module", "segment", "industry"}
ORDER = ("sort", "descending", "limit")


def _applicable(result: ToolResult) -> frozenset[str]:
    """The filters this module can apply to a result of that type."""
    if isinstance(result, AccountList | Renewals):
        return ROWS
    if isinstance(result, LicenseUtilization):
        return frozenset(
            {"account_ids", "module", "segment", "industry", "csm", "account_exec", "partner"}
        )
    return frozenset()


def _ordered(rows: list[Any], local: dict[str, Any]) -> list[Any]:
    sort = local.get("sort")
    if sort:
        descending = bool(local.get("descending"))

        def key(row: Any) -> tuple[int, Any]:
            value = sort_value(row, str(sort))
            return (value is None, value if not descending or value is None else _neg(value))

        rows = sorted(rows, key=key)
    limit = local.get("limit")
    return rows[: int(limit)] if limit else rows


def _neg(value: Any) -> Any:
    if isinstance(value, str):  # a name, descending: by its code points, negated
        return tuple(-ord(c) for c in value)
    return -value
