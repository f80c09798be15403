"""Each draft kind laid out as blocks (the sections a reader sees, in order)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assistant.drafts.evidence import Evidenced
from assistant.drafts.meddicc import rate
from assistant.drafts.models import (
    DraftBase,
    MeddiccReview,
    ModuleUse,
    Objective,
    OnePager,
    Pitch,
    SuccessPlan,
    Tailoring,
)
from assistant.drafts.render import (
    NEEDS_INPUT,
    Block,
    Bullets,
    Chart,
    Heading,
    Marks,
    Paragraph,
    Table,
    closing,
    show,
)
from assistant.engine.types import ToolCall

INTRO = (
    "Drafted by the grounded composer. Each figure cites the tool result it comes from ([Tn], "
    "with the date it holds for) and each piece of guidance the knowledge it quotes ([n]); "
    "fields marked needs input are not in the data and must be filled in."
)


def title(draft: DraftBase, key: str) -> str:
    """The heading of a section: the template's title (kept on the draft), else the key."""
    return draft.sections.get(key) or key.replace("_", " ").capitalize()


def worksheet(draft: DraftBase, key: str) -> str:
    """The heading of a section's evidence worksheet: the template's seller-side wording
    (`worksheet`), else the section's title."""
    return "Worksheet: " + (draft.worksheet_titles.get(key) or title(draft, key))


def label(field: str) -> str:
    """A row label from a field name ("economic_buyer" -> "Economic buyer")."""
    return field.replace("_", " ").capitalize()


def _rows(m: Marks, items: list[tuple[str, Evidenced[Any]]], money: tuple[str, ...] = ()) -> Table:
    return Table(("Item", "Value"), tuple((k, m.cell(v, money=k in money)) for k, v in items))


def _kpi(m: Marks, o: Objective) -> str:
    """The KPI's short name (the template's) citing the sentence that states it."""
    return f"{o.name}{m.of(o.kpi)}" if o.name else m.cell(o.kpi)


def _calls(d: DraftBase, field: Evidenced[Any]) -> list[ToolCall]:
    return [c for c in d.tool_calls if c.name in field.tools]


def _current(d: DraftBase, m: Marks, field: Evidenced[Any]) -> str:
    """Today's figure with the date it holds for (the tool results' as-of)."""
    dates = sorted({c.as_of for c in _calls(d, field) if c.as_of})
    text = m.cell(field)
    return f"{text} (as of {', '.join(dates)})" if dates and not field.needs_input else text


def _source(d: DraftBase, field: Evidenced[Any]) -> str:
    calls = _calls(d, field)
    if not calls:
        return "not in the account data" if field.needs_input else "knowledge base"
    return "; ".join(f"{c.name} ({c.source})" if c.source else c.name for c in calls)


def _months(trend: Evidenced[Any]) -> str:
    """The window of a health trend (the rules' trend months)."""
    months = getattr(trend.value, "months", None)
    return f"{months} months" if months else "trend window"


