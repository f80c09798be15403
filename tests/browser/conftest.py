"""Browser tests of the web UI: Debian's chromium (headless, driven by Playwright; Playwright
never downloads a browser here) against a real server on loopback.

One data directory for the package (the shipped accounts imported; the playbooks, guides
and one-pagers ingested, plus a hostile document), one server per module, one browser per
session. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.api.app import create_app
from assistant.config import Settings
from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.conftest import import_into
from tests.accounts.expected import TODAY
from tests.accounts.keys import ADMIN_KEY, write_keys
from tests.conftest import REPO, LiveServer, free_port, make_settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
HOSTILE_TITLE = "Escalation etiquette"


class RecordingOrigin:
    """Another origin on loopback that records every request (a remote image must never
    be fetched from it)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile_document(origin: str) -> str:
    return f"""---
title: {HOSTILE_TITLE}
doc_type: playbook
---
# {HOSTILE_TITLE}

## Escalation
An escalation to the vendor needs a named executive sponsor <script>window.__pwned = 1</script>
and a written timeline <img src="x" onerror="window.__pwned = 2"> agreed with the customer.
![tracking pixel]({origin}/pixel.png) The escalation owner reports progress every week.
"""


@pytest.fixture(scope="session")
def remote_origin() -> Iterator[RecordingOrigin]:
    origin = RecordingOrigin()
    yield origin
    origin.close()


@pytest.fixture(scope="session")
def prepared_data(
    tmp_path_factory: pytest.TempPathFactory, remote_origin: RecordingOrigin
) -> Settings:
    """Accounts imported, a part of the shipped knowledge and the hostile document ingested."""
    root = tmp_path_factory.mktemp("browser")
    knowledge = root / "knowledge"
    for part in ("playbooks", "guides", "one-pagers"):
        shutil.copytree(REPO / "knowledge" / part, knowledge / part)
    (knowledge / "playbooks" / "escalation-etiquette.md").write_text(
        hostile_document(remote_origin.url), encoding="utf-8"
    )
    settings = make_settings(root / "data", today=TODAY, chunk_size=900, chunk_overlap=120)
    built = build_services(settings, HashingEmbedder())
    try:
        import_into(built)
        report = built.ingestor().run([knowledge])
        assert report.new > 20 and not report.skipped
    finally:
        built.close()
    return settings


def serve(
    prepared: Settings, target: Path, server: dict[str, Any] | None = None, **overrides: Any
) -> LiveServer:
    """A server of its own over a copy of the prepared data, with the keys file; `server`:
    more uvicorn settings."""
    shutil.copytree(prepared.data_dir, target / "data")
    settings = prepared.model_copy(
        update={
            "data_dir": target / "data",
            "api_keys_file": write_keys(target / "keys.yaml"),
            **overrides,
        }
    )
    return LiveServer(create_app(settings, HashingEmbedder()), **(server or {}))


@pytest.fixture(scope="module")
def server(
    prepared_data: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with serve(prepared_data, tmp_path_factory.mktemp("server")) as live:
        yield live


@pytest.fixture(scope="package")  # the sync API holds an event loop: end it with the package
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def sign_in(page: Any, base: str, key: str = ADMIN_KEY) -> None:
    page.goto(f"{base}/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.fixture
def admin_page(browser: Any, server: LiveServer) -> Iterator[Any]:
    """A signed-in admin's page (a fresh context: its own cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server.url)
    yield page
    context.close()


def axe_violations(browser: Any, url: str, cookies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page at `url` (the page's CSP is
    bypassed only in this context, to inject axe)."""
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
    finally:
        context.close()
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str, **options: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)


def ask(page: Any, question: str) -> Any:
    """Type a question, send it with Enter, wait for the finished answer; the answer."""
    before = page.locator("article.msg.assistant:not(.pending)").count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    answers = page.locator("article.msg.assistant:not(.pending)")
    answers.nth(before).wait_for()
    return answers.nth(before)
