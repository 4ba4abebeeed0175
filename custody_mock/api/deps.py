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


def authenticate(
    request: Request,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> None:
    """Broker API style: HTTP basic with the API key and secret (skipped when no key is set)."""
    settings = get_broker(request).settings
    if not settings.api_key.get_secret_value():
        return
    if credentials is None or not (
        secrets.compare_digest(credentials.username, settings.api_key.get_secret_value())
        and secrets.compare_digest(credentials.password,
                                   settings.api_secret.get_secret_value())
    ):
        raise BrokerError(401, "unauthorized", "HTTP basic credentials (API key and secret) "
                          "are missing or wrong",
                          headers={"WWW-Authenticate": 'Basic realm="broker"'})


BrokerDep = Annotated[Broker, Depends(get_broker)]
