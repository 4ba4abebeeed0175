"""Refusals of the issuer service: RFC 9457 problem details with a stable ``code``."""

from __future__ import annotations

from typing import Any


class IssuerError(Exception):
    """A refusal raised before anything changes; the API turns it into problem JSON."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def invalid(code: str, detail: str) -> IssuerError:
    return IssuerError(422, code, detail)


def not_found(what: str, key: str) -> IssuerError:
    return IssuerError(404, f"{what}_not_found", f"no {what} {key!r}")


def conflict(code: str, detail: str) -> IssuerError:
    return IssuerError(409, code, detail)
