"""The 5W seller pitch of a service to an account (The 5W Seller Lens): who will pay, why,
what, when, where and how. MEDDICC fields come from the account's open opportunity for the
service; deliverables, scope, price and delivery from the service one-pager; segment,
renewal, health and licenses from the tools; the lens itself from the guide."""

from __future__ import annotations

from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, known, needed
from assistant.drafts.facts import HEALTH, OPPORTUNITY, OVERVIEW, human, partner_text
from assistant.drafts.knowledge import ServiceDoc
from assistant.drafts.models import Pitch, What, When, WhereHow, Who, Why
from assistant.drafts.one_pager import (
    DELIVERABLES,
    module_usage,
    service_field,
    service_opportunity,
    service_quotes,
)
from assistant.tools.opportunities import OpportunityView
from assistant.tools.overview import AccountOverview

QUESTION_SECTIONS = {
    "economic_buyer": "Economic buyer",
    "champion": "Champion",
    "identify_pain": "Identify pain",
    "metrics": "Metrics",
    "compelling_event": "Compelling event",
}


def build_pitch(ctx: Context, account_id: str, service: ServiceDoc) -> Pitch:
    o = ctx.run(AccountOverview, OVERVIEW, account_id=account_id)
    opp, _ = service_opportunity(ctx, o.account_id, service)

    def meddicc(key: str) -> Evidenced[str]:
        return _meddicc(ctx, opp, key, service)

    h = ctx.health(o.account_id)
    signals = module_usage(ctx, o.account_id, service)
    if h is not None:
        weakest = h.weakest_component
        signals.append(
            known(
                f"health {h.overall} ({h.band}, {h.trend.direction}); weakest component "
                f"{weakest} {h.components[weakest]}",
                tools=[HEALTH],
            )
        )
    price = service_quotes(ctx, service, "Rough-order price", limit=4)
    return Pitch(
        title=f"5W pitch: {service.title} for {o.name}",
        generated_on=ctx.today,
        account_id=o.account_id,
        service_id=service.id,
        opportunity_id=opp.id if opp else None,
        who=Who(
            economic_buyer=meddicc("economic_buyer"),
            champion=meddicc("champion"),
            segment=known(
                f"{human(o.segment)} {human(o.industry)}, {o.employees:,} employees",
                tools=[OVERVIEW],
            ),
            buying_persona=service_field(ctx, service, "What we need from you > Executive sponsor"),
        ),
        why=Why(
            pain=meddicc("identify_pain"),
            metrics=meddicc("metrics"),
            account_signals=signals,
            guidance=ctx.guidance("Why they will pay", must=r"pain|metric", limit=2),
        ),
        what=What(
            service=service_field(ctx, service, "What the service is > Description", limit=1),
            deliverables=[
                service_field(ctx, service, f"What you get > {name}") for name in DELIVERABLES
            ],
            scope=service_field(ctx, service, "Scope and timeline", must=r"scope", limit=1),
            price=ctx.ledger.quoted(price[:1], missing="the one-pager states no price"),
        ),
        when=When(
            compelling_event=meddicc("compelling_event"),
            renewal_date=known(o.renewal_date, tools=[OVERVIEW]),
            days_to_renewal=known(o.days_to_renewal, tools=[OVERVIEW]),
            close_date=known(opp.close_date, tools=[OPPORTUNITY])
            if opp
            else needed(
                f"no open opportunity for {service.id}: agree a close date", tools=[OPPORTUNITY]
            ),
            timing=ctx.guidance("When to pitch", must=r"good moments|compelling event", limit=2),
        ),
        where_how=WhereHow(
            delivery_model=service_field(ctx, service, "What the service is > Engagement", limit=1),
            partner=_partner(ctx, o),
            pricing_approach=ctx.ledger.quoted(
                price[1:], missing="the one-pager states no pricing approach"
            ),
            timeline=service_field(ctx, service, "Scope and timeline", must=r"weeks?", limit=3),
            customer_provides=service_field(
                ctx, service, "What we need from you > Infrastructure", limit=1
            ),
        ),
        citations=ctx.ledger.citations,
        tool_calls=ctx.ledger.calls,
    )


def _meddicc(
    ctx: Context, opp: OpportunityView | None, key: str, service: ServiceDoc
) -> Evidenced[str]:
    text = opp.meddicc.get(key) if opp else None
    if opp is not None and text:
        return known(text, tools=[OPPORTUNITY], note=f"MEDDICC of {opp.id}")
    where = f"the MEDDICC of {opp.id}" if opp else f"no open opportunity for {service.id}"
    question = ctx.cite_first(QUESTION_SECTIONS[key], must=r"Ask:")
    return needed(
        f"{human(key)} not captured ({where}): ask the question of the MEDDICC guide",
        tools=[OPPORTUNITY],
        citations=question,
    )


def _partner(ctx: Context, o: AccountOverview) -> Evidenced[str]:
    text = partner_text(o)
    if text is None:
        return known(
            "none: the account is managed directly",
            tools=[OVERVIEW],
            citations=ctx.cite_first("How partners take part", must=r"no partner is involved"),
        )
    role = r"sales agent owns" if o.partner_role == "sales_agent" else r"CS\) manager runs"
    return known(
        text,
        tools=[OVERVIEW],
        citations=ctx.cite_first("How partners take part", must=role),
    )
