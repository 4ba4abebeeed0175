"""A console form's write: the REST API's own idempotent write (:class:`issuer.api.context.
WriteCtx`), with the form's fields as the body and the idempotency key the form was rendered
with, so a double submit (two clicks, a reload after a POST) does one thing and gets the
first answer again; a refusal is the service's own error, its code and its words."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from issuer.api.context import WriteCtx
from issuer.errors import IssuerError
from issuer.operators import Principal
from issuer.service import Issuer

M = TypeVar("M", bound=BaseModel)
#: A form body larger than this is refused (the largest real form is a few hundred bytes).
MAX_FORM = 16 * 1024


def new_key() -> str:
    """The idempotency key a form is rendered with (a hidden field)."""
    return str(uuid.uuid4())


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as {name: last value} (the guard in front
    has bounded it and refused NUL characters)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise IssuerError(413, "body_too_large", f"a form is at most {MAX_FORM} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise IssuerError(400, "invalid_form", "the form is not UTF-8 text") from None
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def parse(schema: type[M], fields: dict[str, str]) -> M:
    """The form's fields read by the REST API's own request schema (its limits, its codes): a
    field wrong by that schema is a 422 with the code the API gives it."""
    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "form"
        kind = str(first.get("type", ""))
        raise IssuerError(422, kind if kind.startswith("invalid_") else "invalid_request",
                          f"{where}: {first.get('msg', 'invalid')}") from None


@dataclass(frozen=True)
class Outcome:
    """What a form's write answered: its status and body, or the refusal (code and words)."""

    status: int
    body: Any
    replayed: bool = False
    error: IssuerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status < 400


def write(issuer: Issuer, request: Request, principal: Principal, role: str, form: dict[str, str],
          action: Callable[[Session, Principal], tuple[int, Any]]) -> Outcome:
    """Run ``action`` once per (form idempotency key, API key) in one transaction, as the REST
    API runs it; the fields other than the CSRF token are what a replay must match."""
    key = form.get("idempotency_key", "").strip()
    if not key or len(key) > 100:
        return Outcome(400, None, error=IssuerError(
            400, "idempotency_key_required", "the form has no idempotency key: reload the page"))
    fields = {k: v for k, v in form.items() if k not in ("csrf", "idempotency_key")}
    digest = hashlib.sha256(
        f"{request.method} {request.url.path}\n".encode()
        + json.dumps(fields, sort_keys=True).encode()).hexdigest()
    request.state.principal = principal
    ctx = WriteCtx(issuer, request, role, f"console:{key}", digest)
    try:
        response = ctx.run(action)
    except IssuerError as refused:
        return Outcome(refused.status, None, error=refused)
    body = json.loads(bytes(response.body)) if response.body else None
    return Outcome(response.status_code, body,
                   replayed=response.headers.get("Idempotent-Replayed") == "true")
