"""One error format for both services: RFC 9457 problem details with a stable ``code``.

A service raises a :class:`ServiceError` (or a subclass) before it changes anything;
:func:`install` turns those, request validation errors, unknown routes and anything unexpected
into ``application/problem+json`` answers whose ``type`` is the service's prefix + code.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger("servicekit")


class ServiceError(Exception):
    """A refusal the caller can act on: HTTP status, stable code, human detail, extra fields."""

    def __init__(self, status: int, code: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.extra = status, code, detail, extra
        self.headers = headers


#: Prefixes whose problems repeat ``detail`` as ``message`` (Alpaca's error field, which its SDK
#: reads): the broker registers its own in :func:`install`.
_WITH_MESSAGE: set[str] = set()


def problem(type_prefix: str, status: int, code: str, detail: str,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": type_prefix + code, "title": code.replace("_", " "), "status": status,
            "code": code, "detail": detail, **extra}
    if type_prefix in _WITH_MESSAGE:
        body["message"] = detail
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's routes serve at the request's path (each route is asked whether
    it would fully match the path with one of its own methods; included routers are walked)."""
    methods: set[str] = set()

    def walk(routes: Any, path: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI's wrapper of an included router
                prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
                if path.startswith(prefix):
                    walk(inner.routes, path[len(prefix):] or "/")
                continue
            served = getattr(route, "methods", None)
            if not served:
                continue
            # a clean scope: the request's own carries the routing context of its match
            probe = {"type": "http", "path": path, "root_path": "", "headers": [],
                     "method": next(iter(served))}
            if route.matches(probe)[0] == Match.FULL:
                methods.update(served)

    walk(request.app.router.routes, request.scope.get("path", ""))
    return sorted(methods)


def install(app: FastAPI, type_prefix: str, *, message: bool = False) -> None:
    """Answer every refusal as a problem under ``type_prefix``; ``message``: repeat the detail
    as ``message`` too (the broker: Alpaca's clients read ``message``)."""
    if message:
        _WITH_MESSAGE.add(type_prefix)
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return problem(type_prefix, exc.status, exc.code, exc.detail, headers=exc.headers,
                       **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request", "type": None}
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        # a field validator that names its own code (``invalid_qty``...) gives it to the caller
        code = first["type"] if str(first["type"]).startswith("invalid_") else "invalid_request"
        return problem(type_prefix, 422, code, f"{where}: {first['msg']}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # every method some route serves at this path, not only the first route's
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(type_prefix, exc.status_code, code, str(exc.detail),
                       headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:  # noqa: ARG001
        # the details (SQL text, library internals) go to the log under a correlation id;
        # the caller gets the id and nothing else
        correlation = uuid.uuid4().hex
        log.exception("unexpected error (correlation id %s)", correlation)
        return problem(type_prefix, 500, "internal_error",
                       f"an unexpected error; quote correlation id {correlation} to an operator",
                       correlation_id=correlation)
