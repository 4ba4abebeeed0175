"""Shared request dependencies: the broker object and HTTP basic authentication."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from custody_mock.errors import BrokerError
from custody_mock.service import Broker

_basic = HTTPBasic(auto_error=False)


def get_broker(request: Request) -> Broker:
    return request.app.state.broker


def _basic_matches(credentials: HTTPBasicCredentials | None, key: str, secret: str) -> bool:
    return credentials is not None and secrets.compare_digest(
        credentials.username.encode(), key.encode()) and secrets.compare_digest(
        credentials.password.encode(), secret.encode())


def _require_basic(credentials: HTTPBasicCredentials | None, key: str, secret: str,
                   realm: str, detail: str) -> None:
    """HTTP basic with ``key`` and ``secret``, or 401 (nothing to check when ``key`` is empty)."""
    if key and not _basic_matches(credentials, key, secret):
        raise BrokerError(401, "unauthorized", detail,
                          headers={"WWW-Authenticate": f'Basic realm="{realm}"'})


def authenticate(
    request: Request,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> None:
    """Broker API: HTTP basic with the partner's API key and secret (skipped when no key is
    set). An account's Trading API keys are not Broker API credentials."""
    settings = get_broker(request).settings
    _require_basic(credentials, settings.api_key.get_secret_value(),
                   settings.api_secret.get_secret_value(), "broker",
                   "HTTP basic credentials (API key and secret) are missing or wrong")


def authenticate_control(
    request: Request,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> None:
    """The control API (``/_mock/...``): HTTP basic with the control key and secret, which are
    neither the partner's nor any account's (skipped when no control key is set)."""
    settings = get_broker(request).settings
    _require_basic(credentials, settings.control_key.get_secret_value(),
                   settings.control_secret.get_secret_value(), "broker-control",
                   "the control API takes its own HTTP basic credentials (control key and "
                   "secret)")


BrokerDep = Annotated[Broker, Depends(get_broker)]
