"""Who asks, and which accounts they may see. Every path (tools, REST, retrieval) checks here."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.errors import PermissionDeniedError

ROLES = ("seller", "csm", "admin")


@dataclass(frozen=True)
class Principal:
    """Who asks. `accounts` None means every account (local single-user mode, admins)."""

    user: str = "local"
    role: str = "admin"
    accounts: frozenset[str] | None = None
    name: str | None = None  # the person's name ("my accounts" are those that list it)

    def can_see(self, account_id: str) -> bool:
        return self.accounts is None or account_id.upper() in self.accounts

    def require(self, account_id: str) -> str:
        """The normalised id, or PermissionDeniedError when the account is out of scope.

        Scope is checked before existence, so a caller cannot probe which ids exist.
        """
        normalised = account_id.strip().upper()
        if not self.can_see(normalised):
            raise PermissionDeniedError(f"you do not have access to account {normalised}")
        return normalised

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise PermissionDeniedError(
                f"role '{self.role}' may not do this; it needs one of: {', '.join(roles)}"
            )
