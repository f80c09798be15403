"""MEDDICC reviews: each field rated by the documented rule, with its evidence, the guide's
question for every gap, and a next step per gap."""

from __future__ import annotations

import io

import pytest
from docx import Document

from assistant.drafts.meddicc import rate
from assistant.drafts.models import MeddiccReview
from assistant.drafts.service import DraftRequest, DraftService, docx, markdown
from assistant.services import Services
from tests.drafts import expected as x
from tests.drafts.checks import (
    assert_citations_resolve,
    assert_figures_grounded,
    assert_quotes_are_verbatim,
    headings,
    template_sections,
)
from tests.drafts.conftest import ADMIN

RATINGS = {
    "OPP-007": {  # the deliberately incomplete deal
        "metrics": "missing", "economic_buyer": "missing", "decision_criteria": "complete",
        "decision_process": "missing", "identify_pain": "weak", "champion": "missing",
        "competition": "weak", "compelling_event": "missing",
    },
    "OPP-001": dict.fromkeys(
        ("metrics", "economic_buyer", "decision_criteria", "decision_process", "identify_pain",
         "champion", "competition", "compelling_event"), "complete"),
    "OPP-011": {  # partner-managed: the "champion" is the partner
        "metrics": "weak", "economic_buyer": "complete", "decision_criteria": "complete",
        "decision_process": "missing", "identify_pain": "complete", "champion": "weak",
        "competition": "complete", "compelling_event": "complete",
    },
    "OPP-010": {
        "metrics": "weak", "economic_buyer": "missing", "decision_criteria": "missing",
        "decision_process": "weak", "identify_pain": "complete", "champion": "complete",
        "competition": "missing", "compelling_event": "complete",
    },
}  # fmt: skip


def review(drafts: DraftService, opportunity_id: str) -> MeddiccReview:
    draft = drafts.build_draft("meddicc_review", DraftRequest(opportunity_id=opportunity_id), ADMIN)
    assert isinstance(draft, MeddiccReview)
    return draft


@pytest.mark.parametrize("opportunity_id", list(RATINGS))
def test_review(drafting: Services, drafts: DraftService, opportunity_id: str) -> None:
    draft = review(drafts, opportunity_id)
    assert MeddiccReview.model_validate_json(draft.model_dump_json()) == draft
    assert set(template_sections("meddicc_review")) <= set(headings(markdown(draft)))
    assert {f.field: f.rating for f in draft.fields} == RATINGS[opportunity_id]
    assert_citations_resolve(drafting, draft)
    assert_quotes_are_verbatim(drafting, draft)
    assert_figures_grounded(drafting, draft)
    opp = x.opportunity(opportunity_id)
    deal = draft.deal
    assert (deal.amount.value, deal.stage.value) == (opp["amount"], opp["stage"].replace("_", " "))
    assert deal.close_date.value is not None
    assert deal.close_date.value.isoformat() == opp["close_date"]
    assert deal.captured.value == sum(1 for v in opp["meddicc"].values() if v)
    for field in draft.fields:
        value = opp["meddicc"][field.field]
        if value:
            assert field.evidence.value == value and "opportunity" in field.evidence.tools
        else:
            assert field.evidence.needs_input and field.evidence.value is None
        assert field.evidence.citations  # the deal's MEDDICC note, section by section
        assert str(field.question.value).startswith("Ask:")
    gaps = [f.field for f in draft.fields if f.rating != "complete"]
    assert len(draft.next_steps) == max(len(gaps), 1)
    owner = x.account(opp["account_id"])["account_exec"]
    assert all(step.owner.value == owner for step in draft.next_steps)
    if gaps:
        assert all(step.due.needs_input for step in draft.next_steps)
        assert draft.next_steps[0].action.value is not None
        first_missing = next((f for f in draft.fields if f.rating == "missing"), None)
        if first_missing is not None:
            assert first_missing.label.lower() in draft.next_steps[0].action.value


def test_meddicc_note_sections_are_cited(drafts: DraftService) -> None:
    draft = review(drafts, "OPP-007")
    sections = {c.section for c in draft.citations}
    note = "MEDDICC: Northwind Logistics warehouse observability"
    assert {f"{note} > {f.label}" for f in draft.fields} <= sections
    assert "MEDDICC Qualification Guide > Champion" in sections


def test_docx_of_a_review(drafts: DraftService) -> None:
    document = Document(io.BytesIO(docx(review(drafts, "OPP-007"))))
    styled = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert set(template_sections("meddicc_review")) <= styled
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "weak" in cells and "missing" in cells


@pytest.mark.parametrize(
    ("key", "text", "rating"),
    [
        ("metrics", None, "missing"),
        ("metrics", "  ", "missing"),
        ("metrics", "Order system outages: 6 last quarter.", "weak"),
        ("metrics", "MTTR is 4 hours; target is 1 hour.", "complete"),
        ("economic_buyer", "Someone in finance.", "weak"),
        ("economic_buyer", "Dr. Laura Kim, CIO.", "complete"),
        ("decision_process", "VP Engineering approves after sizing.", "weak"),
        ("decision_process", "PoC readout in January 2027, then CTO sign-off.", "complete"),
        ("identify_pain", "They want things to be better.", "weak"),
        ("competition", "Unknown; they mentioned another vendor once.", "weak"),
        ("champion", "Nimbus MSP service manager on behalf of the customer.", "weak"),
        ("champion", "Ana Ruiz, SOC Manager.", "complete"),
        ("compelling_event", "Renewal on 2026-12-20.", "complete"),
        ("compelling_event", "When budget allows.", "weak"),
    ],
)
def test_rating_rules(key: str, text: str | None, rating: str) -> None:
    assert rate(key, text, "Nimbus MSP")[0] == rating
