"""API keys (stored as SHA-256 hashes) with ranked roles: viewer < operator < compliance < admin.

A key is sent in the ``X-API-Key`` header. Each endpoint names the least role it needs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import utcnow
from issuer.errors import IssuerError, conflict, invalid
from issuer.models import ApiKey

ROLES = ("viewer", "operator", "compliance", "admin")


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Session, name: str, role: str, key: str | None = None) -> tuple[ApiKey, str]:
    """Store a new key; the clear key is returned once and never stored."""
    if role not in ROLES:
        raise invalid("invalid_role", f"role is one of {', '.join(ROLES)}")
    if db.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
        raise conflict("api_key_exists", f"an API key named {name!r} exists")
    clear = key or "isk_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(clear), role=role, active=True,
                 created_at=utcnow())
    db.add(row)
    db.flush()
    return row, clear


def authenticate(db: Session, request: Request) -> Principal:
    clear = request.headers.get("X-API-Key")
    if not clear:
        raise IssuerError(401, "unauthorized", "send an API key in the X-API-Key header")
    row = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(clear)))
    if row is None or not row.active:
        raise IssuerError(401, "unauthorized", "unknown or revoked API key")
    return Principal(row.id, row.name, row.role)


def require(principal: Principal, role: str) -> None:
    if not principal.can(role):
        raise IssuerError(403, "forbidden",
                          f"this needs the {role} role; the key {principal.name!r} is "
                          f"{principal.role}")
