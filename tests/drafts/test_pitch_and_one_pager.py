"""5W pitches and service one-pagers: MEDDICC fields from the opportunity, deliverables,
price and delivery quoted from the one-pager, account figures from the tools."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from assistant.drafts.models import OnePager, Pitch
from assistant.drafts.service import DraftRequest, DraftService, docx, markdown
from assistant.drafts.templates import default_templates_dir, load_templates
from assistant.evaluation.readability import readability, sections_text, units
from assistant.services import Services
from tests.accounts.expected import TODAY
from tests.drafts import expected as x
from tests.drafts.checks import (
    assert_citations_resolve,
    assert_figures_grounded,
    assert_quotes_are_verbatim,
    headings,
    internal_wording,
    template_sections,
)
from tests.drafts.conftest import ADMIN

SERVICES = (
    "observability-quick-start",
    "security-analytics-jumpstart",
    "genai-search-accelerator",
    "platform-health-cost-review",
)
# (account, service as a user writes it, the open opportunity for it or None)
PITCHES = (
    ("ACC-005", "security jumpstart", "OPP-002"),  # complete MEDDICC, direct
    ("ACC-003", "observability quick start", "OPP-007"),  # incomplete MEDDICC, sales agent
    ("ACC-002", "Observability Quick Start", None),  # no opportunity, CS-manager partner
    ("Silverline Telecom", "genai-search-accelerator", "OPP-009"),  # by name
)


def pitch(drafts: DraftService, account: str, service: str) -> Pitch:
    draft = drafts.build_draft("pitch", DraftRequest(account_id=account, service=service), ADMIN)
    assert isinstance(draft, Pitch)
    return draft


@pytest.mark.parametrize(("account", "service", "opportunity_id"), PITCHES)
def test_pitch(
    drafting: Services, drafts: DraftService, account: str, service: str, opportunity_id: str | None
) -> None:
    draft = pitch(drafts, account, service)
    assert Pitch.model_validate_json(draft.model_dump_json()) == draft
    assert set(template_sections("pitch")) <= set(headings(markdown(draft)))
    assert_citations_resolve(drafting, draft)
    assert_quotes_are_verbatim(drafting, draft)
    assert assert_figures_grounded(drafting, draft) > 3
    row = x.account(draft.account_id)
    assert draft.opportunity_id == opportunity_id
    assert draft.when.renewal_date.value == x.renewal(draft.account_id)
    assert draft.when.days_to_renewal.value == (x.renewal(draft.account_id) - TODAY).days
    assert draft.who.segment.value is not None and f"{int(row['employees']):,}" in (
        draft.who.segment.value
    )
    price = x.one_pager(draft.service_id)
    assert f"${price['price_number']:,}" in str(draft.what.price.value)
    assert f"{price['duration_weeks']} weeks" in str(draft.where_how.delivery_model.value)
    assert len(draft.what.deliverables) == 3 and all(d.value for d in draft.what.deliverables)
    if opportunity_id is None:
        for field in (draft.who.economic_buyer, draft.who.champion, draft.why.pain,
                      draft.when.compelling_event, draft.when.close_date):  # fmt: skip
            assert field.needs_input and field.value is None
        return
    meddicc = x.opportunity(opportunity_id)["meddicc"]
    for field, key in ((draft.who.economic_buyer, "economic_buyer"),
                       (draft.who.champion, "champion"), (draft.why.pain, "identify_pain"),
                       (draft.why.metrics, "metrics"),
                       (draft.when.compelling_event, "compelling_event")):  # fmt: skip
        if meddicc[key]:
            assert field.value == meddicc[key]
        else:
            assert field.needs_input and field.citations  # the guide's question is cited
    assert draft.when.close_date.value is not None
    assert draft.when.close_date.value.isoformat() == x.opportunity(opportunity_id)["close_date"]


@pytest.mark.parametrize(("account", "service", "opportunity_id"), PITCHES)
def test_pitch_reads_for_the_buyer_with_nothing_internal(
    drafting: Services, drafts: DraftService, account: str, service: str, opportunity_id: str | None
) -> None:
    """The buyer's text has the template's buyer-facing headings, and none of the seller's
    worksheet: its 5W questions, notes, the qualification framework, the deal's id; the
    worksheet follows as an appendix under the template's seller-side headings."""
    draft = pitch(drafts, account, service)
    text = markdown(draft)
    template = load_templates(default_templates_dir())["pitch"]
    buyer = [draft.sections[k] for k in draft.customer_facing]
    assert buyer == [s.title for s in template.sections] == [
        "Who this is for", "Why it matters to you", "What you get", "Why now",
        "How we deliver it",
    ]  # fmt: skip
    assert set(buyer) <= set(headings(text))
    for section in template.sections:
        assert section.worksheet and f"Worksheet: {section.worksheet}" in headings(text)
        assert section.worksheet not in headings(text)  # the seller's question is no heading
    rules = drafting.rules.qualification
    assert internal_wording(draft, text, (rules.name, *rules.aliases)) == []
    assert (readability(text, buyer) or 0) >= 0.9


