"""Console sessions without a browser: a session is the key it was opened with, ends after the
idle timeout, at once when the key is revoked, and on sign-out; the cookie's token is never
stored (its hash is)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from issuer.api.auth import authenticate_key, create_key, revoke_key
from issuer.console import sessions
from issuer.models import ConsoleSession


@pytest.fixture
def db(migrated_db: Session) -> Session:
    return migrated_db


def opened(db: Session, name: str = "ops", role: str = "operator") -> tuple[str, str, str]:
    row, clear = create_key(db, name, role)
    token, csrf = sessions.open_session(db, authenticate_key(db, clear))
    db.commit()
    return row.id, token, csrf


def test_a_session_is_its_key_and_stores_only_the_token_hash(db):
    key_id, token, csrf = opened(db)
    found = sessions.resume(db, token, 900)
    assert isinstance(found, sessions.Active)
    assert found.principal.key_id == key_id and found.principal.role == "operator"
    assert found.csrf == csrf
    stored = db.scalars(sqlalchemy.select(ConsoleSession)).all()
    assert [s.id for s in stored] == [sessions.token_hash(token)] and token not in stored[0].id
    assert sessions.resume(db, token + "x", 900) == sessions.Ended("ended")
    assert sessions.resume(db, None, 900) == sessions.Ended("none")
    assert sessions.resume(db, "x" * 500, 900) == sessions.Ended("none")


def test_an_idle_session_ends_and_a_busy_one_does_not(db):
    _, token, _ = opened(db)
    row = db.get(ConsoleSession, sessions.token_hash(token))
    row.last_seen_at = sessions.utcnow() - dt.timedelta(seconds=899)
    db.commit()
    assert isinstance(sessions.resume(db, token, 900), sessions.Active)   # and touched
    db.commit()
    row = db.get(ConsoleSession, sessions.token_hash(token))
    row.last_seen_at = sessions.utcnow() - dt.timedelta(seconds=901)
    db.commit()
    assert sessions.resume(db, token, 900) == sessions.Ended("idle")
    db.commit()
    assert db.get(ConsoleSession, sessions.token_hash(token)) is None   # deleted


def test_a_revoked_key_ends_its_sessions_at_once(db):
    key_id, token, _ = opened(db)
    _, other, _ = opened(db, "admin", "admin")
    _, admin_token, _ = opened(db, "admin2", "admin")
    admin = sessions.resume(db, admin_token, 900)
    assert isinstance(admin, sessions.Active)
    revoke_key(db, key_id, admin.principal)
    db.commit()
    assert sessions.resume(db, token, 900) == sessions.Ended("revoked")   # and deleted
    db.commit()
    assert sessions.resume(db, token, 900) == sessions.Ended("ended")
    assert isinstance(sessions.resume(db, other, 900), sessions.Active)   # others go on


def test_sign_out_ends_the_session(db):
    _, token, _ = opened(db)
    sessions.close(db, token)
    db.commit()
    assert sessions.resume(db, token, 900) == sessions.Ended("ended")


def test_tokens_compare_in_constant_time_and_never_equal_when_missing():
    assert sessions.same("abc", "abc")
    assert not sessions.same("abc", "abd")
    assert not sessions.same(None, None) and not sessions.same("", "")