def success_plan(d: SuccessPlan, m: Marks) -> list[Block]:
    s = d.snapshot
    rows: list[tuple[str, Evidenced[Any]]] = [
        ("Account", s.account_name), ("Industry", s.industry), ("Segment", s.segment),
        ("ARR", s.arr), ("Renewal date", s.renewal_date), ("Days to renewal", s.days_to_renewal),
        ("Health score", s.health_score), ("Health band", s.health_band),
        (f"Health trend ({_months(s.health_trend)})", s.health_trend),
    ]  # fmt: skip
    rows += [("Health component", c) for c in s.components]
    rows += [("License utilization", lic) for lic in s.licenses]
    rows += [("NPS (12 months)", s.nps), ("NPS responses", s.nps_responses),
             ("CSAT average (12 months)", s.csat_average),
             ("Sev1/sev2 incidents (3 months)", s.sev1_sev2_last_3_months)]  # fmt: skip
    blocks: list[Block] = [Heading(2, title(d, "snapshot")), _rows(m, rows, money=("ARR",))]
    blocks += [Chart(spec) for spec in d.charts]
    blocks += [Heading(2, title(d, "lifecycle")), Paragraph(m.cell(d.lifecycle_stage))]
    blocks += [
        Heading(2, title(d, "objectives")),
        Table(("KPI", "Target", "Current value", "Source", "Due"),
              tuple((_kpi(m, o), m.cell(o.target), _current(d, m, o.baseline),
                     _source(d, o.baseline), m.cell(o.due)) for o in d.objectives)),
        Heading(2, title(d, "milestones")),
        Table(("Milestone", "When", "Status", "Owner"),
              tuple((x.name, m.cell(x.when), x.status, m.cell(x.owner, note=False))
                    for x in d.milestones)),
        Heading(2, title(d, "risks")),
    ]  # fmt: skip
    if d.risks:
        blocks.append(
            Table(("Risk", "Mitigation", "Owner"),
                  tuple((m.cell(r.risk), m.cell(r.mitigation), m.cell(r.owner, note=False))
                        for r in d.risks))
        )  # fmt: skip
    else:
        blocks.append(Paragraph("No risk rule fires on the current data."))
    blocks += [
        Heading(2, title(d, "cadence")),
        Table(("Frequency", "Activities"),
              tuple((c.frequency, m.cell(c.activities)) for c in d.cadence)),
        Heading(2, title(d, "owners")),
        Table(("Role", "Name", "Responsibility"),
              tuple((o.role, m.cell(o.name), m.cell(o.responsibility)) for o in d.owners)),
        Heading(2, title(d, "outcomes")),
        Bullets(tuple(m.cell(v) for v in d.verified_outcomes)),
        Heading(3, title(d, "to_pursue")),
        Bullets(tuple(m.cell(v) for v in d.outcomes_to_pursue)),
    ]  # fmt: skip
    return blocks


GAP = "write this paragraph for the buyer (the appendix lists what is missing)."


def _say(m: Marks, field: Evidenced[Any], frame: str = "{}", *, lower: bool = False) -> str | None:
    """One sentence for the reader from a field, with its markers; None when the field
    needs input (the worksheet and the checklist name it) or holds nothing to say. A quoted
    sentence is used as it is; a figure from the tools goes in the frame."""
    if field.needs_input or field.value is None:
        return None
    text = show(field.value).strip()
    if not text:
        return None
    if frame != "{}":
        text = text.rstrip(".")
        if lower:
            text = text[:1].lower() + text[1:]
    sentence = frame.format(text)
    sentence = sentence[:1].upper() + sentence[1:]
    if sentence[-1] not in ".?!":
        sentence += "."
    return sentence + m.of(field)


def _paragraph(*sentences: str | None) -> Paragraph:
    said = [s for s in sentences if s]
    return Paragraph(" ".join(said) if said else f"{NEEDS_INPUT} {GAP}")


def pitch(d: Pitch, m: Marks) -> list[Block]:
    """One short paragraph per W, written for the buyer, each sentence citing its evidence;
    the evidence worksheet (with the seller's notes) follows as an appendix."""
    w, y, t, n, h = d.who, d.why, d.what, d.when, d.where_how
    partner = h.partner.value if not h.partner.needs_input else None
    with_partner = (
        _say(m, h.partner, "we deliver it together with {}")
        if partner and "(" in str(partner) and not str(partner).startswith("none")
        else None
    )
    if with_partner:
        with_partner = with_partner.replace(f" ({str(partner).split(' (', 1)[1]}", "", 1)

    def deal(field: Evidenced[Any], key: str, frame: str = "{}", **kw: bool) -> str | None:
        """A qualification field in the buyer's text: only when the MEDDICC rule rates it
        complete (a vague or partner-only note stays in the worksheet); a person as name
        and title, without the seller's remarks."""
        text = None if field.needs_input else show(field.value)
        if text is None or rate(key, text, None)[0] != "complete":
            return None
        if key in PEOPLE:
            field = field.model_copy(update={"value": _person(text)})
        return _say(m, field, frame, **kw)

    event = str(n.compelling_event.value or "").lower()
    because = (  # a sentence of its own ("The contract ends on ...") or a noun ("Audit in May")
        "the timing matters: {}"
        if event.startswith(("the ", "a ", "an ", "our ", "their ", "its "))
        else "the timing matters because of the {}"
    )
    return [
        Heading(2, title(d, "who")),
        _paragraph(
            deal(w.economic_buyer, "economic_buyer", "this proposal is for {}"),
            deal(w.champion, "champion", "{} is our point of contact"),
            _say(m, w.buying_persona),
        ),
        Heading(2, title(d, "why")),
        _paragraph(deal(y.pain, "identify_pain"), deal(y.metrics, "metrics")),
        Heading(2, title(d, "what")),
        _paragraph(
            _say(m, t.service), *(_say(m, x) for x in t.deliverables), _say(m, t.scope),
            _say(m, t.price),
        ),
        Heading(2, title(d, "when")),
        _paragraph(
            deal(n.compelling_event, "compelling_event", because, lower=True),
            _say(m, n.close_date, "we plan to start by {}"),
            _say(m, n.renewal_date, "your current subscription renews on {}"),
        ),
        Heading(2, title(d, "where_how")),
        _paragraph(
            _say(m, h.delivery_model), _say(m, h.timeline), with_partner,
            _say(m, h.customer_provides), _say(m, h.pricing_approach),
        ),
        Heading(2, "Appendix: evidence worksheet"),
        *pitch_worksheet(d, m),
    ]  # fmt: skip


