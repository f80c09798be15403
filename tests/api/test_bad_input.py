"""Issue 11, finding 7: no input gives a 500; every bad input gets a 422 (or 404/405/413) with
a message, in one error body the OpenAPI spec declares; the connection stays usable."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from assistant.api.errors import ErrorBody
from assistant.errors import InvalidInputError
from assistant.services import Services
from assistant.store.feedback import FeedbackStore
from tests.api.conftest import Served

SURVEY = {"metric": "survey", "kind": "nps", "score": 9, "respondent": "Dana", "date": "2026-10-30"}
LICENSES = {"metric": "licenses", "module": "search", "licensed": 50, "active": 10, "assigned": 20}
HEALTH = {
    "metric": "health",
    "month": "2026-10-01",
    **dict.fromkeys(("deployment", "adoption", "breadth", "engagement", "outcomes"), 50),
}
METRICS = "/api/accounts/ACC-003/metrics"
LONE = "\ud800"

# every string field of every JSON body, with a lone surrogate in it
STRING_FIELDS = [
    ("/api/chat", {"message": LONE}),
    ("/api/chat", {"message": "hi", "conversation_id": LONE}),
    ("/api/chat", {"message": "hi", "account_id": LONE}),
    ("/api/search", {"query": LONE}),
    ("/api/search", {"query": "x", "doc_type": [LONE]}),
    ("/api/search", {"query": "x", "account": LONE}),
    ("/api/feedback", {"conversation_id": LONE, "rating": "up"}),
    ("/api/feedback", {"conversation_id": "c", "rating": "up", "comment": LONE}),
    ("/api/drafts/pitch", {"account_id": LONE, "service": "s"}),
    ("/api/drafts/pitch", {"account_id": "ACC-001", "service": LONE}),
    ("/api/drafts/meddicc_review", {"account_id": "ACC-001", "opportunity_id": LONE}),
    (METRICS, {**SURVEY, "respondent": LONE}),
    (METRICS, {**SURVEY, "date": LONE}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONE}]}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "model": LONE}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "hi", LONE: 1}]}),
]


@pytest.fixture
def client(open_server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_server.url, timeout=30) as client:
        yield client


def post_raw(client: httpx.Client, path: str, body: object) -> httpx.Response:
    """`body` as JSON the way a client in another language may send it (\\u escapes, NaN)."""
    content = json.dumps(body, ensure_ascii=True, allow_nan=True)
    return client.post(path, content=content, headers={"content-type": "application/json"})


def assert_error(response: httpx.Response, status: int, fragment: str) -> ErrorBody:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"detail", "errors"}
    body = ErrorBody.model_validate(response.json())
    assert fragment in body.detail
    assert response.headers.get("connection") != "close"
    return body


@pytest.mark.parametrize(("path", "body"), STRING_FIELDS)
def test_a_lone_surrogate_in_any_string_is_422(
    client: httpx.Client, path: str, body: dict[str, object]
) -> None:
    assert_error(post_raw(client, path, body), 422, "lone surrogate")
    # the same connection goes on serving
    assert client.get("/healthz").status_code == 200


def _with_nul(value: object) -> object:
    """`value` with each lone surrogate replaced by a NUL character."""
    if isinstance(value, str):
        return value.replace(LONE, "a\x00b")
    if isinstance(value, dict):
        return {_with_nul(k): _with_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_nul(v) for v in value]
    return value


@pytest.mark.parametrize(("path", "body"), STRING_FIELDS)
def test_a_nul_character_in_any_string_is_422_and_not_stored(
    client: httpx.Client, open_server: Served, path: str, body: dict[str, object]
) -> None:
    """PostgreSQL cannot store NUL in text (a 500 there); SQLite kept it. Refused everywhere."""
    before = {table: open_server.rows(table) for table in ("messages", "feedback")}
    assert_error(post_raw(client, path, _with_nul(body)), 422, "NUL character")
    assert {table: open_server.rows(table) for table in before} == before


@pytest.mark.parametrize("constant", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (METRICS, SURVEY, "score"),
        (METRICS, LICENSES, "licensed"),
        ("/api/search", {"query": "x"}, "k"),
        ("/api/feedback", {"conversation_id": "c", "rating": "up"}, "message_id"),
    ],
)
def test_nan_and_infinity_are_422(
    client: httpx.Client, path: str, body: dict[str, object], field: str, constant: float
) -> None:
    response = post_raw(client, path, {**body, field: constant})
    assert_error(response, 422, "not a JSON number")


def test_huge_integers_are_422_and_not_stored(client: httpx.Client, open_server: Served) -> None:
    before = open_server.rows("licenses")
    for field in ("licensed", "active", "assigned"):
        response = post_raw(client, METRICS, {**LICENSES, "licensed": 2**63, field: 2**63})
        assert_error(response, 422, "less than or equal to")
    response = post_raw(client, METRICS, {**HEALTH, "overall": 2**64})
    assert_error(response, 422, "overall")
    response = post_raw(
        client, "/api/feedback", {"conversation_id": "c", "rating": "up", "message_id": 2**63}
    )
    assert_error(response, 422, "message_id")
    assert open_server.rows("licenses") == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/search", {"query": "x", "k": True}, "k"),
        (METRICS, {**SURVEY, "score": False}, "score"),
        (METRICS, {**LICENSES, "active": True}, "active"),
        (METRICS, {**HEALTH, "adoption": True}, "adoption"),
        (
            "/api/feedback",
            {"conversation_id": "c", "rating": "up", "message_id": True},
            "message_id",
        ),
        ("/api/chat", {"message": "hi", "stream": 1}, "stream"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "hi"}], "stream": "yes"},
            "stream",
        ),
        (METRICS, {**SURVEY, "date": 0}, "date"),
    ],
)
def test_a_bool_is_not_a_number_nor_a_number_a_bool(
    client: httpx.Client, path: str, body: dict[str, object], field: str
) -> None:
    error = assert_error(post_raw(client, path, body), 422, field)
    assert error.errors and error.errors[0].loc[-1] == field


def test_score_false_is_not_stored_as_zero(client: httpx.Client, open_server: Served) -> None:
    before = open_server.rows("surveys")
    survey = {**SURVEY, "respondent": "Bool Tester"}
    assert_error(post_raw(client, METRICS, {**survey, "score": False}), 422, "not false")
    assert open_server.rows("surveys") == before
    stored = client.post(METRICS, json={**survey, "score": 0})
    assert stored.status_code == 201 and stored.json()["created"] is True


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/chat", b"{not json", 422),
        ("POST", "/api/chat", '{"message": "\xff"}'.encode("latin-1"), 422),
        ("POST", "/api/chat", b"[" * 20_000 + b"]" * 20_000, 422),
        ("POST", "/api/chat", b'{"message": "hi", "conversation_id": ""}', 422),
        ("POST", "/api/search", b'{"query": "x", "k": 0}', 422),
        (
            "POST",
            "/v1/chat/completions",
            b'{"messages": [{"role": "system", "content": "x"}]}',
            422,
        ),
        (
            "POST",
            "/v1/chat/completions",
            b'{"messages": [{"role": "wizard", "content": "x"}]}',
            422,
        ),
        ("GET", "/api/renewals?days=NaN", None, 422),
        ("GET", "/api/accounts/nope", None, 422),
        ("GET", "/api/accounts/ACC-999", None, 404),
        ("POST", "/api/drafts/haiku", b"{}", 404),
        ("GET", "/nowhere", None, 404),
        ("DELETE", "/api/chat", None, 405),
    ],
)
def test_every_error_has_the_one_error_body(
    client: httpx.Client, method: str, path: str, body: bytes | None, status: int
) -> None:
    headers = {"content-type": "application/json"}
    response = client.request(method, path, content=body, headers=headers)
    error = assert_error(response, status, "")
    assert error.detail.strip()


def test_the_spec_declares_the_error_body(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorBody"]
    assert set(error["properties"]) == {"detail", "errors"}
    for path, item in spec["paths"].items():
        if not path.startswith(("/api/", "/v1/")):
            continue
        for method, operation in item.items():
            for status in ("401", "404", "413", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/drafts/0123456789abcdef0123456789abcdef", "GET, HEAD"),
        ("/api/drafts/0123456789abcdef0123456789abcdef.docx", "GET, HEAD"),
        ("/api/drafts/pitch", "POST"),
        ("/api/chat", "POST"),
        ("/api/accounts/ACC-001", "GET, HEAD"),
        ("/api/accounts/ACC-001/metrics", "POST"),
        ("/v1/chat/completions", "POST"),
    ],
)
def test_options_allow_lists_the_documented_methods(
    client: httpx.Client, path: str, allow: str
) -> None:
    response = client.options(path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert_error(response, 405, "Method Not Allowed")


def test_the_feedback_store_refuses_what_it_cannot_store(services: Services) -> None:
    store = FeedbackStore(services.database)
    with pytest.raises(InvalidInputError, match="rating must be one of up, down"):
        store.record("c", "meh")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="message_id must be from 1"):
        store.record("c", "up", message_id=2**63)
