"""The Jinja environment of the web UI (autoescaped: text is never markup unless a view
marked it safe after sanitising it)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from assistant.web.prefix import root

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset"] = asset
    env.globals["root"] = root
    return env


def asset(name: str) -> str:
    """The URL of a static file (under the request's prefix), with a content hash so a new
    release is never stale."""
    return root() + _asset(name)


@cache
def _asset(name: str) -> str:
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def fragment(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(fragment(name, **context), status_code=status_code)
