"""Issue 11, the model's side, end to end: our server on loopback, the scripted model behind it.

A hanging model holds a request no longer than the deadline and only `max_concurrent` answers
wait on it, so other routes keep answering (5); a cut stream and `finish_reason` `length` or
`content_filter` are failures, `max_tokens` is always sent (9); an over-long answer is refused
and never stored (10); a `Retry-After` the answer cannot afford falls back at once (12).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from assistant.engine.events import DoneEvent, StatusEvent
from assistant.engine.types import ChatResponse
from assistant.services import Services
from tests.accounts.keys import ADMIN_KEY, bearer
from tests.conftest import LiveServer
from tests.llm.conftest import ADMIN, EngineFactory
from tests.llm.live import serve, stream_chat
from tests.llm.scripted import Call, Reply, ScriptedModel, content, error, hang, tools

QUESTION = "When should a customer be live?"
DEADLINE = 3.0
SLOTS = 4
MAX_TOKENS = 321
MAX_CHARS = 5000
ANSWER = "A new customer should be live within 30 days of signature [1]. " * 3


class Live:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=20)

    @property
    def services(self) -> Services:
        services: Services = self.server.server.config.app.state.services
        return services

    def chat(self, **body: Any) -> tuple[ChatResponse, float]:
        started = time.monotonic()
        response = self.client.post(
            "/api/chat", json={"message": QUESTION, **body}, headers=bearer(ADMIN_KEY)
        )
        assert response.status_code == 200, response.text
        return ChatResponse.model_validate(response.json()), time.monotonic() - started


@pytest.fixture(scope="module")
def hardened(data_dir: Path, model_server: tuple[ScriptedModel, LiveServer]) -> Iterator[Live]:
    """The request timeout is long on purpose: only the deadline may end a hung call."""
    with serve(
        data_dir,
        llm_base_url=f"{model_server[1].url}/v1",
        llm_deadline=DEADLINE,
        llm_request_timeout=30.0,
        llm_retries=1,
        llm_max_concurrent=SLOTS,
        llm_max_tokens=MAX_TOKENS,
        llm_max_answer_chars=MAX_CHARS,
    ) as server:
        live = Live(server)
        yield live
        live.client.close()


@pytest.fixture(scope="module")
def patient(data_dir: Path, model_server: tuple[ScriptedModel, LiveServer]) -> Iterator[Live]:
    """The default deadline (60 s), one retry allowed."""
    with serve(
        data_dir, llm_base_url=f"{model_server[1].url}/v1", llm_deadline=60.0, llm_retries=1
    ) as server:
        live = Live(server)
        yield live
        live.client.close()


# 5: a hanging model ----------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_hung_model_is_cut_at_the_deadline(
    hardened: Live, model: ScriptedModel, stream: bool
) -> None:
    """The model keeps the connection alive without answering: no read timeout fires."""
    model.enqueue(hang())
    if stream:
        started = time.monotonic()
        events = stream_chat(hardened.client, ADMIN_KEY, message=QUESTION)
        elapsed = time.monotonic() - started
        done = ChatResponse.model_validate(events[-1][1])
    else:
        done, elapsed = hardened.chat()
    assert done.engine == "grounded" and done.fallback_reason == "deadline_exceeded"
    assert "30 days" in done.answer
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 1.5


def test_a_hanging_model_holds_only_its_slots(hardened: Live, model: ScriptedModel) -> None:
    """45 chats at once while the model hangs (more than the server's 40 worker threads):
    `max_concurrent` wait for the model until the deadline, the others are answered by the
    grounded engine at once, and the other routes keep answering meanwhile."""
    chats = 45
    model.enqueue(*[hang() for _ in range(chats)])

    async def run() -> tuple[list[dict[str, Any]], list[float]]:
        async with httpx.AsyncClient(base_url=hardened.server.url, timeout=20) as client:

            async def ask() -> dict[str, Any]:
                response = await client.post(
                    "/api/chat", json={"message": QUESTION}, headers=bearer(ADMIN_KEY)
                )
                assert response.status_code == 200, response.text
                body: dict[str, Any] = response.json()
                return body

            async def probe() -> list[float]:
                await asyncio.sleep(0.5)
                took = []
                for _ in range(5):
                    started = time.monotonic()
                    assert (await client.get("/healthz", timeout=5)).status_code == 200
                    took.append(time.monotonic() - started)
                    await asyncio.sleep(0.1)
                return took

            answers = asyncio.gather(*[ask() for _ in range(chats)])
            probes = await probe()
            return await answers, probes

    started = time.monotonic()
    answers, probes = asyncio.run(run())
    elapsed = time.monotonic() - started
    reasons = sorted(a["fallback_reason"] for a in answers)
    assert reasons == ["deadline_exceeded"] * SLOTS + ["model_busy"] * (chats - SLOTS)
    assert all(a["engine"] == "grounded" and "30 days" in a["answer"] for a in answers)
    assert len(model.history) == SLOTS  # the busy ones never reached the model
    # not the 100 ms of the serving side: the first probe queues behind 41 grounded answers
    # computed on the same worker threads; without the bound every thread is held instead
    assert max(probes) < 2.0, probes
    assert elapsed < DEADLINE + 3.0
    # the slots are free again
    model.queue.clear()
    model.enqueue(content("Hello there."))
    response, _ = hardened.chat()
    assert response.engine == "llm:scripted-1" and response.fallback_reason is None


# 9: cut streams, finish reasons, max_tokens ----------------------------------------------


def test_a_cut_stream_is_no_answer(hardened: Live, model: ScriptedModel) -> None:
    model.enqueue(content(ANSWER, cut=True))
    response, _ = hardened.chat()
    assert response.engine == "grounded" and response.fallback_reason == "incomplete_stream"
    assert model.history[0]["max_tokens"] == MAX_TOKENS


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (content(ANSWER, cut=True), "incomplete_stream"),
        (content(ANSWER, drop=True), "connection_error"),
        (content(ANSWER, finish="length"), "output_truncated"),
        (content(ANSWER, finish="content_filter"), "content_filtered"),
    ],
)
def test_a_failed_stream_already_shown_is_an_error_and_a_flagged_answer(
    hardened: Live, model: ScriptedModel, reply: Reply, reason: str
) -> None:
    """The model's text went out, then the stream failed: an `error` event (not final) says
    so, the text is withdrawn, the grounded answer follows, flagged, and only it is stored."""
    model.enqueue(reply, content("never asked for"))
    events = stream_chat(hardened.client, ADMIN_KEY, message=QUESTION)
    names = [name for name, _ in events]
    shown = "".join(
        data["text"] for name, data in events[: names.index("error")] if name == "delta"
    )
    assert "30 days" in shown  # the model's text went out first
    error_at = names.index("error")
    assert events[error_at][1] == {
        "status": 502,
        "detail": events[error_at][1]["detail"],
        "final": False,
        "reason": reason,
    }
    assert "withdrawn" in events[error_at][1]["detail"]
    assert names.count("error") == 1 and names.count("done") == 1 and names[-1] == "done"
    fallback = events[error_at + 1]
    assert fallback[0] == "status" and fallback[1]["stage"] == "fallback"
    assert fallback[1]["discard"]
    done = ChatResponse.model_validate(events[-1][1])
    assert done.engine == "grounded" and done.fallback_reason == reason and done.interrupted
    assert "30 days" in done.answer
    assert model.pending == 1  # text was shown: never retried
    stored = hardened.services.chat.conversations.history(done.conversation_id)
    answers = [t for t in stored if t.role == "assistant"]
    assert [t.content for t in answers] == [done.answer]  # the partial text is not stored
    assert answers[0].payload["fallback_reason"] == reason
    assert answers[0].payload["interrupted"] is True


def test_a_failed_stream_already_shown_on_v1_is_noted_not_an_sdk_error(
    hardened: Live, model: ScriptedModel
) -> None:
    """Through the OpenAI SDK: the withdrawn text is followed by the note and the grounded
    answer (no error chunk, which the SDK would raise); the last chunk says `interrupted`."""
    model.enqueue(content(ANSWER, cut=True))
    sdk = openai.OpenAI(
        base_url=f"{hardened.server.url}/v1", api_key=ADMIN_KEY, max_retries=0, timeout=20
    )
    chunks = list(
        sdk.chat.completions.create(
            model="success-assistant",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
        )
    )
    sdk.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    model_part, note, grounded = text.partition("The model failed")
    assert "30 days" in model_part and note and "30 days" in grounded
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    meta = (last.model_extra or {})["assistant"]
    assert meta["interrupted"] is True and meta["fallback_reason"] == "incomplete_stream"


def test_a_failure_before_any_text_is_no_error_event(hardened: Live, model: ScriptedModel) -> None:
    """Nothing was shown: no `error`, the fallback status (nothing to discard) and the
    grounded answer, not flagged as interrupted."""
    model.enqueue(error(500), error(500))
    events = stream_chat(hardened.client, ADMIN_KEY, message=QUESTION)
    names = [name for name, _ in events]
    assert "error" not in names and names[-1] == "done"
    fallback = next(d for n, d in events if n == "status" and d["stage"] == "fallback")
    assert not fallback["discard"]
    done = ChatResponse.model_validate(events[-1][1])
    assert done.fallback_reason == "server_error" and not done.interrupted
    stored = hardened.services.chat.conversations.history(done.conversation_id)
    assert stored[-1].payload["fallback_reason"] == "server_error"
    assert stored[-1].payload["interrupted"] is False


@pytest.mark.parametrize(
    ("finish", "reason"), [("length", "output_truncated"), ("content_filter", "content_filtered")]
)
def test_an_unfinished_reply_is_no_answer(
    hardened: Live, model: ScriptedModel, finish: str, reason: str
) -> None:
    model.enqueue(content(ANSWER, finish=finish), content("never asked for"))
    response, _ = hardened.chat()
    assert response.engine == "grounded" and response.fallback_reason == reason
    assert model.pending == 1  # not retried: the same request would stop the same way


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (content(ANSWER, finish="length"), "output_truncated"),
        (content(ANSWER, finish="content_filter"), "content_filtered"),
        (tools(Call("search_knowledge", {"query": "live"}), finish="length"), "output_truncated"),
        (content("x" * 6000), "answer_too_long"),
    ],
)
def test_unfinished_or_long_replies_in_both_modes(
    make_engine: EngineFactory, model: ScriptedModel, reply: Reply, reason: str, stream: bool
) -> None:
    model.enqueue(reply)
    engine = make_engine(stream=stream, max_tokens=77, max_answer_chars=MAX_CHARS)
    response = engine.chat(QUESTION, ADMIN)
    assert response.engine == "grounded" and response.fallback_reason == reason
    assert model.history[0]["max_tokens"] == 77


def test_a_cut_stream_of_tool_calls_is_retried(
    make_engine: EngineFactory, model: ScriptedModel
) -> None:
    """Nothing was shown yet, so a stream cut in the middle of a tool call is retried like a
    dropped connection; the half-written call never runs."""
    model.enqueue(
        tools(Call("search_knowledge", '{"query": "li'), cut=True),
        tools(Call("search_knowledge", {"query": "live"})),
        content("Live within 30 days [1]."),
    )
    response = make_engine(retries=1, numbers="flag").chat(QUESTION, ADMIN)
    assert response.engine == "llm:scripted-1" and response.answer == "Live within 30 days [1]."
    assert len(model.history) == 3
    assert model.history[1]["messages"] == model.history[0]["messages"]  # the same request


# 10: the answer's length -----------------------------------------------------------------


def test_a_huge_answer_is_refused_and_never_stored(hardened: Live, model: ScriptedModel) -> None:
    model.enqueue(content("word " * 400_000, piece=4096))  # 2 MB
    response, elapsed = hardened.chat()
    assert response.engine == "grounded" and response.fallback_reason == "answer_too_long"
    assert elapsed < DEADLINE  # it stopped reading at the limit
    stored = hardened.services.chat.conversations.history(response.conversation_id)
    assert stored and all(len(t.content) < MAX_CHARS for t in stored)
    assert all("word word word" not in str(t.payload) for t in stored)


# 12: Retry-After -------------------------------------------------------------------------


def _in_30_s() -> str:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    return email.utils.format_datetime(later, usegmt=True)


@pytest.mark.parametrize("retry_after", ["30", "http-date"])
def test_a_long_retry_after_falls_back_at_once(
    patient: Live, model: ScriptedModel, retry_after: str
) -> None:
    """30 s fit in the 60 s deadline, but are not worth it: the grounded answer is instant.
    A short wait is still honoured."""
    value = _in_30_s() if retry_after == "http-date" else retry_after
    model.enqueue(error(429, headers={"retry-after": value}), content("too late"))
    response, elapsed = patient.chat()
    assert response.engine == "grounded" and response.fallback_reason == "rate_limited"
    assert elapsed < 2.0 and model.pending == 1

    model.queue.clear()
    model.history.clear()
    model.enqueue(error(429, headers={"retry-after-ms": "300"}), content("Hello there."))
    response, elapsed = patient.chat()
    assert response.engine == "llm:scripted-1" and response.answer == "Hello there."
    assert elapsed >= 0.3 and len(model.history) == 2


def test_fallback_status_names_the_reason(make_engine: EngineFactory, model: ScriptedModel) -> None:
    model.enqueue(content(ANSWER, cut=True))
    events = list(make_engine().stream(QUESTION, ADMIN))
    fallback = next(e for e in events if isinstance(e, StatusEvent) and e.stage == "fallback")
    assert "incomplete_stream" in fallback.message and fallback.discard
    assert isinstance(events[-1], DoneEvent)
