"""A client that stops mid-answer (the web UI's Stop closes its EventSource; any client may
close the connection) cancels the turn: the engine's stream is closed before its next step,
the model's HTTP stream is closed, and nothing of the turn is stored. Real servers on
loopback: ours, and the scripted model behind it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from assistant.engine.events import StatusEvent
from assistant.engine.streaming import GroundedStream
from assistant.services import Services
from tests.accounts.keys import ADMIN_KEY, bearer
from tests.llm.conftest import ADMIN
from tests.llm.live import read_events
from tests.llm.scripted import ScriptedModel, content

LONG = "A new customer should be live within 30 days of signature, with a named sponsor. " * 8


def conversations(client: httpx.Client) -> set[str]:
    listed = client.get("/api/conversations", headers=bearer(ADMIN_KEY)).json()
    return {c["id"] for c in listed["conversations"]}


def until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    ends = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > ends:
            return False
        time.sleep(0.05)
    return True


def read_until(client: httpx.Client, wanted: str) -> list[str]:
    """Stream a question, read events until one named `wanted`, then hang up."""
    body = {"message": "When should a new customer be live?", "stream": True}
    seen = []
    with client.stream("POST", "/api/chat", json=body, headers=bearer(ADMIN_KEY)) as response:
        assert response.status_code == 200
        for name, _ in read_events(response.iter_lines()):
            seen.append(name)
            if name == wanted:
                break
    return seen  # leaving the block closes the connection mid-stream


def test_a_stopped_model_answer_closes_the_model_stream_and_stores_nothing(
    with_llm: httpx.Client, model: ScriptedModel
) -> None:
    model.enqueue(content(LONG, piece=8, chunk_delay=0.02))  # ~1.7 s to stream it all
    before = conversations(with_llm)
    seen = read_until(with_llm, "delta")
    assert seen[-1] == "delta"
    assert until(lambda: bool(model.streams)), "the model's stream never ended"
    assert model.streams == ["abandoned"]  # we hung up on the model, not read it to the end
    time.sleep(0.5)  # a turn that was not cancelled would be stored by now
    assert conversations(with_llm) == before
    # the next question is answered and stored as usual
    model.enqueue(content("Live within 30 days of signature [1]."))
    assert read_until(with_llm, "done")[-1] == "done"
    assert len(conversations(with_llm) - before) == 1


def test_a_stopped_grounded_answer_is_not_stored(
    grounded: tuple[FastAPI, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client = grounded
    services: Services = app.state.services
    entered, gate, committed = threading.Event(), threading.Event(), threading.Event()
    original = services.chat.prepare

    def held(*args: Any) -> Callable[[], Any]:
        entered.set()
        assert gate.wait(10), "never released"
        commit = original(*args)

        def counted() -> Any:
            committed.set()
            return commit()

        return counted

    monkeypatch.setattr(services.chat, "prepare", held)
    before = conversations(client)
    reader = threading.Thread(target=read_until, args=(client, "status"))
    reader.start()
    reader.join(10)
    assert entered.wait(10)  # the engine is mid-step (retrieving and composing) ...
    time.sleep(0.5)  # ... when the server sees the client gone
    gate.set()
    time.sleep(0.5)
    assert not committed.is_set()  # the stream was closed before the step that stores
    assert conversations(client) == before


def test_closing_the_grounded_stream_before_its_last_step_stores_nothing(
    llm_services: Services,
) -> None:
    store = llm_services.chat.conversations
    before = len(store.of_user(ADMIN.user))
    stream = GroundedStream(llm_services.chat).stream("How fast is onboarding?", ADMIN)
    first, second = next(stream), next(stream)
    assert isinstance(first, StatusEvent) and first.stage == "received"
    assert isinstance(second, StatusEvent) and second.stage == "composing"
    stream.close()
    assert len(store.of_user(ADMIN.user)) == before
    list(GroundedStream(llm_services.chat).stream("How fast is onboarding?", ADMIN))
    assert len(store.of_user(ADMIN.user)) == before + 1
