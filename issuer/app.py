"""The issuer's ASGI application, and the worker thread that can run beside it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import func, select

from issuer import worker
from issuer.api.auth import create_key
from issuer.api.guard import RequestGuard
from issuer.api.openapi import document
from issuer.api.routes import network_router, router
from issuer.api.schemas import HealthOut
from issuer.config import Settings
from issuer.errors import PROBLEM_TYPE
from issuer.models import ApiKey
from issuer.service import Issuer
from servicekit import problems

log = logging.getLogger("issuer")
class Worker:
    """Runs worker passes in a thread until stopped."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="issuer-worker", daemon=True)
        #: Full passes finished (with or without an error), and the last pass's error if it
        #: failed.
        self.passes = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.issuer.wake.set()
        self._thread.join(30)

    def _loop(self) -> None:
        woken, last_full = False, 0.0
        while not self._stop.is_set():
            full = not woken or time.monotonic() - last_full >= \
                self.issuer.settings.worker_interval
            try:
                # woken by an ITN confirmation: its steps at once; the full pass every
                # ``worker_interval`` whatever wakes it
                if woken:
                    worker.run_itn(self.issuer)
                if full:
                    worker.run_once(self.issuer)
                    last_full = time.monotonic()
                self.last_error = None
            except Exception as exc:  # keep going: each pass repeats what did not finish
                log.exception("worker pass failed")
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if full:
                self.passes += 1   # full passes (what the health check reports)
            woken = self.issuer.wake.wait(self.issuer.settings.worker_interval)
            self.issuer.wake.clear()


def bootstrap_admin(issuer: Issuer) -> None:
    """Create the first admin key from settings when the database has no key yet."""
    key = issuer.settings.bootstrap_admin_key
    if not key:
        return
    with issuer.session() as db:
        if (db.scalar(select(func.count()).select_from(ApiKey)) or 0) == 0:
            create_key(db, "bootstrap-admin", "admin", key)


def create_app(settings: Settings | None = None, issuer: Issuer | None = None,
               run_worker: bool = False) -> FastAPI:
    issuer = issuer or Issuer(settings or Settings.from_env())
    bootstrap_admin(issuer)

    background = Worker(issuer) if run_worker else None

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
    document(app)
    app.add_middleware(RequestGuard, issuer=issuer)
    problems.install(app, PROBLEM_TYPE)

    @app.get("/v1/health", tags=["health"], response_model=HealthOut)
    def health() -> dict[str, object]:
        """Liveness, the chain's head and, when this process runs the worker, its progress."""
        worker_state = None if background is None else {
            "passes": background.passes, "last_error": background.last_error}
        return {"status": "ok", "chain_id": issuer.chain.chain_id,
                "block": issuer.chain.head(), "worker": worker_state}

    return app
