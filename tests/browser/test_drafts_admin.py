"""The drafts and admin pages in a real browser."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document

from assistant.store.db import build_engine
from assistant.store.usage import usage
from tests.accounts.keys import ADMIN_KEY, bearer
from tests.browser.conftest import ask, axe_violations, screenshot
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_success_plan_preview_and_docx_download(admin_page: Any, browser: Any) -> None:
    page = admin_page
    page.get_by_role("link", name="Drafts").click()
    page.get_by_label("Kind of draft").select_option("success_plan")
    first = page.locator("#draft-accounts option").first.get_attribute("value")
    assert first is not None
    page.get_by_label("Account", exact=True).fill(first)
    page.get_by_role("button", name="Draft it").click()
    preview = page.get_by_role("article", name="Draft preview")
    preview.wait_for()
    text = preview.inner_text()
    assert first.split(" · ")[1] in text  # the account's name
    assert preview.locator("mark.needs-input").count() >= 1  # missing inputs highlighted
    assert preview.locator("figure.chart .chart-image > svg").count() == 2, preview.inner_html()[
        :3000
    ]
    preview.locator("mark.needs-input").first.scroll_into_view_if_needed()
    screenshot(page, "draft-success-plan")
    with page.expect_download() as info:
        preview.get_by_role("link", name="Download DOCX").click()
    path = info.value.path()
    document = Document(io.BytesIO(Path(path).read_bytes()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert first.split(" · ")[1] in body
    violations = axe_violations(browser, page.url, page.context.cookies())
    assert violations == [], [(v["id"], v["help"]) for v in violations]


def test_a_draft_that_lacks_its_input_says_what_to_add(admin_page: Any) -> None:
    page = admin_page
    page.goto(page.url.rstrip("/") + "/drafts")
    page.get_by_label("Kind of draft").select_option("pitch")
    page.get_by_role("button", name="Draft it").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "account" in alert.inner_text().lower()


def test_admin_figures_equal_the_store(admin_page: Any, browser: Any, server: LiveServer) -> None:
    page = admin_page
    ask(page, "When should a new customer be live after signature?")
    ask(page, "What is the capital of France?")  # declined: not in the knowledge
    answer = ask(page, "Who names the executive sponsor?")
    answer.get_by_label("Comment (optional)").fill("missing the checklist")
    answer.get_by_role("button", name="Thumbs down: a bad answer").click()
    page.get_by_role("status").filter(has_text="recorded").wait_for()
    page.get_by_role("link", name="Admin").click()
    settings = server.server.config.app.state.services.settings  # type: ignore[attr-defined]
    database = build_engine(settings)
    try:
        stored = usage(database, settings.clock().replace(day=1).replace(month=1, year=2000))
    finally:
        database.dispose()
    shown = page.locator("#fig-questions").inner_text()
    report = httpx.get(f"{server.url}/api/admin/usage?days=30", headers=bearer(ADMIN_KEY)).json()
    assert int(shown) == report["questions"] == stored.questions >= 3
    assert int(page.locator("#fig-declined").inner_text()) == len(stored.declined) >= 1
    assert int(page.locator("#fig-down").inner_text()) == len(stored.thumbs_down) >= 1
    assert page.locator("#fig-p95").inner_text() == f"{stored.latency_p95_ms:.0f} ms"
    rows = page.locator("#per-day tbody tr")
    assert rows.count() == len(stored.per_day)
    assert sum(int(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(rows.count())) == (
        stored.questions
    )
    assert "missing the checklist" in page.locator("#thumbs-down").inner_text()
    assert "capital of France" in page.locator("#declined").inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as eval cases").click()
    exported = Path(info.value.path()).read_text(encoding="utf-8")
    assert "needs_review: true" in exported and "missing the checklist" in exported
    violations = axe_violations(browser, page.url, page.context.cookies())
    assert violations == [], [(v["id"], v["help"]) for v in violations]
