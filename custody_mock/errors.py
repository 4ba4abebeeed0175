"""The broker's refusals: problem details (see :mod:`servicekit.problems`) under its own prefix."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from servicekit import problems

PROBLEM_TYPE = "https://github.com/tokenized-stock-stack/custody-mock/problems/"


class BrokerError(problems.ServiceError):
    """A refusal the caller can act on. Raised before anything changes; the request is undone."""


def not_found(what: str, key: str) -> BrokerError:
    return BrokerError(404, f"{what}_not_found", f"no {what.replace('_', ' ')} {key!r}")


def invalid(code: str, detail: str, **extra: Any) -> BrokerError:
    return BrokerError(422, code, detail, **extra)


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    return problems.problem(PROBLEM_TYPE, status, code, detail, headers, message=detail,
                            **extra)


def install(app: FastAPI) -> None:
    problems.install(app, PROBLEM_TYPE, message=True)
