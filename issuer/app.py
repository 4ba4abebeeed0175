"""The issuer's ASGI application, and the worker thread that can run beside it (the
one-process default; ``python -m issuer worker`` runs workers of their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from sqlalchemy import func, select

from issuer import worker
from issuer.api.auth import create_key
from issuer.api.guard import RequestGuard
from issuer.api.openapi import document
from issuer.api.routes import network_router, public, router
from issuer.api.schemas import HealthOut
from issuer.config import Settings
from issuer.console.routes import router as console_router
from issuer.errors import PROBLEM_TYPE
from issuer.metrics import metrics_of
from issuer.models import ApiKey
from issuer.service import Issuer
from servicekit import problems
from servicekit.metrics import HttpMetrics, exposition
from servicekit.requests import RequestIds


def bootstrap_admin(issuer: Issuer) -> None:
    """Create the first admin key from settings when the database has no key yet."""
    key = issuer.settings.bootstrap_admin_key.get_secret_value()
    if not key:
        return
    with issuer.session() as db:
        if (db.scalar(select(func.count()).select_from(ApiKey)) or 0) == 0:
            create_key(db, "bootstrap-admin", "admin", key)


def create_app(settings: Settings | None = None, issuer: Issuer | None = None,
               run_worker: bool = False, metrics_on_api: bool = True) -> FastAPI:
    """The operator API. ``metrics_on_api``: serve ``/metrics`` on the API's own port (what an
    embedded app and the tests use); ``python -m issuer`` serves it on a port of its own
    (``ISSUER_METRICS_PORT``) unless that is 0."""
    issuer = issuer or Issuer(settings or Settings.from_env())
    bootstrap_admin(issuer)

    background = worker.Worker(issuer) if run_worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background is not None:
            background.start()
        yield
        if background is not None:
            background.stop()

    app = FastAPI(title="issuer", version="1.0.0", lifespan=lifespan,
                  summary="Operator API of the tokenized stock issuer: creations, redemptions, "
                          "controls, reserves and reconciliation, audit.")
    app.state.issuer = issuer
    app.include_router(router)
    app.include_router(network_router)
    app.include_router(public.router)
    app.include_router(public.page_router)
    app.include_router(console_router)
    document(app)
    app.add_middleware(RequestGuard, issuer=issuer)
    app.add_middleware(RequestIds)
    # the public reserve paths' cached answers, before anything else but the metrics
    app.add_middleware(public.PublicFastPath, state=app.state)
    # outermost: the guard's refusals are timed too
    app.add_middleware(HttpMetrics, histogram=metrics_of(issuer).http)
    problems.install(app, PROBLEM_TYPE)

    if metrics_on_api:
        @app.get("/metrics", include_in_schema=False)
        def prometheus() -> Response:
            """Prometheus metrics (aggregates only: counts, ages, the invariant per symbol)."""
            return exposition(metrics_of(issuer).registry)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """No icon: an empty answer a browser caches for a day, not a 401 (see the guard)."""
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/v1/health", tags=["health"], response_model=HealthOut)
    def health() -> dict[str, object]:
        """Liveness, the chain's head and, when this process runs the worker, its progress."""
        worker_state = None if background is None else {
            "passes": background.passes, "last_error": background.last_error}
        return {"status": "ok", "chain_id": issuer.chain.chain_id,
                "block": issuer.chain.head(), "worker": worker_state}

    return app
