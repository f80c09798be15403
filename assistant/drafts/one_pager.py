"""The service one-pager, quoted section by section from the service's own one-pager in the
knowledge base in the sections of its template (knowledge/templates/one_pager.yaml: each
sub-section found by its heading hint, else the closest section of that one-pager by its
question), optionally tailored to an account: its segment and industry, the pains recorded
on its opportunities (the one for the service first) and in the notes about it (found by
the template's question within the account's documents), and the modules it licenses with
their utilisation."""

from __future__ import annotations

from assistant.drafts.context import Context, fill
from assistant.drafts.evidence import Evidenced, Quote, known, needed
from assistant.drafts.facts import LICENSES, OPPORTUNITY, OVERVIEW, human, license_text
from assistant.drafts.knowledge import ServiceDoc
from assistant.drafts.meddicc import rate
from assistant.drafts.models import LicenseLine, ModuleUse, OnePager, Tailoring
from assistant.tools.licenses import LicenseUtilization, ModuleLicense
from assistant.tools.opportunities import Opportunities, OpportunityView
from assistant.tools.overview import AccountOverview


def service_quotes(
    ctx: Context, service: ServiceDoc, section: str, name: str, **fields: str
) -> list[Quote]:
    """A template lookup answered from the service's own one-pager."""
    return ctx.find(section, name, source=service.source, **fields)


def service_field(
    ctx: Context, service: ServiceDoc, section: str, name: str, **fields: str
) -> Evidenced[str]:
    quotes = service_quotes(ctx, service, section, name, **fields)
    asked = ctx.template.lookup(section, name).question
    missing = f"the {service.title} one-pager does not answer '{asked}': write it"
    return ctx.ledger.quoted(quotes, missing=missing)


def service_opportunity(
    ctx: Context, account_id: str, service: ServiceDoc
) -> tuple[OpportunityView | None, list[OpportunityView]]:
    """The account's open opportunity for the service (the first by id), and all of them."""
    views = ctx.run(Opportunities, OPPORTUNITY, account_id=account_id).opportunities
    return next((v for v in views if v.service == service.id), None), views


def build_one_pager(ctx: Context, service: ServiceDoc, account_id: str | None) -> OnePager:
    t = ctx.template
    questions = {
        kind: [ctx.ledger.quoted([q]) for q in service_quotes(ctx, service, kind, "quote")]
        or [needed(f"the one-pager lists no {kind.replace('_', ' ')}")]
        for kind in ("business_questions", "technical_questions")
    }
    tailoring = _tailoring(ctx, service, account_id) if account_id else None
    title = t.title.format(service=service.title)
    sections = t.titles
    if tailoring is not None and tailoring.account_name.value:
        name = tailoring.account_name.value
        title += f" for {name}"
        sections["tailoring"] = fill(sections["tailoring"], {"account": name})
    return OnePager(
        title=title,
        generated_on=ctx.today,
        sections=sections,
        service_id=service.id,
        account_id=account_id,
        description=service_field(ctx, service, "service", "description"),
        engagement=service_field(ctx, service, "service", "engagement"),
        outcome=service_field(ctx, service, "service", "outcome"),
        business_questions=questions["business_questions"],
        technical_questions=questions["technical_questions"],
        deliverables=_named(ctx, service, "deliverables"),
        customer_provides=_named(ctx, service, "customer_provides"),
        price=service_field(ctx, service, "price", "quote"),
        scope_and_timeline=service_field(ctx, service, "scope", "quote"),
        tailoring=tailoring,
        citations=ctx.ledger.citations,
        tool_calls=ctx.ledger.calls,
    )


def _named(ctx: Context, service: ServiceDoc, section: str) -> dict[str, Evidenced[str]]:
    return {
        item: service_field(ctx, service, section, "quote", item=item)
        for item in ctx.template.section(section).items
    }


def module_usage(ctx: Context, account_id: str, service: ServiceDoc) -> list[Evidenced[str]]:
    """The account's licenses of the service's modules (absent modules said as such)."""
    lines = ctx.run(LicenseUtilization, LICENSES, account_id=account_id).modules
    usage: list[Evidenced[str]] = []
    for module in service.modules:
        line = next((m for m in lines if m.module == module), None)
        text = license_text(line) if line else f"{module}: not licensed"
        usage.append(known(text, tools=[LICENSES]))
    if not usage:
        usage.append(needed("the one-pager names no platform module (tags)"))
    return usage


def line_of(m: ModuleLicense) -> LicenseLine:
    return LicenseLine(
        module=m.module,
        licensed=m.licensed,
        active=m.active,
        unused_share_pct=m.unused_share_pct,
        risk=m.risk,
    )


def _modules(ctx: Context, account_id: str, service: ServiceDoc) -> list[Evidenced[ModuleUse]]:
    """Every module the account licenses, the service's first; then the service's modules
    the account does not license."""
    lines = ctx.run(LicenseUtilization, LICENSES, account_id=account_id).modules
    held = sorted(lines, key=lambda m: m.module not in service.modules)
    uses = [
        ModuleUse(module=m.module, in_service=m.module in service.modules, license=line_of(m))
        for m in held
    ]
    licensed = {m.module for m in lines}
    uses += [
        ModuleUse(module=module, in_service=True, license=None)
        for module in service.modules
        if module not in licensed
    ]
    return [known(use, tools=[LICENSES]) for use in uses]


def _pains(
    ctx: Context, account_id: str, service: ServiceDoc, opportunities: list[OpportunityView]
) -> list[Evidenced[str]]:
    """The pain and the metric of the account's opportunity for the service and the pains
    of its other opportunities (those the MEDDICC rule rates complete), then what its own
    notes say (the template's `notes` lookup, within the documents about the account),
    each once."""
    ordered = sorted(opportunities, key=lambda v: v.service != service.id)
    pains: list[Evidenced[str]] = []
    for view in ordered:
        keys = ("identify_pain", "metrics") if view.service == service.id else ("identify_pain",)
        for key in keys:
            text = view.meddicc.get(key)
            if text and rate(key, text, None)[0] == "complete":  # a vague note says nothing
                pains.append(known(text, tools=[OPPORTUNITY], note=view.id))
    said = " ".join(str(p.value) for p in pains)
    for quote in ctx.find("tailoring", "notes", account=account_id):
        if quote.text not in said:
            pains.append(ctx.ledger.quoted([quote]))
    if not pains:
        where = f"an opportunity for {service.id} or a note about the account"
        pains.append(
            needed(f"no pain is recorded on {where}: ask the customer", tools=[OPPORTUNITY])
        )
    return pains


def _tailoring(ctx: Context, service: ServiceDoc, account_id: str) -> Tailoring:
    overview = ctx.run(AccountOverview, OVERVIEW, account_id=account_id)
    _, opportunities = service_opportunity(ctx, overview.account_id, service)
    return Tailoring(
        account_name=known(overview.name, tools=[OVERVIEW]),
        industry=known(overview.industry, tools=[OVERVIEW]),
        segment=known(
            f"{human(overview.segment)} {human(overview.industry)} company with "
            f"{overview.employees:,} employees",
            tools=[OVERVIEW],
        ),
        pains=_pains(ctx, overview.account_id, service, opportunities),
        modules=_modules(ctx, overview.account_id, service),
    )
