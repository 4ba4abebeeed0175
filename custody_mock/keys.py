"""Trading API keys: each account its own key pair, as Alpaca gives them.

A key id looks like Alpaca's (``PK`` and 18 letters or digits) and names one account; the
secret (40 characters) is shown once, when the pair is made, and kept as its SHA-256, so the
broker's database never holds it. A request with ``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY``
acts on that key's account and no other: an account id, which appears in answers, is not a key.
"""

from __future__ import annotations

import hashlib
import secrets
import string

from sqlalchemy import select

from custody_mock import ledger
from custody_mock.context import Ctx
from custody_mock.models import TradingKey

_ALPHABET = string.ascii_uppercase + string.digits


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(ctx: Ctx, account_id: str) -> tuple[TradingKey, str]:
    """A new key pair of ``account_id``; the clear secret is returned once."""
    ledger.account(ctx, account_id)
    key_id = "PK" + "".join(secrets.choice(_ALPHABET) for _ in range(18))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    row = TradingKey(
        key_id=key_id, account_id=account_id, secret_hash=_hash(secret), created_at=ctx.now
    )
    ctx.db.add(row)
    ctx.db.flush()
    return row, secret


def account_of(ctx: Ctx, key_id: str, secret: str) -> str | None:
    """The account a key pair acts on, or None when the pair is unknown or the secret wrong."""
    if len(key_id) > 40 or len(secret) > 200:
        return None
    row = ctx.db.scalar(select(TradingKey).where(TradingKey.key_id == key_id))
    if row is None:
        secrets.compare_digest(_hash(secret), _hash(""))  # the same work either way
        return None
    return row.account_id if secrets.compare_digest(_hash(secret), row.secret_hash) else None
