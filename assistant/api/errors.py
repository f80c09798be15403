"""One HTTP status per error of `assistant.errors`, and one error body for every 4xx/5xx.

Every error the API sends is an `ErrorBody`: `detail`, a message saying what to change, and
`errors`, one entry per invalid field for a 422 from validation (empty otherwise). The
OpenAPI spec declares it for each status in `RESPONSES`. Text from the request can hold
characters UTF-8 cannot encode (lone surrogates); it is escaped, so rendering an error never
fails.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
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


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='where: ["body", "k"], ["query", "days"], ...')
    msg: str = Field(description="what is wrong with the value")
    type: str = Field(description="a stable code, e.g. int_type, missing, extra_forbidden")


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str = Field(description="what went wrong and what to change")
    errors: list[FieldError] = Field(
        default_factory=list, description="one per invalid field (422 from validation)"
    )


_DESCRIPTIONS = {
    401: "no or unknown API key (when a keys file is configured)",
    403: "the caller may not see this account or use this operation",
    404: "a named thing (account, conversation, draft, ...) does not exist",
    413: "the request body, a message or the history is over its limit",
    422: "a value cannot be used; `errors` names each invalid field",
    503: "the index or a component is not ready or not configured",
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _DESCRIPTIONS.items()
}


def status_for(error: errors.AssistantError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 400)


def printable(text: str) -> str:
    """`text` with anything UTF-8 cannot encode (lone surrogates) as a `\\udxxx` escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_response(
    status: int,
    detail: str,
    field_errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(detail=printable(detail), errors=field_errors or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def field_errors(error: RequestValidationError) -> list[FieldError]:
    """Pydantic's errors without the rejected input (it may not even be encodable)."""
    found = []
    for item in error.errors():
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        loc = [part if isinstance(part, int) else printable(str(part)) for part in item["loc"]]
        found.append(FieldError(loc=loc, msg=printable(message), type=str(item["type"])))
    return found


def summary(found: list[FieldError]) -> str:
    """`body.k: Input should be a valid integer; body.query: Field required`."""
    parts = [f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in found]
    return "; ".join(parts) or "invalid request"


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI spec documents for `path` (the `Allow` header of a 405).

    Starlette names only the first route whose path matches. This takes the documented
    operations whose path template matches and whose path parameters' `enum` and `pattern`
    accept the values, from the most specific templates (most literal characters); when no
    operation accepts them, every operation of the most specific matching templates.
    """
    accepted: dict[int, set[str]] = {}
    matched: dict[int, set[str]] = {}
    for template, item in app.openapi().get("paths", {}).items():
        names = re.findall(r"\{([^/]+?)\}", template)
        match = re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(template)), path)
        if match is None:
            continue
        values = {name: unquote(value) for name, value in zip(names, match.groups(), strict=True)}
        literal = len(re.sub(r"\{[^/]+?\}", "", template))
        matched.setdefault(literal, set()).update(item)
        for method, operation in item.items():
            if _accepts(operation, values):
                accepted.setdefault(literal, set()).add(method)
    best = accepted or matched
    methods = {m.upper() for m in best[max(best)]} if best else set()
    return sorted(methods | ({"HEAD"} if "GET" in methods else set()))


def _accepts(operation: dict[str, Any], values: dict[str, str]) -> bool:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path" or parameter.get("name") not in values:
            continue
        value, schema = values[parameter["name"]], parameter.get("schema", {})
        if "enum" in schema and value not in schema["enum"]:
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    return True


def install_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.AssistantError)
        headers = (
            {"WWW-Authenticate": "Bearer"}
            if isinstance(error, errors.AuthenticationError)
            else None
        )
        return error_response(status_for(error), str(error), headers=headers)

    async def handle_validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        found = field_errors(error)
        if any(e.type == "json_invalid" for e in found):
            return error_response(422, "request body is not valid JSON (send UTF-8 JSON)", found)
        return error_response(422, summary(found), found)

    async def handle_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # a body that is not even decodable is malformed JSON like any other: 422
            return error_response(422, "request body is not valid JSON (send UTF-8 encoded JSON)")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        return error_response(error.status_code, str(error.detail), headers=headers or None)

    app.add_exception_handler(errors.AssistantError, handle)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(HTTPException, handle_http)
