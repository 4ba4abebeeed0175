"""The issuer's refusals: problem details (see :mod:`servicekit.problems`) under its prefix."""

from __future__ import annotations

from servicekit.problems import ServiceError

PROBLEM_TYPE = "https://github.com/tokenized-stock-stack/issuer/problems/"


class IssuerError(ServiceError):
    """A refusal raised before anything changes; the API turns it into problem JSON."""


def invalid(code: str, detail: str) -> IssuerError:
    return IssuerError(422, code, detail)


def not_found(what: str, key: str) -> IssuerError:
    return IssuerError(404, f"{what}_not_found", f"no {what} {key!r}")


def conflict(code: str, detail: str) -> IssuerError:
    return IssuerError(409, code, detail)
