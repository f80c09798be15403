"""How drafts read the knowledge base: sections by their path, the grounded composer when no
section matches, the service catalogue, and the caller's scope."""

from __future__ import annotations

import re

import pytest

from assistant.drafts.evidence import Ledger, walk
from assistant.drafts.knowledge import GUIDANCE, Knowledge, sentences
from assistant.drafts.models import SuccessPlan
from assistant.drafts.service import DraftRequest
from assistant.principal import Principal
from assistant.retrieval.lexical import StoredChunk
from assistant.services import Services, build_services
from assistant.tools.overview import AccountOverview
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.conftest import REPO
from tests.drafts.checks import assert_citations_resolve, assert_quotes_are_verbatim
from tests.drafts.conftest import ADMIN, draft_settings


def knowledge(services: Services) -> Knowledge:
    assert services.drafts is not None
    return services.drafts.knowledge


def test_a_section_by_its_path(drafting: Services) -> None:
    quotes = knowledge(drafting).pick(ADMIN, "Renew KPIs", limit=5)
    assert [q.text.split(" is ")[0] for q in quotes] == [
        "The first renew KPI", "The second renew KPI", "The third renew KPI"
    ]  # fmt: skip
    assert {q.chunk.metadata["section"] for q in quotes} == {
        "Customer Lifecycle Playbook > Renew > Renew KPIs"
    }
    only = knowledge(drafting).pick(ADMIN, "Timeline", must=r"Partners are prompted")
    assert len(only) == 1 and "60-90 days" in only[0].text


def test_the_composer_answers_when_no_section_matches(drafting: Services) -> None:
    k = knowledge(drafting)
    assert k.pick(ADMIN, "No such section anywhere") == []
    quotes = k.pick(
        ADMIN,
        "No such section anywhere",
        query="What do we do with a High license risk module? adoption plan within 30 days",
        limit=2,
    )
    assert quotes and all(q.chunk.metadata["doc_type"] in GUIDANCE for q in quotes)
    assert all(q.text.rstrip(".") in " ".join(q.chunk.text.split()) for q in quotes)


def test_the_service_catalogue(drafting: Services) -> None:
    services = {s.id: s for s in knowledge(drafting).services(ADMIN)}
    assert set(services) == {
        "genai-search-accelerator", "observability-quick-start", "platform-health-cost-review",
        "security-analytics-jumpstart",
    }  # fmt: skip
    assert services["observability-quick-start"].title == "Observability Quick Start"
    assert services["genai-search-accelerator"].modules == ("search", "genai")
    assert services["platform-health-cost-review"].modules == ()


def test_restricted_documents_follow_the_scope(drafting: Services) -> None:
    k = knowledge(drafting)
    note = "MEDDICC: Northwind Logistics warehouse observability"
    assert k.chunks(ADMIN, frozenset({"meddicc"}), title=note)
    seller = Principal(user="sam", role="seller", accounts=frozenset({"ACC-002"}))
    assert k.chunks(seller, frozenset({"meddicc"}), title=note) == []


def test_sentences_skip_what_chunk_overlap_repeats() -> None:
    meta = {"section": "S"}
    first = StoredChunk("a", "One sentence here. Two sentence here.", meta)
    second = StoredChunk("b", "Two sentence here. Three sentence here.", meta)
    assert [q.text for q in sentences([first, second])] == [
        "One sentence here.", "Two sentence here.", "Three sentence here."
    ]  # fmt: skip


def test_small_chunks_give_the_same_quotes(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Sections split over several overlapping chunks (400 characters) are quoted once each."""
    settings = draft_settings(tmp_path_factory.mktemp("small") / "data", chunk_size=400,
                              chunk_overlap=60)  # fmt: skip
    built = build_services(settings, HashingEmbedder())
    try:
        import_into(built)
        root = REPO / "knowledge"
        built.ingestor().run([root / "one-pagers", root / "guides", root / "playbooks"])
    finally:
        built.close()
    built = build_services(settings, HashingEmbedder())
    try:
        assert built.drafts is not None
        for kind, request in (
            ("one_pager", DraftRequest(service="observability-quick-start")),
            ("success_plan", DraftRequest(account_id="ACC-002")),
        ):
            draft = built.drafts.build_draft(kind, request, ADMIN)  # type: ignore[arg-type]
            assert_citations_resolve(built, draft)
            assert_quotes_are_verbatim(built, draft)
            for _, field in walk(draft):
                if isinstance(field.value, str) and not field.tools:
                    parts = [p for p in re.split(r"(?<=[.?!])\s+", field.value) if p]
                    assert len(parts) == len(set(parts)), field.value
        assert isinstance(draft, SuccessPlan) and len(draft.cadence) == 5
    finally:
        built.close()


def test_a_tool_runs_once_per_draft(drafting: Services) -> None:
    ledger = Ledger(drafting.tools, ADMIN)
    first = ledger.run(AccountOverview, "account_overview", account_id="ACC-001")
    assert ledger.run(AccountOverview, "account_overview", account_id="ACC-001") is first
    assert [c.name for c in ledger.calls] == ["account_overview"]
    assert ledger.calls[0].as_of == "2026-11-01" and ledger.calls[0].source == "accounts"
    with pytest.raises(ValueError, match="already called"):
        ledger.run(AccountOverview, "account_overview", account_id="ACC-002")
