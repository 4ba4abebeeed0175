"""The broker's calls to tokenization issuers: a thread that sends every due delivery
(:class:`custody_mock.models.TokenizationDelivery`) outside the broker's lock, applies the
answer in a transaction, and retries an issuer that does not answer with backoff (0.1 s
doubling to 5 s, :data:`custody_mock.tokenization.MAX_ATTEMPTS` attempts, then the request is
rejected), up to :data:`PARALLEL` calls at once. It wakes as soon as a transaction queues a
delivery, so a mint request reaches the issuer in milliseconds.
``POST /_mock/tokenization/dispatch`` runs one sweep by hand."""

from __future__ import annotations

import collections
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from custody_mock import faults, tokenization
from custody_mock.models import TokenizationDelivery, TokenizationIssuer, TokenizationRequest
from custody_mock.service import Broker
from servicekit import logs

BACKOFF_START, BACKOFF_MAX = 0.1, 5.0
#: Seconds before a held redemption journal (fault ``itn_redeem_held``) is tried again.
HELD_RETRY = 0.2
#: Calls to issuers in flight at once.
PARALLEL = 8
LOG = logs.get("custody_mock.itn")


class Dispatcher:
    def __init__(self, broker: Broker, http: httpx.Client | None = None) -> None:
        self.broker = broker
        self.http = http or httpx.Client(timeout=5.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sweep = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="itn-call")
        #: Calls to issuers by kind and outcome (``ok``, ``error``): read by the metrics.
        self.outcomes: collections.Counter[tuple[str, str]] = collections.Counter()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="itn-dispatch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.broker.itn_wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True)
        self.http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # the dispatcher outlives one bad sweep, and says so
                LOG.exception("tokenization dispatch sweep failed")
            self.broker.itn_wake.wait(timeout=self._idle())
            self.broker.itn_wake.clear()

    def _idle(self) -> float:
        with self.broker.transaction() as ctx:
            due = ctx.db.scalar(select(TokenizationDelivery.next_at).where(
                TokenizationDelivery.next_at.is_not(None))
                .order_by(TokenizationDelivery.next_at).limit(1))
        if due is None:
            return 1.0
        return max(0.0, min(1.0, (due - tokenization.wall_now()).total_seconds()))

    def run_due(self) -> int:
        """Send every delivery due now; the number sent."""
        with self._sweep:
            with self.broker.transaction() as ctx:
                due = [(d.id, d.kind) for d in ctx.db.scalars(
                    select(TokenizationDelivery).where(
                        TokenizationDelivery.next_at.is_not(None),
                        TokenizationDelivery.next_at <= tokenization.wall_now())
                    .order_by(TokenizationDelivery.next_at, TokenizationDelivery.id))]
            calls = [d for d, kind in due if kind != "redeem"]
            for delivery_id, kind in due:
                if kind == "redeem":
                    self._redeem(delivery_id)
            # calls to issuers go out side by side, as a real network's would; each answer is
            # applied in its own transaction (one request's calls never share a sweep: its
            # confirmation is queued only once the mint request was answered)
            list(self._pool.map(self._send, calls))
            return len(due)

    def _redeem(self, delivery_id: int) -> None:
        with self.broker.transaction() as ctx:
            delivery = ctx.db.get(TokenizationDelivery, delivery_id)
            assert delivery is not None
            request = ctx.db.get(TokenizationRequest, delivery.request_id)
            assert request is not None
            done = tokenization.on_redeem(ctx, request, str(delivery.body.get("tx_hash", "")))
            delivery.attempts += 1
            delivery.next_at = None if done else tokenization.wall_now() + dt.timedelta(
                seconds=HELD_RETRY)

    def _send(self, delivery_id: int) -> None:
        with self.broker.transaction() as ctx:
            delivery = ctx.db.get(TokenizationDelivery, delivery_id)
            assert delivery is not None
            request = ctx.db.get(TokenizationRequest, delivery.request_id)
            assert request is not None
            issuer = ctx.db.get(TokenizationIssuer, request.issuer)
            assert issuer is not None
            url = issuer.base_url + tokenization.PATHS[delivery.kind]
            headers = {"X-API-Key": issuer.api_key}
            body, copies = dict(delivery.body), 1 + delivery.duplicates
            unreachable = faults.take(ctx, "itn_issuer_unreachable",
                                      account_id=issuer.account_id) is not None
        status: int = 0
        answer: dict[str, Any] = {}
        error: str | None = None
        for _ in range(copies):
            status, answer, error = (0, {}, "issuer unreachable (fault)") if unreachable \
                else self._post(url, body, headers)
            if error is not None:
                break
        with self.broker.transaction() as ctx:
            delivery = ctx.db.get(TokenizationDelivery, delivery_id)
            request = ctx.db.get(TokenizationRequest, delivery.request_id) if delivery else None
            assert delivery is not None and request is not None
            delivery.attempts += 1
            LOG.info("itn.delivery", kind=delivery.kind, request=request.id, status=status,
                     attempt=delivery.attempts, error=error)
            failed = error is not None or status >= 500 or status == 429
            self.outcomes[(delivery.kind, "error" if failed else "ok")] += 1
            if error is not None or status >= 500 or status == 429:
                delivery.last_error = (error or f"HTTP {status}")[:300]
                if delivery.attempts >= tokenization.MAX_ATTEMPTS:
                    delivery.next_at = None
                    if delivery.kind == "issuance" and request.status == "pending":
                        request.status = "rejected"
                        request.status_reason = f"the issuer did not answer: {delivery.last_error}"
                    return
                wait = min(BACKOFF_MAX, BACKOFF_START * 2 ** (delivery.attempts - 1))
                delivery.next_at = tokenization.wall_now() + dt.timedelta(seconds=wait)
                return
            delivery.next_at, delivery.last_error = None, None
            if delivery.kind == "issuance":
                tokenization.on_issuance(ctx, request, status, answer)

    def _post(self, url: str, body: dict[str, Any],
              headers: dict[str, str]) -> tuple[int, dict[str, Any], str | None]:
        try:
            response = self.http.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return 0, {}, f"{type(exc).__name__}: {exc}"[:300]
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        return response.status_code, answer if isinstance(answer, dict) else {}, None
