"""The audit trail's one writer: every operator action, lifecycle step, halt, export and
deposit is a line of ``audit_log`` written here (who, what, about what, when, and the detail as
JSON, with exact decimals as strings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy.orm import Session

from issuer.db import utcnow
from issuer.models import AuditEntry


def record(db: Session, actor: str, action: str, subject: str | None,
           detail: Mapping[str, object], at: dt.datetime | None = None) -> AuditEntry:
    """One line of the trail, at ``at`` (default: now)."""
    entry = AuditEntry(at=at or utcnow(), actor=actor, action=action, subject=subject,
                       detail={k: str(v) if isinstance(v, Decimal) else v
                               for k, v in detail.items()})
    db.add(entry)
    return entry


def audit(db: Session, actor: str, action: str, subject: str | None,
          **detail: object) -> AuditEntry:
    """One line of the trail, now, with ``detail`` as keywords."""
    return record(db, actor, action, subject, detail)
