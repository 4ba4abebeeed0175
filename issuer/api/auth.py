"""API keys (stored as SHA-256 hashes) with ranked roles: viewer < operator < compliance < admin.

A key is sent in the ``X-API-Key`` header. Each endpoint names the least role it needs.

Every key belongs to an *operator*, a named person, and records the key that issued it. Dual
control compares operators, both ways: the checker of a request is never its maker, nor an
operator whose key issued the checker's key, nor one who issued any of the maker's keys,
directly or down a chain of keys (so an admin can neither mint itself, or a made-up person, a key
that approves its own requests, nor approve what a key it issued asks). An operator's name
belongs to one person: nobody else issues a key in it. A revoked key fails at once.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import utcnow
from issuer.errors import IssuerError, conflict, invalid
from issuer.models import ApiKey
from issuer.operators import (  # noqa: F401  (re-exported: the API's names)
    BOOTSTRAP,
    ROLES,
    Principal,
    lineage,
    operator_lineage,
    same_person,
)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Session, name: str, role: str, key: str | None = None, *,
               operator: str | None = None, issued_by: str = BOOTSTRAP,
               issuer: Principal | None = None) -> tuple[ApiKey, str]:
    """Store a new key of ``operator`` (by default an operator named like the key), issued by
    the key ``issued_by``; the clear key is returned once and never stored. When an operator
    (``issuer``) issues it, the name must be theirs or nobody's yet: 409 ``operator_exists``
    for another existing person's name, whose key it would let the issuer act as."""
    if role not in ROLES:
        raise invalid("invalid_role", f"role is one of {', '.join(ROLES)}")
    if db.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise conflict("api_key_exists", f"an API key named {name!r} exists")
    person = operator or name
    if issuer is not None and not same_person(person, issuer.operator):
        taken = next((o for o in db.scalars(select(ApiKey.operator).distinct())
                      if same_person(o, person)), None)
        if taken is not None:
            raise conflict("operator_exists",
                           f"{taken!r} is an existing operator: a key in their name is issued "
                           "by them, never by another operator (a name belongs to one person)")
    clear = key or "isk_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(clear), role=role, active=True,
                 created_at=utcnow(), operator=operator or name, issued_by=issued_by)
    db.add(row)
    db.flush()
    return row, clear


def authenticate(db: Session, request: Request) -> Principal:
    """The caller's key: the one the front door (:class:`issuer.api.guard.RequestGuard`)
    checked before the body was read, or checked now when the app runs without it."""
    checked = getattr(request.state, "principal", None)
    if isinstance(checked, Principal):
        return checked
    return authenticate_key(db, request.headers.get("X-API-Key"))


def authenticate_key(db: Session, clear: str | None) -> Principal:
    if not clear:
        raise IssuerError(401, "unauthorized", "send an API key in the X-API-Key header")
    if len(clear) > 200:
        raise IssuerError(401, "unauthorized", "unknown or revoked API key")
    row = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(clear)))
    if row is None or not row.active:
        raise IssuerError(401, "unauthorized", "unknown or revoked API key")
    return Principal(row.id, row.name, row.role, row.operator)


def revoke_key(db: Session, key_id: str, by: Principal | None = None) -> ApiKey:
    """Revoke a key: the next request made with it is refused, and so is the next page of any
    console session opened with it (:mod:`issuer.console.sessions`). A key cannot revoke
    itself (an admin would lock itself out mid-request; another admin revokes it)."""
    row = db.get(ApiKey, key_id)
    if row is None:
        raise IssuerError(404, "not_found", f"no API key {key_id!r}")
    if by is not None and by.key_id == row.id:
        raise conflict("own_key", "a key cannot revoke itself: use another admin's key")
    if not row.active:
        raise conflict("api_key_revoked", f"API key {row.name!r} is already revoked")
    row.active, row.revoked_at = False, utcnow()
    return row


def require(principal: Principal, role: str) -> None:
    if not principal.can(role):
        raise IssuerError(403, "forbidden",
                          f"this needs the {role} role; the key {principal.name!r} is "
                          f"{principal.role}")
