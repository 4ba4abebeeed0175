"""One error format for both services: RFC 9457 problem details with a stable ``code``.

A service raises a :class:`ServiceError` (or a subclass) before it changes anything;
:func:`install` turns those, request validation errors, unknown routes and anything unexpected
into ``application/problem+json`` answers whose ``type`` is the service's prefix + code.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("servicekit")


class ServiceError(Exception):
    """A refusal the caller can act on: HTTP status, stable code, human detail, extra fields."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem(type_prefix: str, status: int, code: str, detail: str,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": type_prefix + code, "title": code.replace("_", " "), "status": status,
            "code": code, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def install(app: FastAPI, type_prefix: str) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return problem(type_prefix, exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        return problem(type_prefix, 422, "invalid_request", f"{where}: {first['msg']}",
                       errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error")
        return problem(type_prefix, exc.status_code, code, str(exc.detail),
                       headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem(type_prefix, 500, "internal_error", f"{type(exc).__name__}: {exc}")
