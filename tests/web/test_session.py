"""The web session cookie, CSRF on state-changing requests, Bearer keys still working, and
no start without a session secret when a keys file is set."""

from __future__ import annotations

import re
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.errors import ConfigurationError
from assistant.session_cookie import COOKIE, SessionSigner, key_digest
from ingest.embedding import HashingEmbedder
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY, bearer, write_keys
from tests.api.conftest import Served
from tests.conftest import make_settings

SECRET = "a-test-secret-of-enough-length"


def test_a_cookie_is_signed_and_expires() -> None:
    now = [1000.0]
    signer = SessionSigner(SECRET, 60, clock=lambda: now[0])
    value, session = signer.issue(key_digest(ADMIN_KEY))
    assert signer.read(value) == session and ADMIN_KEY not in value
    payload, _, signature = value.partition(".")
    assert signer.read(payload[:-2] + "xx." + signature) is None  # altered
    assert SessionSigner("another-secret-entirely", 60).read(value) is None
    now[0] += 61
    assert signer.read(value) is None and signer.expired(value)
    with pytest.raises(ConfigurationError, match="16 characters"):
        SessionSigner("short", 60)


def test_no_start_without_a_secret_when_keys_are_set(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", api_keys_file=write_keys(tmp_path / "k.yaml"), web_session_secret=None
    )
    with (
        pytest.raises(ConfigurationError, match="ASSISTANT_WEB_SESSION_SECRET"),
        TestClient(create_app(settings, HashingEmbedder())),
    ):
        pass  # the lifespan refuses: the server does not start
    with pytest.raises(ConfigurationError, match="ASSISTANT_WEB_SESSION_SECRET"):
        SessionSigner.from_settings(settings)
    local = make_settings(tmp_path / "local", web_session_secret=None)
    assert SessionSigner.from_settings(local).max_age == local.web_session_hours * 3600


def _signed_in(url: str, key: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=30)
    response = client.post("/sign-in", data={"key": key, "next": "/"})
    assert response.status_code == 303 and COOKIE in client.cookies
    page = client.get("/")
    assert page.status_code == 200
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf
    return client, csrf.group(1)


def test_cookie_requests_need_the_csrf_token(keyed: Served) -> None:
    client, csrf = _signed_in(keyed.url, SELLER_KEY)
    with closing(client):
        question = {"message": "When should a new customer be live?"}
        refused = client.post("/api/chat", json=question)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        wrong = client.post("/api/chat", json=question, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        asked = client.post("/api/chat", json=question, headers={"X-CSRF-Token": csrf})
        assert asked.status_code == 200
        assert client.get("/api/conversations").json()["conversations"]  # reads need none
        refused_ui = client.post("/ui/chat", data=question)
        assert refused_ui.status_code == 403 and 'role="alert"' in refused_ui.text
        assert "CSRF" in refused_ui.text
        pending = client.post("/ui/chat", data=question, headers={"X-CSRF-Token": csrf})
        assert pending.status_code == 200 and "sse-connect" in pending.text
        # the seller's scope holds through the cookie as through the key
        other = client.get("/api/accounts/ACC-001")
        assert other.status_code in (403, 404)


def test_bearer_keys_keep_working_and_bad_sign_ins_are_refused(keyed: Served) -> None:
    assert httpx.get(f"{keyed.url}/api/conversations", headers=bearer(ADMIN_KEY)).is_success
    with httpx.Client(base_url=keyed.url) as client:
        bad = client.post("/sign-in", data={"key": "x" * 20})
        assert bad.status_code == 401 and "not valid" in bad.text
        assert COOKIE not in client.cookies
        cross = client.post(
            "/sign-in", data={"key": ADMIN_KEY}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403 and COOKIE not in client.cookies
        page = client.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/"
        fragment = client.get("/ui/conversations")
        assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith(
            "/sign-in"
        )
        moved = client.post("/sign-in", data={"key": ADMIN_KEY, "next": "https://evil.example/"})
        assert moved.headers["location"] == "/"  # never to another site


def test_ui_pages_carry_a_content_security_policy(keyed: Served) -> None:
    client, _ = _signed_in(keyed.url, ADMIN_KEY)
    with closing(client):
        for path in ("/", "/drafts", "/admin"):
            policy = client.get(path).headers["content-security-policy"]
            assert "script-src 'self'" in policy and "img-src 'self' data:" in policy
        assert "content-security-policy" not in client.get("/docs").headers


def test_local_mode_has_no_sign_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", web_session_secret=None)
    with TestClient(create_app(settings, HashingEmbedder())) as client:
        page = client.get("/")
        assert page.status_code == 200 and "Sign out" not in page.text
        assert COOKIE in client.cookies  # a session without a key, for the CSRF token
        assert client.get("/sign-in", follow_redirects=False).headers["location"] == "/"
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
        assert token
        listed = client.get("/ui/conversations")
        assert listed.status_code == 200 and "No conversations yet" in listed.text
        blank = client.post("/ui/chat", data={"message": "  "}, headers={"X-CSRF-Token": token[1]})
        assert blank.status_code == 422 and "must not be empty" in blank.text
