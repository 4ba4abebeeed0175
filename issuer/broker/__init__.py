"""The issuer's broker port: its own types (:mod:`issuer.broker.types`), errors that say
whether a retry is safe, and the adapter for Alpaca's Broker API (:mod:`issuer.broker.alpaca`),
which also drives the mock broker. Nothing under ``issuer/`` imports the mock."""

from __future__ import annotations

from issuer.broker.alpaca import AlpacaBroker
from servicekit.broker_http import BrokerError, BrokerRejected, BrokerUnavailable

__all__ = ["AlpacaBroker", "BrokerError", "BrokerRejected", "BrokerUnavailable"]
