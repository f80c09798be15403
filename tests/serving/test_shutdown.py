"""Finding 14 of issue 11: SIGTERM while answers are streaming. Every open stream gets an
`error` event saying the server is stopping (none is cut with neither `done` nor `error`),
and the server process exits. The same for `/v1/chat/completions` streams: an OpenAI-style
error chunk, which the OpenAI SDK raises as `APIError`, then `[DONE]`."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.conftest import make_settings
from tests.serving import processes

STREAMS = 4


def _events(reply: httpx.Response, first: threading.Event) -> list[tuple[str, dict[str, object]]]:
    events: list[tuple[str, dict[str, object]]] = []
    kind = ""
    for line in reply.iter_lines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((kind, json.loads(line.split(":", 1)[1])))
            first.set()
    return events


@pytest.fixture
def indexed_dir(tmp_path: Path, corpus: Path) -> Path:
    data = tmp_path / "data"
    ingesting = build_services(make_settings(data), HashingEmbedder())
    ingesting.ingestor().run([corpus])
    ingesting.close()
    return data


def test_sigterm_ends_every_open_stream_with_an_error_event(indexed_dir: Path) -> None:
    data = indexed_dir
    results: list[list[tuple[str, dict[str, object]]]] = []
    failures: list[str] = []
    # query encoding takes 8 s here: the streams are open when the signal comes
    with processes.ServerProcess(data, embed_delay=8.0) as server:
        started = [threading.Event() for _ in range(STREAMS)]

        def stream(first: threading.Event) -> None:
            body = {"message": "when is the kickoff meeting?", "stream": True}
            try:
                with httpx.stream("POST", server.url + "/api/chat", json=body, timeout=60) as r:
                    results.append(_events(r, first))
            except httpx.HTTPError as error:
                failures.append(repr(error))

        threads = [threading.Thread(target=stream, args=(e,)) for e in started]
        ended, code = _terminate_mid_stream(server, threads, started)
    assert failures == [] and len(results) == STREAMS
    for events in results:
        assert events[0][0] == "status"
        kind, payload = events[-1]
        assert kind == "error", events
        assert payload["status"] == 503 and "stopping" in str(payload["detail"])
        assert not any(k == "done" for k, _ in events)
    assert ended < 5, "the streams end at the signal, not when the answers would be ready"
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled


def test_sigterm_ends_every_open_v1_stream_with_an_openai_error(indexed_dir: Path) -> None:
    """Three streams through the OpenAI SDK, one read raw: the SDK raises the error chunk
    as `APIError` (503, "stopping"); on the wire the error chunk is followed by `[DONE]`."""
    raised: list[openai.APIError] = []
    raw: list[list[str]] = []
    failures: list[str] = []
    question = [{"role": "user", "content": "when is the kickoff meeting?"}]
    with processes.ServerProcess(indexed_dir, embed_delay=8.0) as server:
        started = [threading.Event() for _ in range(STREAMS)]
        sdk = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)

        def through_sdk(first: threading.Event) -> None:
            try:
                stream = sdk.chat.completions.create(
                    model="success-assistant", messages=question, stream=True, timeout=60
                )
                for _ in stream:
                    first.set()
                failures.append("the SDK stream ended without an error")
            except openai.APIError as error:
                raised.append(error)
            except Exception as error:
                failures.append(repr(error))

        def through_httpx(first: threading.Event) -> None:
            body = {"messages": question, "stream": True}
            url = server.url + "/v1/chat/completions"
            try:
                with httpx.stream("POST", url, json=body, timeout=60) as reply:
                    lines = []
                    for line in reply.iter_lines():
                        if line.startswith("data:"):
                            lines.append(line[5:].strip())
                            first.set()
                    raw.append(lines)
            except httpx.HTTPError as error:
                failures.append(repr(error))

        targets = [through_sdk] * (STREAMS - 1) + [through_httpx]
        threads = [
            threading.Thread(target=t, args=(e,)) for t, e in zip(targets, started, strict=True)
        ]
        ended, code = _terminate_mid_stream(server, threads, started)
        sdk.close()
    assert failures == [] and len(raised) == STREAMS - 1 and len(raw) == 1
    for error in raised:
        assert "stopping" in error.message
        assert error.body == {"message": error.message, "type": "service_unavailable", "code": 503}
    *_, last, done = raw[0]
    assert done == "[DONE]" and json.loads(last)["error"]["code"] == 503
    assert not any('"finish_reason": "stop"' in line for line in raw[0])
    assert ended < 5, "the streams end at the signal, not when the answers would be ready"
    assert code in (0, -signal.SIGTERM)


def _terminate_mid_stream(
    server: processes.ServerProcess, threads: list[threading.Thread], started: list[threading.Event]
) -> tuple[float, int]:
    """Start the streams, SIGTERM the server once each has begun; the seconds the streams
    took to end after the signal, and the server's exit code."""
    for thread in threads:
        thread.start()
    assert all(e.wait(30) for e in started), "the streams did not start"
    time.sleep(0.3)
    signalled = time.monotonic()
    server.terminate()
    for thread in threads:
        thread.join(timeout=60)
    ended = time.monotonic() - signalled
    return ended, server.wait(timeout=60)
