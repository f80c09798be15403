"""A keyed server (tests.accounts.keys) over the small corpus and the shipped accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import Served, serve


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server, settings = serve(tmp_path_factory.mktemp("web"), keyed=True)
    with server as live:
        yield Served(live.url, settings)
