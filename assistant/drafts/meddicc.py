"""The MEDDICC review of an opportunity: each of the eight fields rated, with the evidence
(the opportunity record and its MEDDICC note), the guide's question to close each gap, and
next steps.

The headings and where the guide's questions are looked up come from the template
(knowledge/templates/meddicc_review.yaml). Rating rules ("captured, specific and evidenced"):

    missing   the field is empty
    weak      the text is vague (unknown, unclear, not sure, TBD, none agreed, not known,
              "want things to be better", mentioned once), or it lacks what good looks like:
                metrics           a figure and a target (target / goal)
                economic buyer    a named person with a title ("Name Surname, Title")
                decision process  a date or a month (the steps between today and signature)
                champion          a named customer person with a title, not the partner
                compelling event  a date, a month or a year
    complete  otherwise
"""

from __future__ import annotations

import re

from assistant.drafts.context import Context
from assistant.drafts.evidence import known, needed
from assistant.drafts.facts import OPPORTUNITY, OVERVIEW, human
from assistant.drafts.models import Deal, FieldReview, MeddiccReview, NextStep, Rating
from assistant.tools.opportunities import Opportunities, OpportunityView
from assistant.tools.overview import AccountOverview

VAGUE = re.compile(
    r"\b(unknown|unclear|not sure|tbd|to be confirmed|none agreed|not known|no [\w ]{0,25}"
    r"known|things to be better|mentioned [\w ]{0,30}once)\b",
    re.I,
)
MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
DATE = re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{MONTH}\b|\bq[1-4]\b|\b20\d\d\b", re.I)
PERSON = re.compile(r"^(?:(?:Dr|Mr|Ms|Mrs)\.\s+)?[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)+,\s*\S")
TARGET = re.compile(r"\b(target|goal)\b", re.I)
PAST_DEMO = frozenset({"proof_of_concept", "technical_qa", "sizing", "negotiation"})


def rate(key: str, text: str | None, partner: str | None) -> tuple[Rating, str]:
    """The rating of one field and the rule that gave it."""
    if not text or not text.strip():
        return "missing", "not captured"
    if VAGUE.search(text):
        return "weak", "vague: not specific enough to act on"
    if key == "metrics" and not (re.search(r"\d", text) and TARGET.search(text)):
        return "weak", "needs a baseline figure and a target"
    if key == "economic_buyer" and not PERSON.search(text):
        return "weak", "needs a named person and title"
    if key in ("decision_process", "compelling_event") and not DATE.search(text):
        return "weak", "needs dates"
    if key == "champion":
        if (partner and partner.lower() in text.lower()) or re.search(r"on behalf", text, re.I):
            return "weak", "names the partner, not a customer person"
        if not PERSON.search(text):
            return "weak", "needs a named customer person and title"
    return "complete", "captured and specific"


def build_meddicc_review(ctx: Context, opportunity_id: str) -> MeddiccReview:
    view = ctx.run(Opportunities, OPPORTUNITY, opportunity_id=opportunity_id).opportunities[0]
    o = ctx.run(AccountOverview, OVERVIEW, account_id=view.account_id)
    note_title = _deal_note(ctx, view)
    fields = [_field(ctx, view, key, note_title, o.partner) for key in ctx.rules.qualification_keys]

    return MeddiccReview(
        title=ctx.template.title.format(
            framework=ctx.rules.qualification.name, opportunity=view.id, name=view.name
        ),
        sections=ctx.template.titles,
        generated_on=ctx.today,
        opportunity_id=view.id,
        account_id=view.account_id,
        deal=Deal(
            name=known(view.name, tools=[OPPORTUNITY]),
            account_name=known(view.account_name, tools=[OPPORTUNITY]),
            service=known(view.service, tools=[OPPORTUNITY]),
            stage=known(human(view.stage), tools=[OPPORTUNITY]),
            amount=known(view.amount, tools=[OPPORTUNITY]),
            close_date=known(view.close_date, tools=[OPPORTUNITY]),
            days_to_close=known(view.days_to_close, tools=[OPPORTUNITY]),
            captured=known(view.captured, tools=[OPPORTUNITY], note=f"of {view.total_fields}"),
        ),
        fields=fields,
        next_steps=_next_steps(ctx, view, o, fields),
        citations=ctx.ledger.citations,
        tool_calls=ctx.ledger.calls,
    )


def _deal_note(ctx: Context, view: OpportunityView) -> str | None:
    """The title of the deal's note in the knowledge base: the note whose title names the
    opportunity (its name or id); None when there is none."""
    names = {view.name.lower(), view.id.lower()}
    for chunk in ctx.knowledge.chunks(ctx.principal, frozenset({"meddicc"})):
        title = str(chunk.metadata.get("title", ""))
        if any(name in title.lower() for name in names):
            return title
    return None


def _field(
    ctx: Context, view: OpportunityView, key: str, note_title: str | None, partner: str | None
) -> FieldReview:
    label = next(f.label for f in ctx.rules.qualification.fields if f.key == key)
    text = view.meddicc.get(key)
    rating, reason = rate(key, text, partner)
    note = ctx.find("fields", "note", title=note_title, field=label) if note_title else []
    cites = [ctx.ledger.cite(q.chunk) for q in note]
    if text:
        evidence = known(text, tools=[OPPORTUNITY], citations=cites)
    else:
        evidence = needed(f"{label.lower()} is not captured", tools=[OPPORTUNITY],
                          citations=cites)  # fmt: skip
    framework = ctx.rules.qualification.name
    missing = f"the {framework} guide has no question for {label.lower()}"
    question = ctx.guide("fields", "question", field=label, missing=missing)
    return FieldReview(
        field=key, label=label, rating=rating, evidence=evidence, reason=reason, question=question
    )


def _next_steps(
    ctx: Context, view: OpportunityView, o: AccountOverview, fields: list[FieldReview]
) -> list[NextStep]:
    owner = known(
        o.account_exec,
        tools=[OVERVIEW],
        citations=ctx.cite("next_steps", "owner"),
        note=f"account executive, owns the {ctx.rules.qualification.name} record",
    )
    plan = ctx.cite("next_steps", "plan")
    stage_rule = ctx.cite("next_steps", "stage_rule")
    due_note = f"agree the date in the opportunity plan (the deal closes on {view.close_date})"
    if view.stage in PAST_DEMO:
        due_note += f"; the deal is past the demo stage ({human(view.stage)}), close it first"
    gaps = sorted(
        (f for f in fields if f.rating != "complete"), key=lambda f: f.rating != "missing"
    )
    steps = [
        NextStep(
            action=known(
                f"Close the {f.label.lower()} gap ({f.rating}): {f.question.value}"
                if f.question.value
                else f"Close the {f.label.lower()} gap ({f.rating})",
                tools=[OPPORTUNITY],
                citations=f.question.citations,
            ),
            owner=owner,
            due=needed(due_note, tools=[OPPORTUNITY], citations=plan + stage_rule),
        )
        for f in gaps
    ]
    if not steps:
        steps.append(
            NextStep(
                action=ctx.guide("next_steps", "complete"),
                owner=owner,
                due=known(view.close_date, tools=[OPPORTUNITY], note="the close date"),
            )
        )
    return steps
