"""Per-request plumbing: authentication, one transaction, and idempotent writes.

Every write needs an ``Idempotency-Key`` header. The first answer to (key, API key) is stored in
the same transaction as the write itself; a retry with the same body gets that answer again
(``Idempotent-Replayed: true``) and does nothing; the same key with another body is refused
(409: it conflicts with the request already stored under that key).
A refused write stores nothing, so it can be retried with the same key once fixed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from issuer.api.auth import Principal, authenticate, require
from issuer.db import utcnow
from issuer.errors import IssuerError
from issuer.models import IdempotencyRecord
from issuer.service import Issuer


def issuer_of(request: Request) -> Issuer:
    return request.app.state.issuer


@dataclass
class ReadCtx:
    issuer: Issuer
    db: Session
    principal: Principal


def reader(role: str) -> Callable[[Request], Iterator[ReadCtx]]:
    def dependency(request: Request) -> Iterator[ReadCtx]:
        issuer = issuer_of(request)
        with issuer.session() as db:
            principal = authenticate(db, request)
            require(principal, role)
            yield ReadCtx(issuer, db, principal)

    return dependency


@dataclass
class WriteCtx:
    issuer: Issuer
    request: Request
    role: str
    key: str
    body_hash: str
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Fields added to the first answer only, never stored for a replay (a new key's secret).
    after_commit_body: dict[str, Any] = field(default_factory=dict)

    def run(self, action: Callable[[Session, Principal], tuple[int, Any]]) -> JSONResponse:
        """Run ``action`` in one transaction. When a concurrent request (or the worker) changed
        a row this one read, nothing of this attempt is kept and it runs again on the new state,
        where the decision it makes (often a 409 of its own) is the right one."""
        stale = False
        for _ in range(3):
            try:
                return self._once(action)
            except IntegrityError:
                continue  # a concurrent retry stored its answer first: replay it
            except StaleDataError:
                stale = True
                continue
            except IssuerError:
                # a concurrent request with this same key may have committed between our look
                # at the idempotency table and the refusal its own effect caused (a key name
                # now taken, a creation no longer cancelable): the caller gets that answer
                if (replay := self._stored()) is not None:
                    return replay
                raise
        if stale:
            raise IssuerError(409, "concurrent_update",
                              "the record changed while this request ran; read it and retry")
        raise IssuerError(409, "concurrent_request", "the same request is being processed")

    def _stored(self) -> JSONResponse | None:
        with self.issuer.session() as db:
            principal = authenticate(db, self.request)
            stored = db.get(IdempotencyRecord, (self.key, principal.key_id))
            if stored is None or stored.request_hash != self.body_hash:
                return None
            return JSONResponse(stored.body, stored.status_code,
                                headers={"Idempotent-Replayed": "true"})

    def _once(self, action: Callable[[Session, Principal], tuple[int, Any]]) -> JSONResponse:
        with self.issuer.session() as db:
            principal = authenticate(db, self.request)
            require(principal, self.role)
            stored = db.get(IdempotencyRecord, (self.key, principal.key_id))
            if stored is not None:
                if stored.request_hash != self.body_hash:
                    raise IssuerError(409, "idempotency_key_reused",
                                      "this Idempotency-Key was used for a different request")
                return JSONResponse(stored.body, stored.status_code,
                                    headers={"Idempotent-Replayed": "true"})
            status, body = action(db, principal)
            payload = jsonable_encoder(body)
            db.add(IdempotencyRecord(key=self.key, api_key_id=principal.key_id,
                                     request_hash=self.body_hash, status_code=status,
                                     body=payload, created_at=utcnow()))
            db.flush()
        for hook in self.after_commit:
            hook()
        if self.after_commit_body and isinstance(payload, dict):
            payload = {**payload, **self.after_commit_body}
        return JSONResponse(payload, status)


def writer(role: str) -> Callable[[Request], Any]:
    async def dependency(request: Request) -> WriteCtx:
        # the role first: a key without it gets 403 before the body is read or validated
        # (FastAPI validates the body after the dependencies), so it learns nothing of the body
        checked = getattr(request.state, "principal", None)
        if isinstance(checked, Principal):
            require(checked, role)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise IssuerError(400, "idempotency_key_required",
                              "every write needs an Idempotency-Key header")
        if len(key) > 200:
            raise IssuerError(400, "invalid_idempotency_key", "Idempotency-Key is too long")
        body = await request.body()
        digest = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
        ).hexdigest()
        return WriteCtx(issuer_of(request), request, role, key, digest)

    return dependency
