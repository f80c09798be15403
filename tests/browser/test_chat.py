"""The chat page in a real browser: stream, citations, follow-ups, conversations, the
account picker, feedback, hostile documents, keyboard-only use and accessibility."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document

from tests.accounts.keys import ADMIN_KEY, bearer
from tests.browser.conftest import (
    HOSTILE_TITLE,
    SCREENSHOTS,
    RecordingOrigin,
    ask,
    axe_violations,
    screenshot,
)
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
# what arrives in the conversation, in order: steps, streamed text, the finished answer
SEEN_SCRIPT = """() => {
  window.__seen = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      const into = change.target;
      for (const node of change.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("step")) {
          window.__seen.push("step:" + node.textContent);
        } else if (into.classList && into.classList.contains("stream-text")) {
          if (window.__seen.at(-1) !== "delta") window.__seen.push("delta");
        } else if (node.nodeType === 1 && node.matches("article.msg.assistant:not(.pending)")) {
          window.__seen.push("done");
        }
      }
    }
  }).observe(document.getElementById("log"), {childList: true, subtree: true});
}"""


def test_ask_streams_steps_then_a_cited_answer_with_a_popover(admin_page: Any) -> None:
    page = admin_page
    page.evaluate(SEEN_SCRIPT)
    answer = ask(page, "When should a new customer be live after signature?")
    seen = page.evaluate("window.__seen")
    assert any(s.startswith("step:") for s in seen), seen  # progress shown as it came
    assert "delta" in seen and "done" in seen, seen
    assert seen.index("delta") < seen.index("done"), seen
    assert "30 days" in answer.inner_text()
    cite = answer.locator("button.cite").first
    assert cite.inner_text() == "[1]"
    cite.click()
    popover = page.locator(f"#{cite.get_attribute('popovertarget')}")
    assert popover.is_visible()
    text = popover.inner_text()
    assert "Source file:" in text and ".md" in text
    assert answer.get_by_role("region", name="Sources of this answer").is_visible()
    screenshot(page, "chat-with-citations")
    page.keyboard.press("Escape")
    assert not popover.is_visible()
    assert page.url.startswith(page.url.split("/c/")[0] + "/c/")  # the URL names the chat


def test_follow_up_and_reload_find_the_conversation(admin_page: Any, server: LiveServer) -> None:
    page = admin_page
    ask(page, "What happens at the kickoff meeting of an onboarding?")
    conversation = page.locator("#conversation-id").input_value()
    assert conversation
    ask(page, "And who hands the account over after go-live?")
    assert page.locator("#conversation-id").input_value() == conversation  # same chat
    page.reload()
    assert page.locator("article.msg.assistant").count() == 2
    assert page.locator(".msg.user").nth(1).inner_text().endswith("after go-live?")
    sidebar = page.get_by_role("navigation", name="Conversations")
    link = sidebar.get_by_role("link", name="What happens at the kickoff meeting")
    assert link.get_attribute("aria-current") == "page"
    stored = httpx.get(
        f"{server.url}/api/conversations/{conversation}", headers=bearer(ADMIN_KEY)
    ).json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 2


def test_rename_and_delete_from_the_sidebar(admin_page: Any, server: LiveServer) -> None:
    page = admin_page
    ask(page, "How are health bands defined?")
    conversation = page.locator("#conversation-id").input_value()
    item = page.locator(".conversation.current")
    item.locator("summary").click()
    item.get_by_label("New name").fill("Bands for the QBR")
    item.get_by_role("button", name="Rename").click()
    page.get_by_role("link", name="Bands for the QBR").wait_for()
    listed = httpx.get(f"{server.url}/api/conversations", headers=bearer(ADMIN_KEY)).json()
    assert {"id": conversation, "title": "Bands for the QBR"}.items() <= next(
        c for c in listed["conversations"] if c["id"] == conversation
    ).items()
    page.on("dialog", lambda dialog: dialog.accept())
    item = page.locator(".conversation.current")
    item.locator("summary").click()
    item.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{server.url}/")
    gone = httpx.get(f"{server.url}/api/conversations/{conversation}", headers=bearer(ADMIN_KEY))
    assert gone.status_code == 404


def test_account_picker_sets_the_account_context(admin_page: Any, server: LiveServer) -> None:
    page = admin_page
    options = page.locator("#account-options option")
    assert options.count() >= 10
    picked = options.nth(1).get_attribute("value")
    assert picked is not None
    account_id = picked.split(" ")[0]
    page.get_by_label("Account context").fill(picked)
    answer = ask(page, "What is the health score?")
    data_used = answer.locator(".data-used")
    assert account_id in data_used.inner_text()
    trend = answer.locator("figure.chart").filter(has_text="health score, last 12 months")
    assert trend.locator("svg").count() == 1  # the chart, drawn
    table = trend.locator("table")  # and its figures as text
    assert table.locator("tbody tr").count() == 12
    stored = httpx.get(
        f"{server.url}/api/accounts/{account_id}/charts/health-trend.json",
        headers=bearer(ADMIN_KEY),
    ).json()
    last = table.locator("tbody tr").last.locator("td")
    assert [last.nth(i).text_content() for i in range(2)] == [
        str(stored["table"]["rows"][-1][0]),
        str(stored["table"]["rows"][-1][1]),
    ]
    assert answer.locator("figure.chart").filter(has_text="licen").count() == 1
    trend.scroll_into_view_if_needed()
    screenshot(page, "account-answer")
    # an unknown name is refused with a message in the conversation, nothing is asked
    page.get_by_label("Account context").fill("No Such Company")
    page.get_by_label("Your question").fill("What is the health score?")
    page.get_by_label("Your question").press("Enter")
    alert = page.get_by_role("alert").last
    alert.wait_for()
    assert "pick one from the list" in alert.inner_text()


def test_feedback_is_stored(admin_page: Any, server: LiveServer) -> None:
    page = admin_page
    answer = ask(page, "Who names the executive sponsor at kickoff?")
    answer.get_by_label("Comment (optional)").fill("cite the kickoff checklist too")
    answer.get_by_role("button", name="Thumbs down: a bad answer").click()
    page.get_by_role("status").filter(has_text="thumbs down is recorded").wait_for()
    conversation = page.locator("#conversation-id").input_value()
    usage = httpx.get(f"{server.url}/api/admin/usage", headers=bearer(ADMIN_KEY)).json()
    rated = [t for t in usage["thumbs_down"] if t["comment"] == "cite the kickoff checklist too"]
    assert len(rated) == 1 and rated[0]["question"].startswith("Who names the executive")
    stored = httpx.get(
        f"{server.url}/api/conversations/{conversation}", headers=bearer(ADMIN_KEY)
    ).json()
    assert stored["messages"][-1]["content"] == rated[0]["answer"]


def test_a_hostile_document_renders_inert(admin_page: Any, remote_origin: RecordingOrigin) -> None:
    page = admin_page
    answer = ask(page, "What does an escalation to the vendor need?")
    popovers = answer.locator(".popover")
    shown = answer.inner_text() + " ".join(
        popovers.nth(i).text_content() or "" for i in range(popovers.count())
    )
    assert HOSTILE_TITLE in shown  # the document was found and shown
    assert "__pwned" in shown, shown  # its markup reached the page as text
    assert page.evaluate("window.__pwned") is None  # neither script nor handler ran
    assert page.locator("#log script, #log img, #log [onerror]").count() == 0
    page.wait_for_timeout(300)
    assert remote_origin.requests == []  # the remote image was never requested


def test_keyboard_only_chat(admin_page: Any) -> None:
    page = admin_page
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focused = ""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused == "message":
            break
    assert focused == "message"
    page.keyboard.type("What is the target time to go live?")
    page.keyboard.press("Shift+Enter")  # a newline, not a send
    page.keyboard.type("Please cite it.")
    assert page.locator(".msg.user").count() == 0
    assert "\n" in page.locator("#message").input_value()
    page.keyboard.press("Enter")
    answer = page.locator("article.msg.assistant:not(.pending)").first
    answer.wait_for()
    answer.locator("button.cite").first.focus()
    page.keyboard.press("Enter")
    assert answer.locator(".popover").first.is_visible()


def test_ime_composition_does_not_send(admin_page: Any) -> None:
    page = admin_page
    box = page.get_by_label("Your question")
    box.fill("半分")
    box.dispatch_event("keydown", {"key": "Enter", "isComposing": True, "keyCode": 229})
    page.wait_for_timeout(200)
    assert page.locator(".msg.user").count() == 0
    assert box.input_value() == "半分"


def test_chat_page_has_no_serious_accessibility_violation(
    admin_page: Any, browser: Any, server: LiveServer
) -> None:
    ask(admin_page, "When should a new customer be live after signature?")
    url = admin_page.url  # a chat with an answer, its sources and feedback form
    violations = axe_violations(browser, url, admin_page.context.cookies())
    assert violations == [], [(v["id"], v["help"]) for v in violations]


def test_expansion_question_shows_the_2x2(admin_page: Any, server: LiveServer) -> None:
    page = admin_page
    answer = ask(page, "Which accounts are the best expansion targets?")
    quadrant = answer.locator("figure.chart").first
    assert quadrant.locator("svg").count() == 1
    listed = httpx.get(f"{server.url}/api/accounts", headers=bearer(ADMIN_KEY)).json()
    names = [a["name"] for a in listed["accounts"]]
    hover = quadrant.locator("svg title").all_text_contents()
    assert sum(any(n in h for h in hover) for n in names) == len(names)  # every account
    assert quadrant.locator("tbody tr").count() == len(names)
    quadrant.scroll_into_view_if_needed()
    quadrant.screenshot(path=str(SCREENSHOTS / "portfolio-2x2.png"))


def stored_messages(server: LiveServer, conversation: str) -> list[dict[str, Any]]:
    found = httpx.get(f"{server.url}/api/conversations/{conversation}", headers=bearer(ADMIN_KEY))
    messages: list[dict[str, Any]] = found.json()["messages"]
    return messages


def test_regenerate_asks_again_in_the_same_conversation(
    admin_page: Any, server: LiveServer
) -> None:
    page = admin_page
    question = "How are health bands defined?"
    first = ask(page, question)
    conversation = page.locator("#conversation-id").input_value()
    first.get_by_role("button", name="Regenerate").click()
    again = page.locator("article.msg.assistant:not(.pending)").nth(1)
    again.wait_for()
    stored = stored_messages(server, conversation)
    assert [(m["role"], m["content"]) for m in stored if m["role"] == "user"] == [
        ("user", question)
    ] * 2
    assert [m["role"] for m in stored] == ["user", "assistant"] * 2
    assert page.locator("#conversation-id").input_value() == conversation


def test_copy_as_markdown_puts_the_stored_answer_on_the_clipboard(
    admin_page: Any, server: LiveServer
) -> None:
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    answer = ask(page, "When should a new customer be live after signature?")
    button = answer.get_by_role("button", name="Copy as Markdown")
    button.click()
    answer.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    stored = stored_messages(server, page.locator("#conversation-id").input_value())
    assert copied == stored[-1]["content"]  # the Markdown source, markers and all
    assert "[1]" in copied and "<" not in copied


def test_a_draft_in_chat_downloads_as_docx_and_looks_the_same_after_a_reload(
    admin_page: Any,
) -> None:
    page = admin_page
    picked = page.locator("#account-options option").first.get_attribute("value")
    assert picked is not None
    name = picked.split(" · ")[1]
    answer = ask(page, f"Draft a success plan for {name}")
    title = answer.locator(".answer-body h1").inner_text()
    assert name in title
    shown = answer.locator(".answer-body").inner_text()
    marks = answer.locator("mark.needs-input").count()
    assert marks >= 1
    href = answer.get_by_role("link", name="Download DOCX").get_attribute("href")
    assert href is not None
    with page.expect_download() as info:
        answer.get_by_role("link", name="Download DOCX").click()
    document = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert title in [p.text for p in document.paragraphs]
    page.reload()
    again = page.locator("article.msg.assistant").last
    assert again.locator(".answer-body h1").inner_text() == title  # rendered, not Markdown
    assert again.locator(".answer-body").inner_text() == shown
    assert again.locator("mark.needs-input").count() == marks
    link = again.get_by_role("link", name="Download DOCX").get_attribute("href")
    assert link == href and href.endswith(".docx")
