"""API keys: a YAML file named by ASSISTANT_API_KEYS_FILE maps each key to a principal.

    keys:                      # or a bare list of entries
      - key: "a-long-random-secret"
        user: dana
        role: seller           # seller | csm | admin
        accounts: [ACC-001, ACC-002]   # or "*" for every account
        name: Dana Reyes       # optional: the person's name as the account data lists it
                               # (CSM, account executive); "my accounts" resolves through it
        slack_users: [U012AB3CD]       # optional (Slack bot): Slack user ids of this person
        emails: [dana@example.com]     # optional (Slack bot): matched to the Slack profile email

Without the file the service runs in single-user local mode (every caller is the local
admin) and `assistant serve` refuses to bind to anything but loopback.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from assistant import yaml_load
from assistant.errors import AuthenticationError, ConfigurationError
from assistant.principal import Principal
from assistant.store.records import describe

AccountIdPattern = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[Aa][Cc][Cc]-\d{3,}$")
]


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=16, description="the bearer token; at least 16 characters")
    user: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    role: Literal["seller", "csm", "admin"]
    accounts: list[AccountIdPattern] | Literal["*"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    # Slack bot (issue 14): who this entry is in Slack
    slack_users: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = []
    emails: list[Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True)]] = []

    def principal(self) -> Principal:
        scope = None if self.accounts == "*" else frozenset(self.accounts)
        return Principal(user=self.user, role=self.role, accounts=scope, name=self.name)


class KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[ApiKey]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class KeyRing:
    """Looks up principals by key; keys are held only as SHA-256 digests."""

    def __init__(self, entries: list[ApiKey]) -> None:
        self._principals: dict[bytes, Principal] = {}
        self._slack_users: dict[str, Principal] = {}  # Slack bot (issue 14)
        self._emails: dict[str, Principal] = {}
        for entry in entries:
            for table, names in (
                (self._slack_users, entry.slack_users),
                (self._emails, entry.emails),
            ):
                for name in names:
                    if name in table and table[name] != entry.principal():
                        raise ConfigurationError(f"Slack user or email '{name}' is listed twice")
                    table[name] = entry.principal()
            digest = _digest(entry.key)
            if digest in self._principals:
                raise ConfigurationError(f"API key of user '{entry.user}' is listed twice")
            self._principals[digest] = entry.principal()

    def __len__(self) -> int:
        return len(self._principals)

    @property
    def lists_emails(self) -> bool:
        """Whether any entry names people by email (then Slack profiles are looked up)."""
        return bool(self._emails)

    def slack_principal(self, slack_user: str, email: str | None = None) -> Principal | None:
        """The principal of a Slack user, by user id or else by profile email; None unmapped."""
        found = self._slack_users.get(slack_user)
        if found is None and email:
            found = self._emails.get(email.strip().lower())
        return found

    def principal(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization: Bearer <key>` header; 401 otherwise."""
        if not authorization:
            raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be 'Bearer <key>'")
        digest = _digest(token.strip())
        for known, principal in self._principals.items():
            if hmac.compare_digest(known, digest):
                return principal
        raise AuthenticationError("invalid API key")

    def by_digest(self, hex_digest: str) -> Principal | None:
        """The principal of the key whose SHA-256 hex digest this is (a web session holds
        the digest, never the key); None when no such key is listed any more."""
        try:
            digest = bytes.fromhex(hex_digest)
        except (ValueError, TypeError):
            return None
        for known, principal in self._principals.items():
            if hmac.compare_digest(known, digest):
                return principal
        return None


def load_keys(path: Path) -> KeyRing:
    """Read and validate the keys file; ConfigurationError names what is wrong."""
    try:
        data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigurationError(f"cannot read API keys file {path}: {error}") from error
    if isinstance(data, list):
        data = {"keys": data}
    try:
        keys = KeysFile.model_validate(data).keys
    except ValidationError as error:
        raise ConfigurationError(
            f"invalid API keys file {path}: {describe(error, values=False)}"
        ) from error
    if not keys:
        raise ConfigurationError(f"API keys file {path} lists no keys")
    return KeyRing(keys)
