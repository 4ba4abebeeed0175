"""The mock broker's ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from custody_mock import errors
from custody_mock.api import broker as broker_api
from custody_mock.api import (
    control,
    corporate_actions_data,
    market_data,
    proxy,
    tokenization,
)
from custody_mock.api.openapi import document
from custody_mock.http_faults import HttpFaults
from custody_mock.itn_dispatch import Dispatcher
from custody_mock.service import Broker
from custody_mock.settings import Settings
from servicekit.metrics import HttpMetrics, exposition, http_histogram
from servicekit.requests import RequestIds


def create_app(settings: Settings | None = None, broker: Broker | None = None,
               metrics_on_api: bool = True) -> FastAPI:
    """The mock broker. ``metrics_on_api``: serve ``/metrics`` on the API's own port (tests);
    ``python -m custody_mock`` serves it on ``CUSTODY_MOCK_METRICS_PORT`` unless that is 0
    (the registry is ``app.state.metrics_registry``)."""
    broker = broker or Broker(settings or Settings.from_env())
    dispatcher = Dispatcher(broker)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        dispatcher.start()   # the broker's calls to tokenization issuers
        yield
        dispatcher.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="custody_mock",
        version="1.0.0",
        summary="A self-clearing broker shaped like Alpaca's Broker API, with T+1 settlement on "
                "the NYSE and bank-holiday calendar, corporate actions, a simulated clock and "
                "fault injection.",
    )
    app.state.broker = broker
    app.state.itn_dispatcher = dispatcher
    errors.install(app)
    app.include_router(broker_api.router)
    app.include_router(control.router)
    app.include_router(tokenization.broker_router)
    app.include_router(tokenization.trading_router)
    app.include_router(tokenization.control_router)
    app.include_router(proxy.router)
    app.include_router(proxy.control_router)
    app.include_router(market_data.router)
    app.include_router(corporate_actions_data.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(HttpFaults, broker=broker)
    app.add_middleware(RequestIds)
    registry = CollectorRegistry()
    registry.register(_DispatchMetrics(dispatcher))
    app.add_middleware(HttpMetrics, histogram=http_histogram("custody_mock", registry))

    app.state.metrics_registry = registry
    if metrics_on_api:
        @app.get("/metrics", include_in_schema=False)
        def prometheus() -> Response:
            """Prometheus metrics: API latency, the tokenization network's calls to issuers."""
            return exposition(registry)

    document(app)
    return app


class _DispatchMetrics(Collector):
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    def collect(self) -> Iterator[CounterMetricFamily]:
        calls = CounterMetricFamily("custody_mock_itn_issuer_calls",
                                    "Tokenization network calls to issuers by kind and outcome",
                                    labels=("kind", "outcome"))
        for (kind, outcome), count in sorted(self.dispatcher.outcomes.items()):
            calls.add_metric([kind, outcome], count)
        yield calls
