"""The issuer's broker port (:mod:`issuer.broker.port`): its own types
(:mod:`issuer.broker.types`), errors that say whether a retry is safe, the adapter for Alpaca's
Broker API (:mod:`issuer.broker.alpaca`, which also drives the mock broker) and an in-memory
fake for fast tests (:mod:`issuer.broker.fake`). Nothing under ``issuer/`` imports the mock."""

from __future__ import annotations

from issuer.broker.alpaca import AlpacaBroker
from issuer.broker.port import BrokerPort
from servicekit.broker_http import BrokerError, BrokerRejected, BrokerUnavailable

__all__ = ["AlpacaBroker", "BrokerPort", "BrokerError", "BrokerRejected", "BrokerUnavailable"]
