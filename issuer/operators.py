"""The people behind the API keys: roles, the principal a key authenticates as, and the
lineage of keys that dual control compares (who issued whose key, up the chain).

Every key belongs to an *operator*, a named person, and records the key that issued it. Dual
control compares operators, both ways: the checker of a request is never its maker, nor an
operator whose key issued the checker's key, nor one who issued any of the maker's keys,
directly or down a chain of keys. An operator's name belongs to one person. The API's
authentication (:mod:`issuer.api.auth`) and the decisions (:mod:`issuer.controls`) both read it,
so the decisions never import the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.models import ApiKey

ROLES = ("viewer", "operator", "compliance", "admin")


#: The ``issued_by`` of the key created from settings at start.
BOOTSTRAP = "bootstrap"


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str
    #: The person behind the key: the identity every maker-checker rule compares.
    operator: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def lineage(db: Session, key_id: str) -> set[str]:
    """The operators behind a key and behind every key up its chain of issuers."""
    operators: set[str] = set()
    seen: set[str] = set()
    current: str | None = key_id
    while current and current != BOOTSTRAP and current not in seen:
        seen.add(current)
        row = db.get(ApiKey, current)
        if row is None:
            break
        operators.add(row.operator)
        current = row.issued_by
    return operators


def operator_lineage(db: Session, operator: str) -> set[str]:
    """The operators behind every key of ``operator`` (revoked ones too) and up each one's
    chain of issuers: whoever issued this person a key, directly or through others."""
    out: set[str] = {operator}
    for key_id in db.scalars(select(ApiKey.id).where(ApiKey.operator == operator)):
        out |= lineage(db, key_id)
    return out


def same_person(a: str, b: str) -> bool:
    """Whether two operator names name one person (case and spacing do not make another)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
