"""Console sessions: an API key, checked once at sign-in, becomes a random session token in an
HttpOnly, SameSite=Strict cookie (Secure over TLS); the database keeps the token's SHA-256, the
key it stands for and the session's CSRF token.

A session ends on sign-out, after ``ISSUER_CONSOLE_IDLE_TIMEOUT`` seconds without a request,
and at once when its key is revoked (every request looks the key up again, and a revoked key's
session is deleted and its browser told why). Forms carry the session's CSRF token, compared
in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from issuer.db import utcnow
from issuer.models import ApiKey, ConsoleSession
from issuer.operators import Principal

#: The session cookie, and the sign-in form's own CSRF cookie (before any session exists).
COOKIE = "issuer_console"
SIGN_IN_COOKIE = "issuer_console_sign_in"
#: A session's last-seen time is written at most this often (a page view is then a read).
TOUCH_EVERY = dt.timedelta(seconds=15)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two tokens (a missing one is never equal)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


@dataclass(frozen=True)
class Active:
    """A live session: who it is, and the token its forms carry."""

    principal: Principal
    csrf: str


#: Why there is no live session, in words (the sign-in page shows it).
ENDED = {
    "none": "Sign in with your API key.",
    "ended": "Your session has ended. Sign in again.",
    "revoked": "Your API key was revoked: you have been signed out.",
    "idle": "You were signed out after a time without activity.",
    "signed_out": "You have signed out.",
}


@dataclass(frozen=True)
class Ended:
    """No live session; ``code`` is a key of :data:`ENDED`."""

    code: str


def open_session(db: Session, principal: Principal) -> tuple[str, str]:
    """A new session for ``principal``'s key: (cookie token, CSRF token)."""
    token, csrf, now = new_token(), new_token(), utcnow()
    db.add(ConsoleSession(id=token_hash(token), api_key_id=principal.key_id, csrf=csrf,
                          created_at=now, last_seen_at=now))
    return token, csrf


def resume(db: Session, token: str | None, idle_seconds: int) -> Active | Ended:
    """The session of ``token``, if it is live; an idle or revoked one is deleted."""
    if not token or len(token) > 200:
        return Ended("none")
    row = db.get(ConsoleSession, token_hash(token))
    if row is None:
        return Ended("ended")
    key = db.get(ApiKey, row.api_key_id)
    now = utcnow()
    last = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(
        tzinfo=dt.UTC)
    if key is None or not key.active:
        db.delete(row)
        return Ended("revoked")
    if now - last > dt.timedelta(seconds=idle_seconds):
        db.delete(row)
        return Ended("idle")
    if now - last >= TOUCH_EVERY:
        row.last_seen_at = now
    return Active(Principal(key.id, key.name, key.role, key.operator), row.csrf)


def close(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(ConsoleSession).where(ConsoleSession.id == token_hash(token)))
