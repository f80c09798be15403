"""Issue 11, finding 10: the request body, the /v1 history length and each earlier message
have limits (settings); over one the answer is 413 with a message, and nothing is stored.
The server runs with the default limits (1 MiB, 100 messages, 20,000 characters)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.config import Settings
from tests.api.conftest import Served
from tests.api.test_bad_input import assert_error

DEFAULTS = Settings(_env_file=None)  # type: ignore[call-arg]
MAX_BYTES = DEFAULTS.max_request_bytes
MAX_MESSAGES = DEFAULTS.max_history_messages
MAX_CHARS = DEFAULTS.max_history_message_chars


@pytest.fixture
def client(open_server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_server.url, timeout=30) as client:
        yield client


def stored(server: Served) -> tuple[int, int]:
    return server.rows("conversations"), server.rows("messages")


def history(turns: int, size: int = 20) -> list[dict[str, str]]:
    messages = []
    for n in range(turns):
        messages.append({"role": "user", "content": f"question {n} " + "q" * size})
        messages.append({"role": "assistant", "content": f"answer {n} " + "a" * size})
    return [*messages, {"role": "user", "content": "When should a customer be live?"}]


def test_a_body_over_the_limit_is_413_by_its_length(
    client: httpx.Client, open_server: Served
) -> None:
    before = stored(open_server)
    early = history(1, size=MAX_BYTES)  # one earlier message larger than the whole limit
    response = client.post("/v1/chat/completions", json={"messages": early})
    body = assert_error(response, 413, f"the limit is {MAX_BYTES}")
    assert "ASSISTANT_MAX_REQUEST_BYTES" in body.detail
    assert stored(open_server) == before


def test_a_chunked_body_over_the_limit_is_413(client: httpx.Client, open_server: Served) -> None:
    before = stored(open_server)

    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(4 * MAX_BYTES // (16 * 1024)):  # 4 times the limit
            yield b"x" * 16 * 1024
        yield b'"}'

    response = client.post(
        "/api/chat", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, f"the limit is {MAX_BYTES}")
    assert stored(open_server) == before
    assert client.get("/healthz").status_code == 200


def test_a_body_under_the_limit_is_served(client: httpx.Client, open_server: Served) -> None:
    before_conversations, before_messages = stored(open_server)
    response = client.post("/v1/chat/completions", json={"messages": history(2)})
    assert response.status_code == 200, response.text
    assert "30 days" in response.json()["choices"][0]["message"]["content"]
    conversations, messages = stored(open_server)
    # the replayed history (4 messages) and this turn (question and answer)
    assert (conversations, messages) == (before_conversations + 1, before_messages + 6)


def test_too_many_history_messages_is_413_and_nothing_is_stored(
    client: httpx.Client, open_server: Served
) -> None:
    before = stored(open_server)
    messages = history(MAX_MESSAGES // 2 + 1)[-(MAX_MESSAGES + 1) :]  # one over, each small
    assert len(messages) == MAX_MESSAGES + 1
    response = client.post("/v1/chat/completions", json={"messages": messages})
    body = assert_error(response, 413, f"{len(messages)} messages; the limit is {MAX_MESSAGES}")
    assert "ASSISTANT_MAX_HISTORY_MESSAGES" in body.detail
    assert stored(open_server) == before


@pytest.mark.parametrize("where", ["user", "assistant", "parts"])
def test_an_earlier_message_over_the_limit_is_413_and_nothing_is_stored(
    client: httpx.Client, open_server: Served, where: str
) -> None:
    before = stored(open_server)
    messages: list[dict[str, object]] = [*history(1)]
    long = "y" * (MAX_CHARS + 1)
    if where == "parts":
        messages[1] = {"role": "assistant", "content": [{"type": "text", "text": long}]}
    else:
        messages[0 if where == "user" else 1] = {"role": where, "content": long}
    response = client.post("/v1/chat/completions", json={"messages": messages})
    index = 0 if where == "user" else 1
    body = assert_error(response, 413, f"messages[{index}] has {MAX_CHARS + 1} characters")
    assert "ASSISTANT_MAX_HISTORY_MESSAGE_CHARS" in body.detail
    assert stored(open_server) == before


def test_a_long_question_is_413(client: httpx.Client, open_server: Served) -> None:
    before = stored(open_server)
    question = "z" * 4001  # over max_message_chars (as /api/chat) and the history limit
    response = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]}
    )
    assert_error(response, 413, "4001 characters")
    assert stored(open_server) == before
