"""GET/PATCH/DELETE /api/conversations: the caller's own conversations only."""

from __future__ import annotations

import httpx

from tests.accounts.keys import ADMIN_KEY, CSM_KEY, SELLER_KEY, bearer
from tests.api.conftest import Served


def _chat(url: str, key: str, message: str, conversation: str | None = None) -> str:
    body: dict[str, object] = {"message": message}
    if conversation:
        body["conversation_id"] = conversation
    response = httpx.post(f"{url}/api/chat", json=body, headers=bearer(key), timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["conversation_id"])


def test_list_open_rename_delete(keyed: Served) -> None:
    url = keyed.url
    first = _chat(url, SELLER_KEY, "When should a new customer be live?")
    _chat(url, SELLER_KEY, "And what happens at kickoff?", first)
    second = _chat(url, SELLER_KEY, "How are health bands defined?")
    other = _chat(url, CSM_KEY, "What happens at the handover?")

    listed = httpx.get(f"{url}/api/conversations", headers=bearer(SELLER_KEY)).json()
    ids = [c["id"] for c in listed["conversations"]]
    assert ids[:2] == [second, first]  # the most recently active first
    assert other not in ids  # another user's conversation is not listed
    item = next(c for c in listed["conversations"] if c["id"] == first)
    assert item["title"] == "When should a new customer be live?" and item["messages"] == 4

    opened = httpx.get(f"{url}/api/conversations/{first}", headers=bearer(SELLER_KEY)).json()
    assert [m["role"] for m in opened["messages"]] == ["user", "assistant"] * 2
    answer = opened["messages"][1]["payload"]
    assert answer["engine"] == "grounded" and answer["intent"] == "knowledge"
    assert answer["timings_ms"]["total"] > 0 and answer["declined"] is False

    renamed = httpx.patch(
        f"{url}/api/conversations/{first}",
        json={"title": "  Go-live   questions "},
        headers=bearer(SELLER_KEY),
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Go-live questions"
    listed = httpx.get(f"{url}/api/conversations", headers=bearer(SELLER_KEY)).json()
    assert {c["id"]: c["title"] for c in listed["conversations"]}[first] == "Go-live questions"

    deleted = httpx.delete(f"{url}/api/conversations/{first}", headers=bearer(SELLER_KEY))
    assert deleted.status_code == 204
    gone = httpx.get(f"{url}/api/conversations/{first}", headers=bearer(SELLER_KEY))
    assert gone.status_code == 404
    # the other conversations are untouched
    assert httpx.get(f"{url}/api/conversations/{second}", headers=bearer(SELLER_KEY)).is_success
    assert httpx.get(f"{url}/api/conversations/{other}", headers=bearer(CSM_KEY)).is_success


def test_another_users_conversation_is_not_found(keyed: Served) -> None:
    url = keyed.url
    mine = _chat(url, CSM_KEY, "What happens at kickoff?")
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        response = httpx.request(
            method, f"{url}/api/conversations/{mine}", json=body, headers=bearer(SELLER_KEY)
        )
        assert response.status_code == 404, (method, response.text)
        assert "does not exist" in response.json()["detail"]
    assert httpx.get(f"{url}/api/conversations/{mine}", headers=bearer(CSM_KEY)).is_success


def test_bad_input_is_a_clear_4xx(keyed: Served) -> None:
    url = keyed.url
    mine = _chat(url, ADMIN_KEY, "What happens at kickoff?")
    for body in ({"title": "   "}, {"title": ""}, {"title": "x" * 201}, {"name": "x"}, {}):
        response = httpx.patch(
            f"{url}/api/conversations/{mine}", json=body, headers=bearer(ADMIN_KEY)
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"], body
    assert (
        httpx.get(f"{url}/api/conversations?limit=0", headers=bearer(ADMIN_KEY)).status_code == 422
    )
    assert httpx.get(f"{url}/api/conversations").status_code == 401
