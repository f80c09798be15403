"""The engine tests share the accounts fixtures (shipped exports, playbooks ingested)."""

from tests.accounts.conftest import guided, loaded  # noqa: F401
