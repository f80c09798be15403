"""The path prefix the UI is served under, so every URL of a page, fragment and redirect is
built from the request's own `root_path`:

- behind a proxy that strips the prefix: `uvicorn --root-path /assistant` sets it;
- behind one that passes it on (or none): `ASSISTANT_ROOT_PATH=/assistant`, and `RootPath`
  sets the `root_path` of each request whose path starts with it (the routes match the rest;
  a request without the prefix is served at the top as before).

`root()` is the prefix of the request being answered (a context variable set per request,
seen by its worker threads and stream tasks); templates call it for every link.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

_ROOT: ContextVar[str] = ContextVar("web_root", default="")


def root() -> str:
    """The prefix of the current request ("" at the top), without a trailing slash."""
    return _ROOT.get()


def local(path: str) -> str:
    """`path` without the current prefix (what the routes match)."""
    prefix = root()
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix) :] or "/"
    return path


class RootPath:
    def __init__(self, app: ASGIApp, prefix: str = "") -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path = str(scope.get("path", ""))
            prefix = self.prefix
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                scope = {
                    **scope,
                    "root_path": prefix,
                    "path": path if path != prefix else path + "/",
                }
            _ROOT.set(str(scope.get("root_path") or "").rstrip("/"))
        await self.app(scope, receive, send)
