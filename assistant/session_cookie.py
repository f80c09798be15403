"""The web session: a signed cookie naming the API key a person signed in with.

The cookie holds `<payload>.<signature>`: the payload (base64url JSON) carries the SHA-256
digest of the key (never the key), the time of sign-in and a random CSRF token; the
signature is HMAC-SHA256 with `ASSISTANT_WEB_SESSION_SECRET`. A changed cookie, a key
removed from the keys file or a sign-in older than `ASSISTANT_WEB_SESSION_HOURS` is no
session. The cookie is HttpOnly and SameSite=Strict; state-changing requests made with it
must also send its CSRF token (`X-CSRF-Token` header or a `csrf_token` form field).

Without a keys file (local mode) nobody signs in; the UI still gets a session (no key) so
that its CSRF protection works the same way, signed with a per-process secret when none is
configured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.errors import ConfigurationError

COOKIE = "assistant_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class WebSession:
    key_digest: str | None  # hex SHA-256 of the API key; None in local mode
    issued_at: float
    csrf: str


def key_digest(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Makes and checks session cookies."""

    def __init__(
        self,
        secret: str,
        max_age_seconds: float,
        *,
        secure: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 16:
            raise ConfigurationError(
                "ASSISTANT_WEB_SESSION_SECRET must have at least 16 characters"
            )
        self._secret = secret.encode("utf-8")
        self.max_age = max_age_seconds
        self.secure = secure
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionSigner:
        """The signer of `settings`; ConfigurationError when a keys file is set without a
        secret (sessions would not survive a restart nor be shared by workers)."""
        secret = settings.web_session_secret
        if secret is None:
            if settings.api_keys_file is not None:
                raise ConfigurationError(
                    "ASSISTANT_WEB_SESSION_SECRET is not set: with an API keys file the web "
                    "sign-in needs a secret to sign its session cookie (e.g. the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
                )
            return cls(secrets.token_urlsafe(32), settings.web_session_hours * 3600)
        return cls(
            secret.get_secret_value(),
            settings.web_session_hours * 3600,
            secure=settings.web_cookie_secure,
        )

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, digest: str | None) -> tuple[str, WebSession]:
        """A new session for the key with this digest: (cookie value, session)."""
        session = WebSession(digest, self._clock(), secrets.token_urlsafe(24))
        body = {"k": session.key_digest, "t": session.issued_at, "c": session.csrf}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}", session

    def read(self, cookie: str | None) -> WebSession | None:
        """The session of a cookie value; None when absent, altered or expired."""
        if not cookie or "." not in cookie:
            return None
        payload, _, signature = cookie.partition(".")
        try:
            if not hmac.compare_digest(self._sign(payload), signature):
                return None
            body = json.loads(_unb64(payload))
            session = WebSession(body["k"], float(body["t"]), str(body["c"]))
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            return None
        if self._clock() - session.issued_at > self.max_age:
            return None
        return session

    def seal(self, body: dict[str, object]) -> str:
        """`body` (JSON) signed, with the time it was sealed (see `unseal`)."""
        payload = _b64(json.dumps({**body, "_t": self._clock()}).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def unseal(self, token: str, max_age: float) -> dict[str, object] | None:
        """The body of a `seal`ed token no older than `max_age` seconds; None otherwise."""
        payload, _, signature = token.partition(".")
        try:
            if not signature or not hmac.compare_digest(self._sign(payload), signature):
                return None
            body = json.loads(_unb64(payload))
            if not isinstance(body, dict) or self._clock() - float(body.pop("_t")) > max_age:
                return None
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            return None
        return body

    def expired(self, cookie: str | None) -> bool:
        """True for a validly signed cookie whose time is up (the page says so)."""
        if not cookie or "." not in cookie:
            return False
        payload, _, signature = cookie.partition(".")
        try:
            if not hmac.compare_digest(self._sign(payload), signature):
                return False
            issued = float(json.loads(_unb64(payload))["t"])
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            return False
        return self._clock() - issued > self.max_age


def csrf_ok(session: WebSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")