def test_pitch_sentences_read_for_the_buyer(drafts: DraftService) -> None:
    """People by name and title without the seller's remarks ("met on ..."); a compelling
    event written as a sentence stays one; a vague pain stays in the worksheet."""
    text = markdown(pitch(drafts, "ACC-001", "genai-search-accelerator"))
    assert "This proposal is for Helen Marsh, Chief Operating Officer. [T" in text
    assert "Raj Mehta, Head of Digital Workplace is our point of contact. [T" in text
    assert "met on" not in text.split("## Appendix")[0]
    assert "The timing matters: the store help-desk outsourcing contract ends on 2027-01-31." in (
        text
    )
    vague = markdown(pitch(drafts, "ACC-003", "observability"))  # OPP-007's pain is vague
    buyer, appendix = vague.split("## Appendix")
    assert "They want things to be better" not in buyer and "They want things" in appendix


def test_pitch_partner_roles(drafts: DraftService) -> None:
    assert pitch(drafts, "ACC-003", "observability").where_how.partner.value == (
        "Bluepeak Solutions (partner as sales agent)"
    )
    assert pitch(drafts, "ACC-005", "security").where_how.partner.value == (
        "none: the account is managed directly"
    )


@pytest.mark.parametrize("service_id", SERVICES)
def test_one_pager_has_the_knowledge_structure(
    drafting: Services, drafts: DraftService, service_id: str
) -> None:
    draft = drafts.build_draft("one_pager", DraftRequest(service=service_id), ADMIN)
    assert isinstance(draft, OnePager) and draft.tailoring is None and not draft.tool_calls
    assert OnePager.model_validate_json(draft.model_dump_json()) == draft
    assert set(template_sections("one_pager")) <= set(headings(markdown(draft)))
    assert len(draft.business_questions) == 5 and len(draft.technical_questions) == 5
    assert set(draft.deliverables) == {"Code", "Strategy", "Outcome"}
    assert set(draft.customer_provides) == {
        "Documentation", "Infrastructure", "Executive sponsor", "Enterprise architects",
        "On-demand experts",
    }  # fmt: skip
    assert not draft.needs_input()  # the one-pager holds every section
    meta = x.one_pager(service_id)
    assert f"${meta['price_number']:,}" in str(draft.price.value)
    assert f"{meta['duration_weeks']} weeks" in str(draft.engagement.value)
    assert_citations_resolve(drafting, draft)
    assert_quotes_are_verbatim(drafting, draft)
    assert_figures_grounded(drafting, draft)
    assert {c.source for c in draft.citations} == {f"knowledge/one-pagers/{service_id}.md"}


