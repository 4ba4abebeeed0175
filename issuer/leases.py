"""Who works on what when several workers run: claims on rows and tasks, and the wake-up call.

On PostgreSQL every worker process holds one connection of its own (autocommit) for its
claims: ``pg_try_advisory_lock`` on a 64-bit key derived from the claim's name (``creation:<id>``,
``batch:creations:AAPL``, ``indexer``...). A claim another worker holds is skipped, never waited
for. Session-level advisory locks, not ``SELECT ... FOR UPDATE SKIP LOCKED``: a lifecycle step
commits in the middle (the outbox persists a signed transaction before sending it) and a row
lock would end at that commit, letting a second worker into the step. An advisory lock lasts
until the worker releases it or its connection closes (a crashed worker's claims go with it).

Nonces stay single-writer by a transaction-scoped advisory lock on the signer (:func:`nonce_lock`):
a worker assigns the next nonce and stores the signed transaction holding it, so the next
worker to assign one for that signer waits for the commit and sees the nonce taken.

SQLite is the one-process default: the first worker process takes an exclusive file lock next
to the database, and a second one is refused with a clear error.

:func:`notify` tells the workers to run the tokenization network's steps now (an ITN mint was
confirmed): on PostgreSQL a ``NOTIFY`` every worker process listens for (a process's own
worker thread also has an event).
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

CHANNEL = "issuer_wake"


class WorkerRefused(RuntimeError):
    """A second worker process on a SQLite database."""


def lock_key(name: str) -> int:
    """The signed 64-bit advisory lock key of ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                          signed=True)


def is_postgres(engine: Any) -> bool:
    return engine.dialect.name == "postgresql"


class Claims:
    """One worker process's claims (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = is_postgres(engine)
        #: Advisory locks are shared by every schema of a database: a claim's key names the
        #: issuer's own (its URL, search_path included), so two issuers in one database (or
        #: two test workers, each in a schema of its own) never skip each other's work.
        self.namespace = engine.url.render_as_string(hide_password=True)
        self._conn: Any = None
        self._guard = threading.Lock()
        self._file: IO[bytes] | None = None
        #: Claims found held by another worker (a figure for the metrics).
        self.skipped = 0

    def start(self) -> None:
        """Open the claim connection (PostgreSQL), or take the one-worker file lock (SQLite)."""
        if self.postgres:
            self._connect()
            return
        path = self.engine.url.database
        if not path or path == ":memory:":
            return
        self._file = Path(f"{path}.worker-lock").open("wb")  # noqa: SIM115 (held open: the lock)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            raise WorkerRefused(
                f"another worker already runs on the SQLite database {path}: SQLite takes one "
                "worker process; several workers need PostgreSQL (ISSUER_DATABASE_URL)") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _connect(self) -> Any:
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f"LISTEN {CHANNEL}"))
            self._conn = conn
        return self._conn

    def _run(self, sql: str, key: int) -> Any:
        with self._guard:
            try:
                return self._connect().execute(text(sql), {"k": key}).scalar()
            except Exception:
                self.close()   # a lost connection has lost its locks too: start afresh
                raise

    @contextmanager
    def claim(self, name: str) -> Iterator[bool]:
        """True while this worker holds ``name``; False when another worker does."""
        if not self.postgres:
            yield True
            return
        key = lock_key(f"{self.namespace}|{name}")
        held = bool(self._run("SELECT pg_try_advisory_lock(:k)", key))
        if not held:
            self.skipped += 1
        try:
            yield held
        finally:
            if held and self._conn is not None:
                self._run("SELECT pg_advisory_unlock(:k)", key)

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a wake-up (this process's event, or a NOTIFY from
        any process on PostgreSQL); True when woken."""
        if not self.postgres:
            return event.wait(timeout)
        if event.is_set():
            return True
        with self._guard:
            raw = self._connect().connection.driver_connection
            woken = any(True for _ in raw.notifies(timeout=timeout, stop_after=1))
        return woken or event.is_set()


def nonce_lock(db: Session, signer: str) -> None:
    """Hold the signer's nonce until ``db``'s transaction ends (PostgreSQL; SQLite has one
    writer at a time already)."""
    if is_postgres(db.get_bind()):
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                   {"k": lock_key(f"nonce:{signer.lower()}")})


def notify(db: Session) -> None:
    """Wake every worker process (PostgreSQL) when ``db`` commits; a process's own worker is
    woken by its event."""
    if is_postgres(db.get_bind()):
        db.execute(text(f"NOTIFY {CHANNEL}"))   # delivered when ``db`` commits