PEOPLE = ("economic_buyer", "champion")


def _person(text: str) -> str:
    """ "Helen Marsh, Chief Operating Officer (met on 2026-09-22)." -> "Helen Marsh, Chief
    Operating Officer": the name and the title, without remarks or further clauses."""
    plain = re.sub(r"\s*\([^)]*\)", "", text).strip().rstrip(".")
    return ",".join(plain.split(",")[:2]).strip()


def pitch_worksheet(d: Pitch, m: Marks) -> list[Block]:
    """The evidence worksheet (each W's fields, with the notes for the seller)."""
    w, y, t, n, h = d.who, d.why, d.what, d.when, d.where_how
    return [
        Heading(3, worksheet(d, "who")),
        _rows(m, [(label("economic_buyer"), w.economic_buyer), (label("champion"), w.champion),
                  ("Segment", w.segment), ("Buying persona", w.buying_persona)]),
        Heading(3, worksheet(d, "why")),
        _rows(m, [("Pain", y.pain), ("Metrics", y.metrics), ("Why customers pay", y.guidance)]
              + [("Account signal", s) for s in y.account_signals]),
        Heading(3, worksheet(d, "what")),
        _rows(m, [("Service", t.service)] + [("Deliverable", x) for x in t.deliverables]
              + [("Scope", t.scope), ("Price", t.price)]),
        Heading(3, worksheet(d, "when")),
        _rows(m, [(label("compelling_event"), n.compelling_event), ("Renewal date", n.renewal_date),
                  ("Days to renewal", n.days_to_renewal), ("Opportunity close date", n.close_date),
                  ("Timing", n.timing)]),
        Heading(3, worksheet(d, "where_how")),
        _rows(m, [("Delivery model", h.delivery_model), ("Partner", h.partner),
                  ("Pricing approach", h.pricing_approach), ("Timeline", h.timeline),
                  ("What the customer provides", h.customer_provides)]),
    ]  # fmt: skip


def one_pager(d: OnePager, m: Marks) -> list[Block]:
    blocks: list[Block] = [Heading(2, title(d, "service"))]
    for name, field in (("Description", d.description), ("Engagement", d.engagement),
                        ("Outcome", d.outcome)):  # fmt: skip
        blocks += [Heading(3, name), Paragraph(m.cell(field))]
    if d.tailoring is not None:
        blocks += [Heading(2, title(d, "tailoring")), Paragraph(_fits(d.tailoring, m))]
    blocks += [
        Heading(2, title(d, "fit")),
        Heading(3, title(d, "business_questions")),
        Bullets(tuple(m.cell(q) for q in d.business_questions), numbered=True),
        Heading(3, title(d, "technical_questions")),
        Bullets(tuple(m.cell(q) for q in d.technical_questions), numbered=True),
        Heading(2, title(d, "deliverables")),
    ]
    for name, field in d.deliverables.items():
        blocks += [Heading(3, name), Paragraph(m.cell(field))]
    blocks.append(Heading(2, title(d, "customer_provides")))
    for name, field in d.customer_provides.items():
        blocks += [Heading(3, name), Paragraph(m.cell(field))]
    blocks += [Heading(2, title(d, "price")), Paragraph(m.cell(d.price))]
    blocks += [Heading(2, title(d, "scope")), Paragraph(m.cell(d.scope_and_timeline))]
    if d.tailoring is not None:
        t = d.tailoring
        blocks += [
            Heading(2, "Appendix: account evidence"),
            _rows(m, [("Account", t.account_name), ("Industry", t.industry),
                      ("Segment", t.segment)]
                  + [("Pain", p) for p in t.pains]
                  + [("Module", u) for u in t.modules]),
        ]  # fmt: skip
    return blocks


