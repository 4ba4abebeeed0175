"""The mock broker's ASGI application."""

from __future__ import annotations

from fastapi import FastAPI

from custody_mock import errors
from custody_mock.api import broker as broker_api
from custody_mock.api import control
from custody_mock.api.openapi import document
from custody_mock.http_faults import HttpFaults
from custody_mock.service import Broker
from custody_mock.settings import Settings


def create_app(settings: Settings | None = None, broker: Broker | None = None) -> FastAPI:
    broker = broker or Broker(settings or Settings.from_env())
    app = FastAPI(
        title="custody_mock",
        version="1.0.0",
        summary="A self-clearing broker shaped like Alpaca's Broker API, with T+1 settlement on "
                "the NYSE and bank-holiday calendar, corporate actions, a simulated clock and "
                "fault injection.",
    )
    app.state.broker = broker
    errors.install(app)
    app.include_router(broker_api.router)
    app.include_router(control.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(HttpFaults, broker=broker)
    document(app)
    return app
