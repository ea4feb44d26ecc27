"""One JSON error shape for every API failure: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm_app.api.openapi import allowed_methods
from crm_app.services.errors import DomainError, Throttled

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid",
    429: "throttled",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Build the JSON error response."""
    body: dict[str, Any] = {"code": code, "message": message}
    body.update({k: v for k, v in extra.items() if v not in (None, "")})
    return JSONResponse({"error": body}, status_code=status, headers=headers)


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    extra = {k: v for k, v in exc.details.items() if isinstance(v, str | int)}
    return error_response(exc.status, exc.code, exc.message, headers, **extra)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Allow names every method of the path, not one route's
        allowed = ", ".join(allowed_methods(request.app, request.scope))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allowed})
        headers["Allow"] = allowed
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    said = str(first.get("msg") or "invalid input")
    message = f"{where}: {said}" if where else said  # a whole-body rule names its own field
    return error_response(422, "invalid", message, field=where)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, HTTP errors and validation errors to the JSON shape."""
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
