"""Typed dependency aliases for the routes."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from assistant.config import Settings
from assistant.principal import Principal
from assistant.services import Services


def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


def get_app_settings(request: Request) -> Settings:
    return get_services(request).settings


def get_principal(request: Request) -> Principal:
    """The caller named by `Authorization: Bearer <key>` (401 without a valid key).

    Without an API keys file the service is in single-user local mode: the caller may see
    everything (and `assistant serve` binds to loopback only).
    """
    keys = get_services(request).api_keys
    if keys is None:
        return Principal()
    return keys.principal(request.headers.get("authorization"))


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
