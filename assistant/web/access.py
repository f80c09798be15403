"""Who is on a page or sends a fragment request: the web session cookie, checked here.

Pages without a valid session redirect to the sign-in page (saying when it expired);
fragment requests (htmx) get a 401 and an `HX-Redirect` there. Every state-changing UI
request must carry the session's CSRF token. In local mode (no keys file) there is no
sign-in: a page hands out a session without a key, so the CSRF check still applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from assistant.api.deps import check_csrf, get_services, get_signer
from assistant.principal import Principal
from assistant.session_cookie import COOKIE, CSRF_HEADER, SAFE_METHODS, SessionSigner, WebSession
from assistant.web.prefix import local, root


class SignInRequired(Exception):
    def __init__(self, target: str, expired: bool, fragment: bool) -> None:
        super().__init__("sign in")
        self.target = target
        self.expired = expired
        self.fragment = fragment


@dataclass(frozen=True)
class Visitor:
    principal: Principal
    session: WebSession
    cookie: str | None = None  # a new session cookie to set (local mode, first visit)
    keyed: bool = True  # False in local mode: nobody signs in or out

    def keep(self, response: Response, signer: SessionSigner) -> Response:
        if self.cookie is not None:
            set_session_cookie(response, self.cookie, signer)
        return response


def signer_of(request: Request) -> SessionSigner:
    signer = get_signer(request)
    assert signer is not None, "create_app sets app.state.sessions"
    return signer


def set_session_cookie(response: Response, value: str, signer: SessionSigner) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(signer.max_age),
        httponly=True,
        samesite="strict",
        secure=signer.secure,
        path="/",
    )


def sign_in_url(target: str, expired: bool) -> str:
    url = f"{root()}/sign-in?next={quote(target, safe='/')}"
    return url + "&expired=1" if expired else url


def visitor(request: Request, *, fragment: bool = False) -> Visitor:
    """The visitor of a page (`fragment` False) or of an htmx request; SignInRequired when
    a keys file is set and the request has no valid session."""
    signer = signer_of(request)
    keys = get_services(request).api_keys
    cookie = request.cookies.get(COOKIE)
    session = signer.read(cookie)
    if keys is None:
        if session is None:
            if fragment:
                raise SignInRequired("/", False, fragment)  # reload the page for a session
            value, session = signer.issue(None)
            return Visitor(Principal(), session, value, keyed=False)
        principal = Principal()
    else:
        principal_found = None
        if session is not None and session.key_digest is not None:
            principal_found = keys.by_digest(session.key_digest)
        if session is None or principal_found is None:
            target = request.headers.get("hx-current-url", "") if fragment else ""
            path = _local_path(target) or _local_path(str(request.url.path)) or root() + "/"
            raise SignInRequired(path, signer.expired(cookie), fragment)
        principal = principal_found
    if request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER))
    return Visitor(principal, session, keyed=keys is not None)


def _local_path(url: str) -> str | None:
    """The path (and query) of a same-site URL, never another origin."""
    if not url:
        return None
    if "://" in url:
        url = "/" + url.split("://", 1)[1].partition("/")[2]
    if not url.startswith("/") or url.startswith("//"):
        return None
    return url


def safe_next(target: str | None) -> str:
    path = _local_path(target or "")
    return path if path and not local(path).startswith("/sign-") else root() + "/"


def redirect_to_sign_in(error: SignInRequired) -> Response:
    url = sign_in_url(error.target, error.expired)
    if error.fragment:
        return Response("sign in again", status_code=401, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
