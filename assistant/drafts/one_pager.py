"""The service one-pager, quoted section by section from the service's own one-pager in the
knowledge base in the sections of its template (knowledge/templates/one_pager.yaml: each
sub-section found by its heading hint, else the closest section of that one-pager by its
question), optionally tailored to an account: its industry, the pains recorded on its
opportunity for the service, and its usage of the service's modules."""

from __future__ import annotations

from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, Quote, known, needed
from assistant.drafts.facts import LICENSES, OPPORTUNITY, OVERVIEW, license_text
from assistant.drafts.knowledge import ServiceDoc
from assistant.drafts.models import OnePager, Tailoring
from assistant.tools.licenses import LicenseUtilization
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
    if tailoring is not None and tailoring.account_name.value:
        title += f" for {tailoring.account_name.value}"
    return OnePager(
        title=title,
        generated_on=ctx.today,
        sections=t.titles,
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


def _tailoring(ctx: Context, service: ServiceDoc, account_id: str) -> Tailoring:
    overview = ctx.run(AccountOverview, OVERVIEW, account_id=account_id)
    opportunity, _ = service_opportunity(ctx, overview.account_id, service)
    pains: list[Evidenced[str]] = []
    if opportunity is not None:
        for key in ("identify_pain", "metrics"):
            text = opportunity.meddicc.get(key)
            if text:
                pains.append(known(f"{opportunity.id}: {text}", tools=[OPPORTUNITY]))
    if not pains:
        where = f"{opportunity.id}" if opportunity else f"an opportunity for {service.id}"
        pains.append(
            needed(f"no pain is recorded on {where}: ask the customer", tools=[OPPORTUNITY])
        )
    return Tailoring(
        account_name=known(overview.name, tools=[OVERVIEW]),
        industry=known(overview.industry, tools=[OVERVIEW]),
        pains=pains,
        module_usage=module_usage(ctx, overview.account_id, service),
    )
