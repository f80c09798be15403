"""`mount(app)`: the web UI's pages, fragments and static files on the API's app, and the
security headers of its responses (a Content-Security-Policy that allows scripts, styles
and images from this origin only: a remote image in an answer is never fetched)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.web import fragments, pages
from assistant.web.access import SignInRequired, redirect_to_sign_in
from assistant.web.fragments import FragmentRefused, problem
from assistant.web.prefix import RootPath, local
from assistant.web.templating import STATIC

CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)  # inline styles: the SVG charts carry theirs; scripts and images stay same-origin
_UI_PREFIXES = ("/ui/", "/static/", "/c/", "/drafts", "/admin", "/sign-in", "/sign-out")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds `HEADERS` to the responses of the UI's paths (not /docs, which loads its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = local(str(scope.get("path", ""))) if scope["type"] == "http" else ""
        if not path or not (path == "/" or path.startswith(_UI_PREFIXES)):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _sign_in_required(_: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return redirect_to_sign_in(error)


async def _fragment_refused(_: Request, error: Exception) -> Response:
    assert isinstance(error, FragmentRefused)
    return problem(error.error)


def mount(app: FastAPI, root_path: str = "") -> None:
    """The UI on `app`; `root_path` (ASSISTANT_ROOT_PATH): the prefix it is served under."""
    app.include_router(pages.router)
    app.include_router(fragments.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(FragmentRefused, _fragment_refused)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RootPath, prefix=root_path)  # outermost: every request knows its root
