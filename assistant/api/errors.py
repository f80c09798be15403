"""One HTTP status per error of `assistant.errors`; a JSON body with a `detail` to act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from assistant import errors

STATUS: list[tuple[type[errors.AssistantError], int]] = [
    (errors.MessageTooLongError, 413),
    (errors.InvalidInputError, 422),
    (errors.NotFoundError, 404),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.IndexNotReadyError, 503),
    (errors.OverloadedError, 503),
    (errors.ConfigurationError, 503),
]


def status_for(error: errors.AssistantError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 400)


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.AssistantError)
        headers = (
            {"WWW-Authenticate": "Bearer"}
            if isinstance(error, errors.AuthenticationError)
            else None
        )
        return JSONResponse({"detail": str(error)}, status_code=status_for(error), headers=headers)

    async def handle_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # a body that is not even decodable is malformed JSON like any other: 422
            return JSONResponse(
                {"detail": "request body is not valid JSON (send UTF-8 encoded JSON)"},
                status_code=422,
            )
        return await http_exception_handler(request, error)

    app.add_exception_handler(errors.AssistantError, handle)
    app.add_exception_handler(HTTPException, handle_http)
