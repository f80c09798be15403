"""Sign-in, sign-out, an expired session and roles, in a real browser."""

from __future__ import annotations

import time
from typing import Any

import pytest

from assistant.session_cookie import COOKIE, SessionSigner, key_digest
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY
from tests.browser.conftest import sign_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_sign_in_and_out(browser: Any, server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/admin")
        assert page.url.startswith(f"{server.url}/sign-in?next=/admin")
        page.get_by_label("API key").fill("not-a-key-at-all-0000")
        page.get_by_role("button", name="Sign in").click()
        assert "not valid" in page.get_by_role("alert").inner_text()
        page.get_by_label("API key").fill(ADMIN_KEY)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/admin")  # back where they were going
        cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert ADMIN_KEY not in cookie["value"]
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{server.url}/sign-in")
        assert not [c for c in context.cookies() if c["name"] == COOKIE]
        page.goto(f"{server.url}/")
        assert "/sign-in" in page.url
    finally:
        context.close()


def test_an_expired_session_goes_back_to_sign_in(browser: Any, server: LiveServer) -> None:
    settings = server.server.config.app.state.services.settings  # type: ignore[attr-defined]
    secret = settings.web_session_secret.get_secret_value()
    hours = settings.web_session_hours
    old = SessionSigner(secret, hours * 3600, clock=lambda: time.time() - hours * 3600 - 60)
    value, _ = old.issue(key_digest(ADMIN_KEY))
    context = browser.new_context()
    try:
        context.add_cookies([{"name": COOKIE, "value": value, "url": server.url}])
        page = context.new_page()
        page.goto(f"{server.url}/drafts")
        assert page.url.startswith(f"{server.url}/sign-in?next=/drafts&expired=1")
        assert "expired" in page.get_by_role("status").inner_text()
    finally:
        context.close()


def test_a_seller_has_no_admin_page(browser: Any, server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, server.url, SELLER_KEY)
        assert page.get_by_role("link", name="Admin").count() == 0
        response = page.goto(f"{server.url}/admin")
        assert response is not None and response.status == 403
        assert "admin role" in page.get_by_role("alert").inner_text()
        options = page.locator("#account-options option")  # only the seller's accounts
        page.goto(f"{server.url}/")
        assert sorted(
            (options.nth(i).get_attribute("value") or "").split(" ")[0]
            for i in range(options.count())
        ) == ["ACC-002", "ACC-005"]
    finally:
        context.close()
