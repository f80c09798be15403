"""The 5W seller pitch of a service to an account: who pays, why, what, when, where and how,
in the sections of its template (knowledge/templates/pitch.yaml). Qualification fields come
from the account's open opportunity for the service; deliverables, scope, price and delivery
from the service one-pager; segment, renewal, health and licenses from the tools; the lens
itself from the guide."""

from __future__ import annotations

from assistant.drafts.context import Context
from assistant.drafts.evidence import Evidenced, known, needed
from assistant.drafts.facts import HEALTH, OPPORTUNITY, OVERVIEW, human, partner_text
from assistant.drafts.knowledge import ServiceDoc
from assistant.drafts.models import Pitch, What, When, WhereHow, Who, Why
from assistant.drafts.one_pager import (
    module_usage,
    service_field,
    service_opportunity,
    service_quotes,
)
from assistant.tools.opportunities import OpportunityView
from assistant.tools.overview import AccountOverview


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
    price = service_quotes(ctx, service, "what", "price")
    t = ctx.template
    return Pitch(
        title=t.title.format(service=service.title, account=o.name),
        sections=t.titles,
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
            buying_persona=service_field(ctx, service, "who", "buying_persona"),
        ),
        why=Why(
            pain=meddicc("identify_pain"),
            metrics=meddicc("metrics"),
            account_signals=signals,
            guidance=ctx.guide("why", "lens"),
        ),
        what=What(
            service=service_field(ctx, service, "what", "service"),
            deliverables=[
                service_field(ctx, service, "what", "deliverable", item=name)
                for name in t.section("what").items
            ],
            scope=service_field(ctx, service, "what", "scope"),
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
            timing=ctx.guide("when", "timing"),
        ),
        where_how=WhereHow(
            delivery_model=service_field(ctx, service, "where_how", "delivery"),
            partner=_partner(ctx, o),
            pricing_approach=ctx.ledger.quoted(
                price[1:], missing="the one-pager states no pricing approach"
            ),
            timeline=service_field(ctx, service, "where_how", "timeline"),
            customer_provides=service_field(ctx, service, "where_how", "customer_provides"),
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
    question = ctx.cite("who", "field_question", field=ctx.template.label("who", key))
    return needed(
        f"{human(key)} not captured ({where}): ask the question of the qualification guide",
        tools=[OPPORTUNITY],
        citations=question,
    )


def _partner(ctx: Context, o: AccountOverview) -> Evidenced[str]:
    text = partner_text(o)
    if text is None:
        return known(
            "none: the account is managed directly",
            tools=[OVERVIEW],
            citations=ctx.cite("where_how", "direct"),
        )
    role = "sales_agent" if o.partner_role == "sales_agent" else "cs_manager"
    return known(text, tools=[OVERVIEW], citations=ctx.cite("where_how", role))