def test_one_pager_tailored_to_an_account(drafting: Services, drafts: DraftService) -> None:
    """The one-pager speaks to the account: its segment, the pains of its opportunity and
    of its meeting notes, every module it licenses; each sentence cites its evidence."""
    request = DraftRequest(service="GenAI Search Accelerator", account_id="ACC-017")
    draft = drafts.build_draft("one_pager", request, ADMIN)
    assert isinstance(draft, OnePager) and draft.tailoring is not None
    t = draft.tailoring
    assert draft.title == "GenAI Search Accelerator: service one-pager for Fourth Coffee"
    assert draft.sections["tailoring"] == "Why it fits Fourth Coffee"
    assert t.industry.value == "consumer_goods"
    assert t.segment.value == "mid market consumer goods company with 4,500 employees"
    opp = x.opportunity("OPP-005")["meddicc"]
    from_deal = [p for p in t.pains if p.tools]
    assert [(p.value, p.note) for p in from_deal] == [
        (opp["identify_pain"], "OPP-005"), (opp["metrics"], "OPP-005"),
    ]  # fmt: skip
    noted = [p for p in t.pains if p.citations]
    assert noted and all(not p.tools for p in noted)
    sources = {c.source for c in draft.citations if c.n in noted[0].citations}
    assert sources == {"knowledge/meeting-notes/acc-017-support-review.md"}
    assert "six weeks" in str(noted[0].value)
    # every licensed module (the service's first), then the service's unlicensed one
    assert [(u.value.module, u.value.in_service, u.value.license is not None)
            for u in t.modules if u.value] == [
        ("search", True, True), ("observability", False, True), ("genai", True, False),
    ]  # fmt: skip
    search = t.modules[0].value
    assert (
        search
        and search.license
        and (search.license.active, search.license.licensed)
        == (
            1260,
            1200,
        )
    )  # over-deployed: held as recorded
    assert_figures_grounded(drafting, draft)
    assert_citations_resolve(drafting, draft)
    assert_quotes_are_verbatim(drafting, draft)
    text = markdown(draft)
    fits = sections_text(text, [draft.sections["tailoring"]])
    assert fits and fits[0].startswith("Fourth Coffee is a mid market consumer goods company")
    claims = re.split(r"(?<=\])\s+(?=[A-Z])", fits[0])
    assert len(claims) == len(units(fits)) == 8  # each claim cites a tool result or a chunk
    for claim in claims:
        assert re.fullmatch(r"[^\[\]]+[.?!](?: \[T?\d+\])+", claim), claim
    assert "The service adds the genai module, which you do not license yet." in fits[0]
    assert (readability(text, [draft.sections[k] for k in draft.customer_facing]) or 0) >= 0.9
    plain = drafts.build_draft("one_pager", DraftRequest(service="genai"), ADMIN)
    assert isinstance(plain, OnePager) and plain.tailoring is None
    assert "Why it fits" not in markdown(plain) and not plain.tool_calls


def test_one_pager_for_an_account_without_an_opportunity_flags_the_pains(
    drafts: DraftService,
) -> None:
    request = DraftRequest(service="security-analytics-jumpstart", account_id="ACC-001")
    draft = drafts.build_draft("one_pager", request, ADMIN)
    assert isinstance(draft, OnePager) and draft.tailoring is not None
    other = x.opportunity("OPP-001")["meddicc"]["identify_pain"]  # its GenAI deal's pain
    assert [p.value for p in draft.tailoring.pains] == [other]
    lines = [u.value for u in draft.tailoring.modules]
    assert lines[0] and lines[0].module == "security" and lines[0].in_service
    assert {u.value.module for u in draft.tailoring.modules if u.value} == {
        m["module"] for m in x.licenses("ACC-001")
    }
    sparse = drafts.build_draft(
        "one_pager", DraftRequest(service="security-analytics-jumpstart", account_id="ACC-041"),
        ADMIN,
    )  # fmt: skip
    assert isinstance(sparse, OnePager) and sparse.tailoring is not None
    assert [p.needs_input for p in sparse.tailoring.pains] == [True]


def test_pitch_and_one_pager_docx_open(drafts: DraftService) -> None:
    for draft, sections in (
        (pitch(drafts, "ACC-005", "security jumpstart"), template_sections("pitch")),
        (drafts.build_draft("one_pager", DraftRequest(service="finops"), ADMIN), ()),
    ):
        document = Document(io.BytesIO(docx(draft)))
        styled = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
        assert set(sections) <= styled
        assert document.paragraphs[0].text == draft.title
