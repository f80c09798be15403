"""The drafts REST API and chat through a real server on loopback, with an API keys file
(admin: every account; seller: ACC-002 and ACC-005)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from docx import Document

from assistant.drafts.models import KINDS, parse_draft
from assistant.drafts.service import SUBJECTS
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY, bearer, write_keys
from tests.conftest import LiveServer
from tests.drafts.conftest import prepare

BODIES = {
    "success_plan": {"account_id": "ACC-002"},
    "pitch": {"account_id": "ACC-005", "service": "security jumpstart"},
    "one_pager": {"service": "observability-quick-start", "account_id": "ACC-002"},
    "meddicc_review": {"opportunity_id": "OPP-002"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from assistant.api.app import create_app
    from ingest.embedding import HashingEmbedder

    root = tmp_path_factory.mktemp("drafts-api")
    settings = prepare(root / "data").model_copy(
        update={"api_keys_file": write_keys(root / "keys.yaml")}
    )
    with LiveServer(create_app(settings, HashingEmbedder())) as live:
        yield live.url


@pytest.fixture(scope="module")
def admin(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=bearer(ADMIN_KEY), timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def seller(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=bearer(SELLER_KEY), timeout=60) as client:
        yield client


@pytest.mark.parametrize("kind", KINDS)
def test_draft_then_download_docx(admin: httpx.Client, kind: str) -> None:
    response = admin.post(f"/api/drafts/{kind}", json=BODIES[kind])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"draft_id", "kind", "draft", "markdown", "citations", "tool_calls"}
    assert body["kind"] == kind and body["draft"]["kind"] == kind
    draft = parse_draft(body["draft"])  # the schema validates
    assert body["citations"] == [c.model_dump(mode="json") for c in draft.citations]
    assert body["markdown"].startswith(f"# {draft.title}")
    downloaded = admin.get(f"/api/drafts/{body['draft_id']}.docx")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in downloaded.headers["content-disposition"]
    document = Document(io.BytesIO(downloaded.content))
    assert document.paragraphs[0].text == draft.title
    core = document.core_properties
    assert core.title == draft.title and core.author == "ada"  # the caller (admin key's user)
    assert core.created is not None and core.created.date() == draft.generated_on
    assert core.subject.startswith(SUBJECTS[kind])
    footer = document.sections[0].footer.paragraphs[0].text
    assert footer.startswith("Sources: [1] ") and "[T1] " in footer
    assert len(document.tables) >= 1 and document.tables[0].style.name == "Light Grid Accent 1"
    pictures = document.inline_shapes
    assert len(pictures) == (2 if kind == "success_plan" else 0)
    again = admin.get(f"/api/drafts/{body['draft_id']}")
    assert again.status_code == 200 and again.json()["markdown"] == body["markdown"]
    text = admin.get(f"/api/drafts/{body['draft_id']}.md")
    assert text.status_code == 200 and text.text == body["markdown"]


def test_success_plan_charts_are_the_web_uis(admin: httpx.Client) -> None:
    """The plan's charts are the chart routes' figures, drawn as PNG in the DOCX."""
    body = admin.post("/api/drafts/success_plan", json=BODIES["success_plan"]).json()
    charts = body["draft"]["charts"]
    assert [c["kind"] for c in charts] == ["health_trend", "licenses"]
    assert charts[0] == admin.get("/api/accounts/ACC-002/charts/health-trend.json").json()
    assert charts[1] == admin.get("/api/accounts/ACC-002/charts/licenses.json").json()
    assert f"*Chart: {charts[0]['title']}." in body["markdown"]
    document = Document(io.BytesIO(admin.get(f"/api/drafts/{body['draft_id']}.docx").content))
    blobs = [
        document.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        for shape in document.inline_shapes
    ]
    png = admin.get("/api/accounts/ACC-002/charts/health-trend.png").content
    assert blobs[0] == png  # the same picture the chart route draws
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert captions[0].startswith(charts[0]["title"])


def test_unknown_kind_lists_the_kinds(admin: httpx.Client) -> None:
    response = admin.post("/api/drafts/haiku", json={})
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "unknown draft kind 'haiku'; kinds: success_plan, pitch, one_pager, meddicc_review"
    )


@pytest.mark.parametrize(
    ("kind", "body", "missing"),
    [
        ("success_plan", {}, "account_id"),
        ("pitch", {"account_id": "ACC-005"}, "service"),
        ("pitch", {}, "account_id and service"),
        ("one_pager", {"account_id": "ACC-005"}, "service"),
        ("meddicc_review", {"account_id": "ACC-005"}, "opportunity_id"),
    ],
)
def test_missing_parameter_is_422_naming_it(
    admin: httpx.Client, kind: str, body: dict[str, str], missing: str
) -> None:
    response = admin.post(f"/api/drafts/{kind}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == f"a {kind} draft needs {missing}"


def test_unknown_fields_and_bodies_are_422(admin: httpx.Client) -> None:
    assert admin.post("/api/drafts/pitch", json={"acount": "ACC-001"}).status_code == 422
    assert admin.post("/api/drafts/success_plan").status_code == 422  # no body: no account


@pytest.mark.parametrize(
    ("kind", "body", "detail"),
    [
        ("success_plan", {"account_id": "ACC-099"}, "account 'ACC-099' not found; closest: "),
        ("success_plan", {"account_id": "Northwind"}, "Northwind Logistics (ACC-003)"),
        ("success_plan", {"account_id": "Zebra Corp"}, "account 'Zebra Corp' not found"),
        ("pitch", {"account_id": "ACC-005", "service": "quantum widgets"},
         "service 'quantum widgets' not found; services: GenAI Search Accelerator "),
        ("one_pager", {"service": "observability training"},
         "closest: Observability Quick Start (observability-quick-start)"),
        ("meddicc_review", {"opportunity_id": "OPP-099"},
         "opportunity 'OPP-099' is not among the opportunities you may see"),  # no nearest ids
    ],
)  # fmt: skip
def test_unknown_names_are_404_with_the_closest(
    admin: httpx.Client, kind: str, body: dict[str, str], detail: str
) -> None:
    response = admin.post(f"/api/drafts/{kind}", json=body)
    assert response.status_code == 404
    assert detail in response.json()["detail"]


def test_a_typo_in_the_account_name_still_finds_it(admin: httpx.Client) -> None:
    response = admin.post("/api/drafts/success_plan", json={"account_id": "Northwind Tradrs"})
    assert response.status_code == 200
    assert response.json()["draft"]["account_id"] == "ACC-001"


def test_scope(seller: httpx.Client, admin: httpx.Client) -> None:
    denied = seller.post("/api/drafts/success_plan", json={"account_id": "ACC-001"})
    assert denied.status_code == 403
    assert seller.post("/api/drafts/pitch", json={"account_id": "ACC-009", "service": "finops"})\
        .status_code == 403  # fmt: skip
    hidden = seller.post("/api/drafts/meddicc_review", json={"opportunity_id": "OPP-007"})
    assert hidden.status_code == 404  # the same answer as for a missing opportunity
    assert "OPP-007" not in hidden.json()["detail"].partition("closest:")[2]
    by_name = seller.post("/api/drafts/success_plan", json={"account_id": "Northwind Traders"})
    assert by_name.status_code == 404  # names are matched among the visible accounts only
    assert "Northwind" not in by_name.json()["detail"].partition("closest:")[2]
    allowed = seller.post("/api/drafts/success_plan", json={"account_id": "ACC-002"})
    assert allowed.status_code == 200
    theirs = admin.post("/api/drafts/success_plan", json={"account_id": "ACC-001"}).json()
    assert seller.get(f"/api/drafts/{theirs['draft_id']}.docx").status_code == 403
    one_pager = admin.post("/api/drafts/one_pager", json={"service": "genai"}).json()
    assert seller.get(f"/api/drafts/{one_pager['draft_id']}.docx").status_code == 200


def test_unknown_draft_id_is_404(admin: httpx.Client) -> None:
    response = admin.get("/api/drafts/0123456789abcdef0123456789abcdef.docx")
    assert response.status_code == 404
    assert admin.get("/api/drafts/nope.docx").status_code == 404


def test_needs_a_key(server: str) -> None:
    assert httpx.post(f"{server}/api/drafts/success_plan", json=BODIES["success_plan"])\
        .status_code == 401  # fmt: skip


def test_chat_returns_the_draft(admin: httpx.Client) -> None:
    response = admin.post("/api/chat", json={"message": "review the MEDDICC on deal OPP-007"})
    assert response.status_code == 200
    body = response.json()
    assert body["draft"]["kind"] == "meddicc_review" and body["draft"]["draft_id"]
    assert body["answer"].startswith("# MEDDICC review: OPP-007")
    assert body["tool_calls"][0]["name"] == "opportunity" and body["citations"]
    docx = admin.get(f"/api/drafts/{body['draft']['draft_id']}.docx")
    assert docx.status_code == 200


def test_chat_respects_scope(seller: httpx.Client) -> None:
    body = seller.post(
        "/api/chat", json={"message": "draft a success plan for Northwind Traders"}
    ).json()
    assert body["draft"] is None and body["declined"] and not body["tool_calls"]
    assert "Northwind" not in body["answer"]


def test_chat_stream_tells_the_draft(admin: httpx.Client) -> None:
    message = {"message": "one-pager for the security jumpstart", "stream": True}
    with admin.stream("POST", "/api/chat", json=message) as response:
        assert response.status_code == 200
        events = [
            line.removeprefix("event: ").strip()
            for line in response.iter_lines()
            if line.startswith("event: ")
        ]
    assert "draft" in events and events[-1] == "done"
    assert events.index("citation") < events.index("delta") < events.index("draft")


def test_names_resolve_as_in_chat(admin: httpx.Client, seller: httpx.Client) -> None:
    """A partial, lower-case name resolves; an unknown one gets the closest names in scope."""
    body = admin.post("/api/drafts/success_plan", json={"account_id": "alpine ski"}).json()
    assert body["draft"]["account_id"] == "ACC-010"
    missing = seller.post("/api/drafts/success_plan", json={"account_id": "woodgrove"})
    assert missing.status_code == 404  # one word of two is not enough to be sure
    assert "closest: Woodgrove Bank (ACC-005)" in missing.json()["detail"]
    hidden = seller.post("/api/drafts/success_plan", json={"account_id": "northwind"})
    assert hidden.status_code == 404 and "Northwind" not in hidden.json()["detail"]
