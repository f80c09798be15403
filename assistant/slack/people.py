"""Who asks in Slack, and where: Slack users to principals through the keys file, and
whether a channel is shared with another organisation (Slack Connect) or the asker a guest.

`users.info` (the profile email, guest flags) and `conversations.info` (the shared flags) are
asked only when needed and cached for `slack_lookup_cache_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from assistant.auth import KeyRing
from assistant.principal import Principal

NO_ACCOUNTS = frozenset[str]()


@dataclass(frozen=True)
class SlackUser:
    id: str
    email: str | None = None
    guest: bool = False  # a multi- or single-channel guest, or a user of another organisation


class _Cache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._values: dict[str, tuple[float, Any]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        now = self.clock()
        found = self._values.get(key)
        if found is not None and now - found[0] < self.seconds:
            return found[1]
        value = await load()
        self._values[key] = (now, value)
        return value


class Directory:
    """Principals of Slack users and the sharing of channels."""

    def __init__(self, keys: KeyRing | None, cache_seconds: float = 600.0) -> None:
        self.keys = keys
        self._users = _Cache(cache_seconds)
        self._channels = _Cache(cache_seconds)

    async def user(self, client: AsyncWebClient, user_id: str) -> SlackUser:
        async def load() -> SlackUser:
            response = await client.users_info(user=user_id)
            info: dict[str, Any] = response.get("user") or {}
            email = (info.get("profile") or {}).get("email")
            guest = bool(
                info.get("is_restricted")
                or info.get("is_ultra_restricted")
                or info.get("is_stranger")
            )
            return SlackUser(user_id, str(email) if email else None, guest)

        found: SlackUser = await self._users.get(user_id, load)
        return found

    async def principal(self, client: AsyncWebClient, user_id: str) -> Principal | None:
        """The asker's principal, by Slack user id, else by the profile email (users.info);
        None for a user the keys file does not list (or when there is no keys file: the bot
        never answers with the local admin's access)."""
        if self.keys is None:
            return None
        found = self.keys.slack_principal(user_id)
        if found is None and self.keys.lists_emails:
            person = await self.user(client, user_id)
            found = self.keys.slack_principal(user_id, person.email)
        return found

    async def shared(self, client: AsyncWebClient, channel: str, body_flag: bool) -> bool:
        """Whether the channel is shared with another organisation (or about to be)."""
        if body_flag:
            return True

        async def load() -> bool:
            response = await client.conversations_info(channel=channel)
            info: dict[str, Any] = response.get("channel") or {}
            return bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))

        flag: bool = await self._channels.get(channel, load)
        return flag


def knowledge_only(principal: Principal) -> Principal:
    """The same person seeing no account: tools refuse every account and retrieval keeps
    only knowledge not tagged with one (the fail-closed rule of the retrieval filter)."""
    role = "seller" if principal.role == "admin" else principal.role
    return Principal(user=principal.user, role=role, accounts=NO_ACCOUNTS, name=None)
