"""Behind a proxy that strips the prefix (`uvicorn --root-path /assistant`): the pages'
links, static files, forms and redirects carry the prefix the proxy serves them under."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from assistant.api.app import create_app
from assistant.config import Settings
from ingest.embedding import HashingEmbedder
from tests.accounts.keys import ADMIN_KEY
from tests.api.conftest import Served
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def behind_proxy(keyed: Served) -> Iterator[LiveServer]:
    with LiveServer(create_app(keyed.settings, HashingEmbedder()), root_path="/assistant") as live:
        yield live


def test_links_and_redirects_carry_the_root_path(behind_proxy: LiveServer) -> None:
    with httpx.Client(base_url=behind_proxy.url, timeout=30) as client:
        first = client.get("/")  # the proxy took "/assistant" off
        assert first.status_code == 303
        assert first.headers["location"] == "/assistant/sign-in?next=/assistant/"
        signed = client.post("/sign-in", data={"key": ADMIN_KEY, "next": "/assistant/"})
        assert signed.headers["location"] == "/assistant/"
        page = client.get("/").text
        assert client.get("/static/app.css").status_code == 200
    urls = re.findall(r'(?:href|src|action|hx-post|sse-connect)="([^"#]+)"', page)
    assert urls and all(u.startswith("/assistant/") for u in urls), urls
    assert 'data-root="/assistant"' in page
    assert 'href="/assistant/drafts"' in page and "/assistant/static/app.css?v=" in page


@pytest.mark.parametrize("value", ["assistant", "/assistant/", "/a b"])
def test_a_bad_root_path_is_refused_with_the_shape_it_needs(value: str) -> None:
    with pytest.raises(ValidationError, match="root_path"):
        Settings(_env_file=None, root_path=value)  # type: ignore[call-arg]
