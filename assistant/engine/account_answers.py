"""Turn tool results into answer text. Every figure is printed straight from the result it
cites (marker `[Tn]`), never recomputed, so the answer cannot disagree with the tool."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.engine.types import ToolCall
from assistant.tools.calculators import (
    BlocksResult,
    Calculation,
    CsatResult,
    HealthResult,
    LicenseRiskResult,
    LtvResult,
    StaffingResult,
)
from assistant.tools.filters import Group, PooledNps, PortfolioRow
from assistant.tools.health import HealthScore
from assistant.tools.licenses import LicenseUtilization, ModuleLicense
from assistant.tools.opportunities import Opportunities, Pipeline
from assistant.tools.overview import AccountList, AccountOverview
from assistant.tools.portfolio import ExpansionTargets, Renewals
from assistant.tools.voice import IncidentSummary, SurveyTrend

SEGMENT = {"enterprise": "enterprise", "mid_market": "mid-market", "smb": "SMB"}
ROLE = {"sales_agent": "as sales agent", "cs_manager": "as customer success manager"}


def money(value: int | float) -> str:
    if isinstance(value, float):
        return f"${int(value):,}" if value == int(value) else f"${value:,.2f}"
    return f"${value:,}"


def number(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:,g}" if isinstance(value, float) else f"{value:,}"


def human(token: str) -> str:
    return token.replace("_", " ")


def article(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def overview(r: AccountOverview, m: str) -> list[str]:
    partner = (
        f"{r.partner} works the account {ROLE.get(r.partner_role, human(r.partner_role))}"
        if r.partner
        else "none (managed directly)"
    )
    segment = SEGMENT.get(r.segment, r.segment)
    return [
        f"**{r.name}** ({r.account_id}) is {article(segment)} "
        f"{human(r.industry)} account with an ARR of {money(r.arr)} and "
        f"{number(r.employees)} employees, {money(r.arr_per_employee)} of ARR per employee "
        f"({r.penetration} penetration) [{m}].",
        f"It renews on {r.renewal_date.isoformat()}, in {number(r.days_to_renewal)} days; "
        f"contract start {r.contract_start.isoformat()} [{m}].",
        f"CSM: {r.csm}; account executive: {r.account_exec}; partner: {partner}; "
        f"lifecycle stage: {r.stage} [{m}].",
    ]


def health(r: HealthScore, m: str) -> list[str]:
    components = ", ".join(f"{name} {value}" for name, value in r.components.items())
    t = r.trend
    status = "healthy" if r.healthy else "at risk"
    lines = [
        f"Health score of **{r.name}** for {r.month.isoformat()}: **{r.overall}** "
        f"({r.band}, {status}) [{m}].",
        f"Components: {components}; the weakest is {r.weakest_component} [{m}].",
        f"Trend over the last {t.months} months: from {t.from_score} ({t.from_month.isoformat()}) "
        f"to {t.to_score} ({t.to_month.isoformat()}), a change of {t.change:+d} points, "
        f"{t.direction} [{m}].",
    ]
    warnings = [i for i in r.churn_indicators if i.warning]
    if warnings:
        items = "; ".join(i.warning_text for i in warnings)
        lines.append(f"Churn warnings: {items} [{m}].")
    else:
        lines.append(f"No churn indicator is raising a warning [{m}].")
    return lines


def _module_row(x: ModuleLicense) -> str:
    unused = "over-deployed" if x.unused_share_pct is None else f"{number(x.unused_share_pct)}%"
    return (
        f"| {x.module} | {number(x.licensed)} | {number(x.active)} | {number(x.assigned)} | "
        f"{number(x.delta)} | {unused} | {x.risk} |"
    )


def licenses(
    r: LicenseUtilization,
    m: str,
    account: str | None,
    risk: list[str] | None = None,
    scope: str = "",
) -> list[str]:
    if not r.modules:
        scope = f"for {account}" if account else "matching that filter among your accounts"
        return [f"No license records {scope} [{m}]."]
    header = (
        "| module | licensed | active | assigned | delta | unused | risk |\n"
        "|---|---|---|---|---|---|---|"
    )
    if account:
        rows = "\n".join(_module_row(x) for x in r.modules)
        top = r.levels[0]
        high = [x.module for x in r.modules if x.risk == top]
        verdict = (
            f"{r.high_risk} module(s) at {top} risk: {', '.join(high)}"
            if high
            else f"No module is at {top} risk"
        )
        lines = [
            f"License utilization of **{account}** [{m}]:\n\n{header}\n{rows}\n",
            f"{verdict} [{m}].",
        ]
    else:
        rows = "\n".join(
            f"- {x.account_name} ({x.account_id}), {x.module}: {number(x.licensed)} licensed, "
            f"{number(x.active)} active, {number(x.delta)} unused"
            + (f" ({number(x.unused_share_pct)}%)" if x.unused_share_pct is not None else "")
            + f", {x.risk}"
            for x in r.modules
        )
        label = " or ".join(risk) if risk else "any"
        lines = [f"Modules at {label} license risk across your accounts{scope}:\n{rows} [{m}]"]
    if any(x.compliance_issue for x in r.modules):
        lines.append(
            f"Active users above licensed users is over-deployment: a compliance issue to raise "
            f"with the customer, not an adoption risk [{m}]."
        )
    return lines


def renewals(
    r: Renewals,
    m: str,
    filters: str,
    window: tuple[str, str] | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> list[str]:
    span = (
        f"between {window[0]} and {window[1]}"
        if window
        else f"in the next {r.days} days ({r.as_of.isoformat()} to {r.window_end.isoformat()})"
    )
    if r.groups is not None:
        what = f"account(s) renewing {span}{filters}"
        return breakdown(r.groups, r.renewals, r.matched, m, what, arguments or {})
    head = f"{r.matched} account(s) renew {span}{filters}" + _shown(r.count, r.matched)
    head += f" [{m}]"
    if not r.renewals:
        return [head + "."]
    rows = "\n".join(
        f"- **{x.name}** ({x.account_id}, {SEGMENT.get(x.segment, x.segment)}): renews "
        f"{x.renewal_date.isoformat()} (in {x.days_to_renewal} days), ARR {money(x.arr)}, "
        f"health {number(x.overall)} ({x.band or 'no score'}"
        + (f", {x.trend}" if x.trend else "")
        + f"), CSM {x.csm}"
        + _signals(x)
        for x in r.renewals
    )
    total = (
        f"ARR of the {r.count} shown: {money(r.total_arr)}"
        if r.count < r.matched
        else f"ARR renewing {span}: {money(r.total_arr)}"
    )
    if r.average_health is not None and r.count > 1:
        total += f"; average health {number(r.average_health)}"
    return [f"{head}:\n{rows}", f"{total} [{m}]."]


def _shown(count: int, matched: int) -> str:
    """ "; the top 3 shown" when the list is cut to the top N."""
    return f"; the top {count} shown" if count < matched else ""


def _signals(x: PortfolioRow) -> str:
    """The incident count and NPS a filter asked for, on the row it kept."""
    parts = []
    if x.incidents is not None and x.incidents_since is not None:
        parts.append(f"{x.incidents} incident(s) since {x.incidents_since.isoformat()}")
    if x.nps is not None or x.detractors is not None:
        parts.append(f"NPS {number(x.nps)} ({number(x.detractors)} detractor(s))")
    return "".join(f", {p}" for p in parts)


def account_list(
    r: AccountList, m: str, what: str, arguments: Mapping[str, Any] | None = None
) -> list[str]:
    if r.groups is not None:
        return breakdown(r.groups, r.accounts, r.matched, m, what, arguments or {})
    rows = "\n".join(
        f"- **{x.name}** ({x.account_id}, {SEGMENT.get(x.segment, x.segment)}): health "
        f"{number(x.overall)} ({x.band or 'no score'}), ARR {money(x.arr)}, renews "
        f"{x.renewal_date.isoformat()} (in {x.days_to_renewal} days), CSM {x.csm}" + _signals(x)
        for x in r.accounts
    )
    head = f"{r.matched} {what}" + _shown(r.count, r.matched)
    lines = [head + (f":\n{rows} [{m}]" if rows else f" [{m}].")]
    if r.count > 1 or r.pooled_nps is not None:
        shown = f"the {r.count} shown" if r.count < r.matched else f"the {r.count} {what}"
        average = f", average health {number(r.average_health)}" if r.average_health else ""
        total = f"Total ARR of {shown}: {money(r.total_arr)}{average}"
        if r.pooled_nps is not None:
            total = f"{_pooled(r.pooled_nps, shown)}; total ARR {money(r.total_arr)}{average}"
        lines.append(f"{total} [{m}].")
    return lines


def _pooled(pooled: PooledNps, shown: str) -> str:
    """The NPS of all the answers of the accounts listed (pooled, not a mean of their NPS)."""
    if pooled.nps is None:
        return f"No NPS answers from {shown} in the survey window"
    return (
        f"NPS across {shown}: **{number(pooled.nps)}**, from all {pooled.responses} answers "
        f"({pooled.promoters} promoters, {pooled.detractors} detractors)"
    )


GROUP_LABEL = {
    "csm": "CSM",
    "account_exec": "account executive",
    "partner": "partner",
    "segment": "segment",
    "industry": "industry",
    "band": "health band",
    "quadrant": "quadrant",
}
GROUP_MEASURE = {"count": "", "arr": " ARR", "health": " average health"}


def breakdown(
    groups: Sequence[Group],
    rows: Sequence[PortfolioRow],
    matched: int,
    m: str,
    what: str,
    arguments: Mapping[str, Any],
) -> list[str]:
    """A portfolio result broken down by `group_by`: the first group (or the groups tied
    first) leads when the groups are ordered, then one line per group with its accounts."""
    key = str(arguments.get("group_by") or "")
    label = GROUP_LABEL.get(key, human(key))
    sort = str(arguments.get("group_sort") or "count")
    names = {x.account_id: x.name for x in rows}
    if not groups:
        return [f"No {what} to break down by {label} [{m}]."]

    def value(g: Group) -> str:
        shown = SEGMENT.get(g.value, human(g.value)) if key in ("segment", "industry") else g.value
        return f"**{shown}**"

    def measure(g: Group) -> str:
        if sort == "arr":
            return money(g.total_arr)
        if sort == "health":
            return f"average health {number(g.average_health)}"
        return f"{g.count} of the {matched} {what}"

    lines = []
    descending = arguments.get("group_descending") is not False
    if arguments.get("limit") or sort != "count" or not descending:
        order = "most" if descending else "fewest"
        if sort == "health":
            order = "highest" if descending else "lowest"
        first = [g for g in groups if measure(g) == measure(groups[0])]
        named = [value(g) for g in first]
        who = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        verb = "has" if len(first) == 1 else "tie with"
        each = "" if len(first) == 1 else " each"
        lines.append(
            f"By {label}, {who} {verb} the {order}{GROUP_MEASURE.get(sort, '')}: "
            f"{measure(groups[0])}{each}"
            + ("" if sort == "count" else f" ({groups[0].count} account(s))")
            + f" [{m}]."
        )
    body = "\n".join(
        f"- {value(g)}: {g.count} account(s), ARR {money(g.total_arr)}, average health "
        f"{number(g.average_health)}: " + ", ".join(names.get(i, i) for i in g.account_ids)
        for g in groups
    )
    lines.append(f"{matched} {what} by {label}:\n{body} [{m}]")
    return lines


def surveys(r: SurveyTrend, m: str, months: int) -> list[str]:
    lines = [
        f"Customer voice of **{r.name}** over the last {months} months: NPS "
        f"{number(r.nps)} from {r.nps_responses} responses ({r.promoters} promoters, "
        f"{r.passives} passives, {r.detractors} detractors) [{m}].",
        f"CSAT: average {number(r.csat_average)} from {r.csat_responses} responses; latest "
        f"{number(r.latest_csat)} [{m}].",
    ]
    periods = "; ".join(
        f"{p.start.isoformat()} to {p.end.isoformat()}: NPS {number(p.nps)} "
        f"({p.nps_responses} responses), CSAT {number(p.csat_average)} ({p.csat_responses})"
        for p in r.periods
    )
    lines.append(f"Trend by period: {periods} [{m}].")
    return lines


def incidents(r: IncidentSummary, m: str) -> list[str]:
    by = ", ".join(f"{count} {sev}" for sev, count in r.by_severity.items())
    trend = "rising" if r.rising else "not rising"
    return [
        f"Support incidents of **{r.name}** in the last {r.months} months (since "
        f"{r.window_start.isoformat()}): {r.total} in total: {by} [{m}].",
        f"Sev1 and sev2 together: {r.sev1_sev2}, against {r.previous_sev1_sev2} in the "
        f"{r.months} months before ({trend}) [{m}].",
    ]


def expansion(r: ExpansionTargets, m: str, account: str | None, quadrant: str | None) -> list[str]:
    rule = (
        f"healthy from a score of {r.healthy_from}; low penetration below "
        f"{money(r.low_penetration_below)} of ARR per employee"
    )
    if account:
        if not r.placements:
            return [f"**{account}** has no health score, so no expansion quadrant [{m}]."]
        p = r.placements[0]
        return [
            f"**{p.name}** is in the **{p.quadrant}** expansion quadrant: health "
            f"{p.overall} ({p.band}) and {money(p.arr_per_employee)} of ARR per employee "
            f"({p.penetration} penetration; {rule}) [{m}]."
        ]
    counts = ", ".join(f"{q} {n}" for q, n in r.counts.items())
    label = quadrant or "all quadrants"
    rows = "\n".join(
        f"- **{p.name}** ({p.account_id}): {money(p.arr_per_employee)} of ARR per employee, "
        f"health {p.overall} ({p.band})" + ("" if quadrant else f", {p.quadrant}")
        for p in r.placements
    )
    return [
        f"Expansion quadrants of your accounts ({rule}): {counts} [{m}].",
        f"{label}:\n{rows} [{m}]" if rows else f"No account in {label} [{m}].",
    ]


def opportunities(r: Opportunities, m: str, asked: str = "") -> list[str]:
    """Each deal with its qualification fields; a field the question names (`asked`: its
    text, "who is the champion on X's deal?") leads with its value."""
    if not r.opportunities:
        return [f"No open opportunity is recorded for that account [{m}]."]
    lines: list[str] = []
    for o in r.opportunities:
        for key, value in o.meddicc.items():
            if asked and re.search(rf"\b{re.escape(human(key))}\b", asked, re.I):
                said = (value or "**not captured yet**").rstrip(".")
                lines.append(f"{human(key).capitalize()} on **{o.id}**: {said} [{m}].")
        missing = ", ".join(human(f) for f in o.missing) or "none"
        fields = "\n".join(
            f"- {human(key).capitalize()}: {value or '**not captured yet**'}"
            for key, value in o.meddicc.items()
        )
        lines.append(
            f"**{o.id}** \u201c{o.name}\u201d for {o.account_name} ({o.account_id}): "
            f"{o.service}, stage {human(o.stage)}, {money(o.amount)}, closing "
            f"{o.close_date.isoformat()} (in {o.days_to_close} days) [{m}]. {o.framework}: "
            f"{o.captured} of {o.total_fields} fields captured; missing: {missing} [{m}].\n"
            f"{fields} [{m}]"
        )
    return lines


def pipeline(r: Pipeline, m: str, arguments: Mapping[str, Any]) -> list[str]:
    """The deals across the accounts: how many, their total, one line each."""
    parts = []
    if arguments.get("close_from") and arguments.get("close_to"):
        parts.append(f"closing between {arguments['close_from']} and {arguments['close_to']}")
    if arguments.get("service"):
        parts.append(f"for {arguments['service']}")
    if arguments.get("missing"):
        field = str(arguments["missing"]).lower()
        parts.append(f"without {article(field)}")
    what = f"{r.matched} open opportunit{'y' if r.matched == 1 else 'ies'}"
    head = " ".join([what, *parts]) + _shown(r.count, r.matched)
    if not r.opportunities:
        return [f"{head} [{m}]."]
    rows = "\n".join(
        f"- **{o.id}** \u201c{o.name}\u201d, {o.account_name} ({o.account_id}): {o.service}, "
        f"stage {human(o.stage)}, {money(o.amount)}, closing {o.close_date.isoformat()} (in "
        f"{o.days_to_close} days); {o.framework} missing: "
        + (", ".join(human(f) for f in o.missing) or "nothing")
        for o in r.opportunities
    )
    total = (
        f"Total amount of {'the ' + str(r.count) + ' shown' if r.count < r.matched else 'these'}"
    )
    return [f"{head} [{m}]:\n{rows}", f"{total}: {money(r.total_amount)} [{m}]."]


def calculation(r: Calculation, m: str) -> list[str]:
    """The answer first (the risk, the count, the price), then the arithmetic and its rule."""
    if isinstance(r, LicenseRiskResult):
        lead = (
            f"**{r.risk}**: {r.active:,} active of {r.licensed:,} licensed is over-deployment"
            if r.over_deployed
            else f"**{r.risk}** license risk: {r.unused_share_pct:g}% of the {r.licensed:,} "
            f"licenses are unused ({r.delta:,} seats)"
        )
    elif isinstance(r, StaffingResult):
        span = f"{r.fewest}" if r.fewest == r.most else f"{r.fewest} to {r.most}"
        lead = f"{money(r.arr)} of ARR needs **{span}** {r.role}s"
    elif isinstance(r, BlocksResult):
        lead = f"**{r.blocks}** block(s) of {r.block_hours} hours: **{money(r.price)}**"
    elif isinstance(r, CsatResult):
        lead = f"An average CSAT of {r.score:g} earns **{r.points}** points"
        if r.next_cut_off is not None:
            lead += f" (the next step is at {r.next_cut_off:g})"
    elif isinstance(r, HealthResult):
        state = "healthy" if r.healthy else "at risk"
        lead = f"Overall health **{r.overall}** ({r.band}, {state}; healthy from {r.healthy_from})"
    elif isinstance(r, LtvResult):
        lead = f"Customer lifetime value: **{money(r.ltv)}** ({r.formula})"
    else:
        lead = r.explanation
    return [
        f"{lead} [{m}].",
        f"How: {r.explanation}, by the rule in {r.rule.document}, section "
        f"\u201c{r.rule.section}\u201d [{m}].",
    ]


def footer(calls: Sequence[ToolCall]) -> str:
    """One line per tool call: what was called, the date its figures hold for, the tables."""
    lines = []
    for n, call in enumerate(calls, 1):
        args = ", ".join(f"{k}={v}" for k, v in call.arguments.items())
        lines.append(
            f"Figures: `{call.name}({args})` as of {call.as_of}, from {call.source} [T{n}]"
        )
    return "\n".join(lines)


def filters(arguments: Mapping[str, Any]) -> str:
    """The filters of a portfolio call, in words (" with health red, CSM Jane Roe")."""
    parts = []
    if arguments.get("bands"):
        parts.append(f"with health {' or '.join(arguments['bands'])}")
    if arguments.get("segment"):
        parts.append(
            f"in the {SEGMENT.get(arguments['segment'], human(arguments['segment']))} segment"
        )
    if arguments.get("industry"):
        parts.append(f"in the {human(str(arguments['industry']))} industry")
    if arguments.get("trend"):
        parts.append(f"with health trend {arguments['trend']}")
    if arguments.get("partnered") is not None:
        parts.append("worked with a partner" if arguments["partnered"] else "with no partner")
    if arguments.get("incident_severities"):
        severities = " or ".join(arguments["incident_severities"])
        since = arguments.get("incidents_since")
        parts.append(f"with {severities} incidents" + (f" since {since}" if since else ""))
    if arguments.get("nps_below") is not None:
        parts.append(
            "with a negative NPS"
            if arguments["nps_below"] == 0
            else f"with NPS under {arguments['nps_below']}"
        )
    if arguments.get("detractors"):
        parts.append("with NPS detractors")
    if arguments.get("surveys_since") and (
        arguments.get("nps_below") is not None or arguments.get("detractors")
    ):
        parts.append(f"in the answers since {arguments['surveys_since']}")
    if arguments.get("arr_at_least") is not None:
        parts.append(f"with ARR of at least {money(int(arguments['arr_at_least']))}")
    if arguments.get("arr_below") is not None:
        parts.append(f"with ARR under {money(int(arguments['arr_below']))}")
    if arguments.get("incidents_at_least") is not None:
        parts.append(f"with at least {arguments['incidents_at_least']} incidents")
    if arguments.get("health_below") is not None:
        parts.append(f"with health under {arguments['health_below']}")
    if arguments.get("health_at_least") is not None:
        parts.append(f"with health of at least {arguments['health_at_least']}")
    for key, label in (
        ("csm", "CSM"),
        ("account_exec", "account executive"),
        ("partner", "partner"),
    ):
        if arguments.get(key):
            parts.append(f"{label} {arguments[key]}")
    if arguments.get("account_ids"):
        parts.append("among the accounts above")
    return (" " + ", ".join(parts)) if parts else ""


def listing(arguments: Mapping[str, Any]) -> str:
    """What a list_accounts call lists ("account(s) with health under 50")."""
    text = "account(s)" + filters(arguments)
    if arguments.get("sort") == "renewal_date":
        text += (
            ", latest renewal first" if arguments.get("descending") else ", soonest renewal first"
        )
    elif arguments.get("sort"):
        order = "highest" if arguments.get("descending") else "lowest"
        key = str(arguments["sort"])
        text += f", {order} {key.upper() if key in ('arr', 'nps') else human(key)} first"
    return text


def comparison_cells(result: object, m: str) -> dict[str, str]:
    """One account's column of a comparison table."""
    if isinstance(result, AccountOverview):
        return {
            "ARR": f"{money(result.arr)} [{m}]",
            "segment": SEGMENT.get(result.segment, result.segment),
            "renewal": f"{result.renewal_date.isoformat()} ({result.days_to_renewal} days) [{m}]",
            "CSM": result.csm,
            "account executive": result.account_exec,
        }
    if isinstance(result, HealthScore):
        return {
            "health": f"{result.overall} ({result.band}) [{m}]",
            "trend": f"{result.trend.direction} ({result.trend.change:+d}) [{m}]",
            "weakest component": result.weakest_component,
        }
    if isinstance(result, LicenseUtilization):
        return {
            f"{x.module} licenses": (
                f"{number(x.active)}/{number(x.licensed)} active ({x.risk}) [{m}]"
            )
            for x in result.modules
        }
    if isinstance(result, SurveyTrend):
        return {
            "NPS": f"{number(result.nps)} [{m}]",
            "CSAT": f"{number(result.csat_average)} [{m}]",
        }
    if isinstance(result, IncidentSummary):
        return {"incidents": f"{result.total} ({result.sev1_sev2} sev1/sev2) [{m}]"}
    if isinstance(result, ExpansionTargets) and result.placements:
        return {"quadrant": f"{result.placements[0].quadrant} [{m}]"}
    return {}
