"""One HTTP status per error of `assistant.errors`; a JSON body with a `detail` to act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant import errors

STATUS: list[tuple[type[errors.AssistantError], int]] = [
    (errors.MessageTooLongError, 413),
    (errors.InvalidInputError, 422),
    (errors.NotFoundError, 404),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.IndexNotReadyError, 503),
    (errors.ConfigurationError, 503),
]


def status_for(error: errors.AssistantError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 400)


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.AssistantError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, errors.AuthenticationError) else None
        return JSONResponse({"detail": str(error)}, status_code=status_for(error), headers=headers)

    app.add_exception_handler(errors.AssistantError, handle)
