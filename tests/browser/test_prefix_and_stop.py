"""The UI served under a path prefix (ASSISTANT_ROOT_PATH=/assistant), with the model path
on (the scripted model on loopback): pages, static files, fragments, the stream and the
DOCX link all carry the prefix; Stop cancels a model answer mid-stream and nothing is
stored; the access log never holds a question."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from assistant.config import Settings
from tests.accounts.keys import ADMIN_KEY, bearer
from tests.browser.conftest import ask, serve
from tests.conftest import LiveServer
from tests.llm.scripted import Call, ScriptedModel, content, tools

pytestmark = pytest.mark.browser
PREFIX = "/assistant"
SECRET_QUESTION = "Which escalation owner reports progress every week?"
LONG = "An escalation needs a named executive sponsor and a written timeline. " * 12


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def model_server() -> Iterator[tuple[ScriptedModel, str]]:
    scripted = ScriptedModel()
    with LiveServer(scripted.app) as server:
        yield scripted, server.url


@pytest.fixture
def model(model_server: tuple[ScriptedModel, str]) -> ScriptedModel:
    model_server[0].reset()
    return model_server[0]


@pytest.fixture(scope="module")
def access_log() -> Iterator[Lines]:
    lines = Lines()
    logger = logging.getLogger("uvicorn.access")
    logger.addHandler(lines)
    yield lines
    logger.removeHandler(lines)


@pytest.fixture(scope="module")
def prefixed(
    prepared_data: Settings,
    tmp_path_factory: pytest.TempPathFactory,
    model_server: tuple[ScriptedModel, str],
    access_log: Lines,
) -> Iterator[LiveServer]:
    llm = {
        "llm_base_url": f"{model_server[1]}/v1",
        "llm_model": "scripted-1",
        "llm_api_key": SecretStr("test-key"),  # model_copy does not validate
        "llm_request_timeout": 5.0,
        "llm_deadline": 8.0,
        "llm_retries": 0,
    }
    access = {"log_level": "info", "access_log": True, "log_config": None}
    with serve(
        prepared_data, tmp_path_factory.mktemp("prefixed"), access, root_path=PREFIX, **llm
    ) as live:
        yield live


@pytest.fixture
def signed_in(browser: Any, prefixed: LiveServer) -> Iterator[tuple[Any, list[tuple[str, int]]]]:
    """A signed-in admin's page under the prefix, and the (url, status) of its responses."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    seen: list[tuple[str, int]] = []
    opened.on("response", lambda r: seen.append((r.url, r.status)))
    base = f"{prefixed.url}{PREFIX}"
    opened.goto(f"{base}/")
    assert opened.url.startswith(f"{base}/sign-in?next={PREFIX}/")  # the redirect kept it
    opened.get_by_label("API key").fill(ADMIN_KEY)
    opened.get_by_role("button", name="Sign in").click()
    opened.wait_for_url(f"{base}/")
    yield opened, seen
    context.close()


def conversations(server: LiveServer) -> set[str]:
    listed = httpx.get(f"{server.url}/api/conversations", headers=bearer(ADMIN_KEY)).json()
    return {c["id"] for c in listed["conversations"]}


def test_the_ui_works_under_a_path_prefix(
    signed_in: tuple[Any, list[tuple[str, int]]],
    prefixed: LiveServer,
    model: ScriptedModel,
    access_log: Lines,
) -> None:
    page, responses = signed_in
    base = f"{prefixed.url}{PREFIX}"
    model.enqueue(
        tools(Call("search_knowledge", {"query": "escalation owner reports progress"})),
        content("The escalation owner reports progress every week [1]."),
    )
    answer = ask(page, SECRET_QUESTION)
    assert "every week" in answer.inner_text()
    assert page.url.startswith(f"{base}/c/")  # the URL names the chat, under the prefix
    answer.locator("button.cite").first.click()  # the popover of the streamed answer
    page.keyboard.press("Escape")
    page.reload()
    assert page.locator("article.msg.assistant").count() == 1
    assert page.locator(".conversation.current a").get_attribute("href", timeout=5000) == (
        page.url.removeprefix(prefixed.url)
    )
    page.get_by_role("link", name="Drafts").click()
    page.wait_for_url(f"{base}/drafts")
    page.get_by_label("Kind of draft").select_option("success_plan")
    first = page.locator("#draft-accounts option").first.get_attribute("value")
    page.get_by_label("Account", exact=True).fill(first or "")
    page.get_by_role("button", name="Draft it").click()
    link = page.get_by_role("link", name="Download DOCX")
    href = link.get_attribute("href")
    assert href is not None and href.startswith(f"{PREFIX}/api/drafts/")
    with page.expect_download() as info:
        link.click()
    assert info.value.failure() is None
    requested = [(url, status) for url, status in responses if url.startswith(prefixed.url)]
    assert requested and all(url.startswith(base) for url, _ in requested), requested
    assert all(status < 400 for _, status in requested), requested
    assert any("/static/app.css" in url for url, _ in requested)
    assert any("/ui/chat/stream?id=" in url for url, _ in requested)
    # the stream is opened by an opaque id: no access log line holds the question
    streams = [line for line in access_log.lines if "/ui/chat/stream" in line]
    assert streams, access_log.lines[-5:]
    words = ("escalation", "owner", "progress", "Which")
    assert not [line for line in access_log.lines if any(w in line for w in words)]


def test_stop_cancels_a_model_answer_and_stores_nothing(
    signed_in: tuple[Any, list[tuple[str, int]]], prefixed: LiveServer, model: ScriptedModel
) -> None:
    page = signed_in[0]
    model.enqueue(content(LONG, piece=6, chunk_delay=0.05))  # ~7 s to stream it all
    before = conversations(prefixed)
    box = page.get_by_label("Your question")
    box.fill("What does an escalation to the vendor need?")
    box.press("Enter")
    pending = page.locator("article.msg.assistant.pending")
    pending.locator(".stream-text").filter(has_text="escalation").wait_for()
    pending.get_by_role("button", name="Stop").click()
    page.get_by_role("status").filter(has_text="nothing of this answer was kept").wait_for()
    ends = time.monotonic() + 10
    while not model.streams and time.monotonic() < ends:
        time.sleep(0.05)
    assert model.streams == ["abandoned"]  # the model's stream was closed, not read out
    time.sleep(0.5)
    assert conversations(prefixed) == before
    assert page.locator("article.msg.assistant:not(.stopped)").count() == 0
