"""Typed dependency aliases for the routes."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from assistant.config import Settings
from assistant.engine.chat import Principal
from assistant.services import Services


def get_services(request: Request) -> Services:
    return cast(Services, request.app.state.services)


def get_app_settings(request: Request) -> Settings:
    return get_services(request).settings


def get_principal() -> Principal:
    """Single-user local mode: the caller may see everything."""
    return Principal()


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
