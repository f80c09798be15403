"""Typed dependency aliases for the routes."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from assistant.config import Settings
from assistant.errors import AuthenticationError, PermissionDeniedError
from assistant.principal import Principal
from assistant.services import Services
from assistant.session_cookie import (
    COOKIE,
    CSRF_HEADER,
    SAFE_METHODS,
    SessionSigner,
    WebSession,
    csrf_ok,
)


def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


def get_app_settings(request: Request) -> Settings:
    return get_services(request).settings


def get_signer(request: Request) -> SessionSigner | None:
    return cast(SessionSigner | None, getattr(request.app.state, "sessions", None))


def web_session(request: Request) -> WebSession | None:
    """The web session of the request's cookie (None without a valid, unexpired one)."""
    signer = get_signer(request)
    return None if signer is None else signer.read(request.cookies.get(COOKIE))


def get_principal(request: Request) -> Principal:
    """The caller named by `Authorization: Bearer <key>` (401 without a valid key), or by
    the web session cookie of a signed-in person; a state-changing request made with the
    cookie must send its CSRF token (403 otherwise).

    Without an API keys file the service is in single-user local mode: the caller may see
    everything (and `assistant serve` binds to loopback only).
    """
    keys = get_services(request).api_keys
    authorization = request.headers.get("authorization")
    if authorization is not None and keys is not None:
        return keys.principal(authorization)
    session = web_session(request)
    if session is not None and request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER))
    if keys is None:
        return Principal()
    if session is None or session.key_digest is None:
        return keys.principal(authorization)  # 401 naming what to send
    principal = keys.by_digest(session.key_digest)
    if principal is None:
        raise AuthenticationError("this key is no longer valid; sign in again")
    return principal


def check_csrf(session: WebSession, sent: str | None) -> None:
    if not csrf_ok(session, sent):
        raise PermissionDeniedError(
            "missing or wrong CSRF token: send the page's token in the X-CSRF-Token header"
        )


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
