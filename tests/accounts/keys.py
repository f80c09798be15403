"""API keys used by the API and leak tests."""

from __future__ import annotations

from pathlib import Path

import yaml

ADMIN_KEY = "admin-key-0123456789abcdef"
SELLER_KEY = "seller-key-0123456789abcdef"  # ACC-002 and ACC-005
CSM_KEY = "csm-key-0123456789abcdefgh"  # ACC-002


def write_keys(path: Path, extra: list[dict[str, object]] | None = None) -> Path:
    entries: list[dict[str, object]] = [
        {"key": ADMIN_KEY, "user": "ada", "role": "admin", "accounts": "*"},
        {"key": SELLER_KEY, "user": "sam", "role": "seller", "accounts": ["ACC-002", "acc-005"]},
        {"key": CSM_KEY, "user": "cleo", "role": "csm", "accounts": ["ACC-002"]},
        *(extra or []),
    ]
    path.write_text(yaml.safe_dump({"keys": entries}), encoding="utf-8")
    return path


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