def _fits(t: Tailoring, m: Marks) -> str:
    """Why the service fits the account, for its reader: who it is, what it told us, and
    how the service meets the modules it licenses (each sentence citing its evidence)."""
    name = str(t.account_name.value or "your company")
    said = [s for s in (_say(m, t.segment, f"{name} is {_article(t.segment)}{{}}"),) if s]
    pains = [p for p in t.pains if not p.needs_input]
    for n, pain in enumerate(pains):
        said.append(_say(m, pain, "we heard that {}" if n == 0 else "{}", lower=n == 0) or "")
    for use in t.modules:
        said.append(_module_sentence(use, m))
    return " ".join(s for s in said if s) or f"{NEEDS_INPUT} say why the service fits {name}."


def _article(field: Evidenced[Any]) -> str:
    return "an " if str(field.value or "")[:1].lower() in "aeiou" else "a "


def _module_sentence(field: Evidenced[ModuleUse], m: Marks) -> str:
    use = field.value
    if use is None:
        return ""
    line = use.license
    if line is None:
        adds = f"The service adds the {use.module} module, which you do not license yet."
        return adds + m.of(field)
    if line.unused_share_pct is None:
        usage = f"{line.active:,} users are active on {line.licensed:,} licenses"
    else:
        usage = f"{line.active:,} of your {line.licensed:,} licensed users are active"
    if use.in_service:
        return f"The service builds on your {use.module} licenses, where {usage}.{m.of(field)}"
    return f"You also license {use.module}, where {usage}.{m.of(field)}"


def meddicc_review(d: MeddiccReview, m: Marks) -> list[Block]:
    x = d.deal
    return [
        Heading(2, title(d, "deal")),
        _rows(m, [("Opportunity", x.name), ("Account", x.account_name), ("Service", x.service),
                  ("Stage", x.stage), ("Amount", x.amount), ("Close date", x.close_date),
                  ("Days to close", x.days_to_close), ("MEDDICC fields captured", x.captured)],
              money=("Amount",)),
        Heading(2, title(d, "fields")),
        Table(("Field", "Rating", "Evidence", "Why"),
              tuple((f.label, f.rating, m.cell(f.evidence), f.reason) for f in d.fields)),
        Heading(2, title(d, "questions")),
        Bullets(tuple(f"**{f.label}** ({f.rating}): {m.cell(f.question)}"
                      for f in d.fields if f.rating != "complete")
                or ("Every field is complete: confirm them with the champion.",)),
        Heading(2, title(d, "next_steps")),
        Table(("Action", "Owner", "Due"),
              tuple((m.cell(s.action), m.cell(s.owner, note=False), m.cell(s.due))
                    for s in d.next_steps)),
    ]  # fmt: skip


LAYOUTS: dict[str, Callable[[Any, Marks], list[Block]]] = {
    "success_plan": success_plan,
    "pitch": pitch,
    "one_pager": one_pager,
    "meddicc_review": meddicc_review,
}


def layout(draft: DraftBase) -> list[Block]:
    """The blocks of a draft (by its kind, so subclasses such as `kit.bound_model` work)."""
    marks = Marks(draft)
    body = LAYOUTS[draft.kind](draft, marks)
    return [Heading(1, draft.title), Paragraph(INTRO), *body, *closing(draft)]
