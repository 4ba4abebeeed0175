"""An OpenAPI document that says what a service does, for both services.

FastAPI derives paths, parameters, bodies and answers from the routes. What it cannot know is
added here once for every operation: the security scheme, the ``application/problem+json``
refusals (with their real body, :mod:`servicekit.problems`) each operation can answer, and the
service's own additions (a required header, parameter formats).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", *WRITES)

#: The problem body every refusal has (RFC 9457 problem details and our stable ``code``).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object",
    "description": "Every refusal (RFC 9457 problem details, `application/problem+json`).",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable and machine-readable."},
        "detail": {"type": "string"},
        "message": {"type": "string", "description": "The broker only: `detail` again, as "
                                                     "Alpaca's error bodies name it."},
        "errors": {"anyOf": [{"type": "array", "items": {"type": "object"}}, {"type": "null"}],
                   "description": "Field errors of a 422."},
        "correlation_id": {"anyOf": [{"type": "string"}, {"type": "null"}],
                           "description": "A 500's reference into the service's log."},
    },
}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}


#: For one operation (method, path): the refusals it can answer, status -> description; None
#: for a public operation (no security, no refusals but a 500).
Refusals = Callable[[str, str], dict[str, str] | None]
#: Changes one operation in place (method, path, operation).
OperationHook = Callable[[str, str, dict[str, Any]], None]


def document(app: FastAPI, *, scheme_name: str, scheme: dict[str, Any], refusals: Refusals,
             internal_error: str, operation_hook: OperationHook | None = None,
             extensions: dict[str, Any] | None = None,
             unauthenticated: Callable[[str, str], bool] | None = None) -> None:
    """Replace ``app.openapi`` with the completed document (built once, then cached).
    ``unauthenticated(method, path)``: an operation that needs no credentials but still
    refuses (documented refusals, no security requirement)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[scheme_name] = scheme
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schema.update(extensions or {})
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method not in METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                if operation_hook is not None:
                    operation_hook(method, path, operation)
                answers = refusals(method, path)
                if answers is None:
                    responses.pop("422", None)
                    responses["500"] = problem_response(internal_error)
                    continue
                if unauthenticated is None or not unauthenticated(method, path):
                    operation["security"] = [{scheme_name: []}]
                else:
                    operation["security"] = []
                for code, description in answers.items():
                    responses[code] = problem_response(description)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
