"""The adapters and the fake, checked against the port by the type checker (``make lint`` runs
mypy strict on ``issuer/broker/``): an adapter that drifts from :class:`BrokerPort` (a method
missing, a parameter renamed, another return type) fails the lint, not a test at run time."""

from __future__ import annotations

from issuer.broker.alpaca import AlpacaBroker
from issuer.broker.fake import FakeBroker
from issuer.broker.port import BrokerPort


def as_port(alpaca: AlpacaBroker, fake: FakeBroker) -> tuple[BrokerPort, BrokerPort]:
    """Both are a :class:`BrokerPort` (nothing calls this; mypy reads it)."""
    return alpaca, fake
