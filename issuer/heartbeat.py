"""Workers' heartbeats: each worker process records its full passes (at most every
:data:`EVERY` seconds, so a fast loop does not write on every pass); the operator console and
``/metrics`` show the age of the newest one, so a stopped worker is seen at a glance."""

from __future__ import annotations

import os
import socket

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.db import utcnow
from issuer.models import WorkerHeartbeat

#: Seconds between two heartbeats of one worker.
EVERY = 5.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(db: Session, worker: str, passes: int, error: str | None) -> None:
    """Record ``worker``'s passes so far and its last error (None: the last pass finished)."""
    row = db.get(WorkerHeartbeat, worker)
    if row is None:
        row = WorkerHeartbeat(worker=worker, passes=passes, last_pass_at=utcnow())
        db.add(row)
    row.passes, row.last_pass_at, row.last_error = passes, utcnow(), error


def latest(db: Session) -> WorkerHeartbeat | None:
    """The newest heartbeat of any worker (None: no worker has run yet)."""
    return db.scalar(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_pass_at.desc())
                     .limit(1))
