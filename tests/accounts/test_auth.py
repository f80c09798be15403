"""API keys file: loading, validation, and mapping a bearer token to a principal."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.auth import load_keys
from assistant.errors import AuthenticationError, ConfigurationError
from assistant.principal import Principal
from assistant.services import build_services
from ingest.embedding import HashingEmbedder
from tests.accounts.keys import ADMIN_KEY, SELLER_KEY, write_keys
from tests.conftest import make_settings


def test_keys_map_to_principals(tmp_path: Path) -> None:
    ring = load_keys(write_keys(tmp_path / "keys.yaml"))
    assert len(ring) == 3
    assert ring.principal(f"Bearer {ADMIN_KEY}") == Principal("ada", "admin", None)
    seller = ring.principal(f"bearer  {SELLER_KEY} ")
    assert seller == Principal("sam", "seller", frozenset({"ACC-002", "ACC-005"}))
    assert seller.can_see("acc-005") and not seller.can_see("ACC-001")


def test_a_bare_list_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"- {{key: {SELLER_KEY}, user: sam, role: csm, accounts: [ACC-001]}}\n")
    assert load_keys(path).principal(f"Bearer {SELLER_KEY}").role == "csm"


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", f"Token {ADMIN_KEY}", "Bearer not-a-known-key-at-all"]
)
def test_bad_headers_are_authentication_errors(tmp_path: Path, header: str | None) -> None:
    ring = load_keys(write_keys(tmp_path / "keys.yaml"))
    with pytest.raises(AuthenticationError):
        ring.principal(header)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("keys: [{key: short, user: u, role: admin, accounts: '*'}]", "at least 16"),
        ("keys: [{key: 0123456789abcdefXYZ, user: u, role: boss, accounts: '*'}]", "role"),
        (
            "keys: [{key: 0123456789abcdefXYZ, user: u, role: csm, accounts: [Northwind]}]",
            "accounts",
        ),
        ("keys: [{key: 0123456789abcdefXYZ, user: u, role: csm, accounts: all}]", "accounts"),
        ("keys: [{key: 0123456789abcdefXYZ, role: csm, accounts: '*'}]", "user is missing"),
        ("keys: []", "lists no keys"),
        (
            "keys: [{key: 0123456789abcdefXYZ, user: a, role: csm, accounts: '*'},"
            " {key: 0123456789abcdefXYZ, user: b, role: csm, accounts: '*'}]",
            "listed twice",
        ),
        ("keys: [unclosed", "cannot read"),
    ],
)
def test_invalid_keys_files_fail_at_start(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=fragment) as caught:
        load_keys(path)
    assert "0123456789abcdefXYZ" not in str(caught.value) and "short" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        build_services(make_settings(tmp_path / "data", api_keys_file=path), HashingEmbedder())


def test_missing_keys_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_keys(tmp_path / "nope.yaml")
