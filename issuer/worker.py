"""The worker: one pass moves every open investor onboarding, corporate action (after picking up
new announcements and amendments), creation and redemption by a step, indexes the chain
(starting redemptions from deposits), then checks the invariant for every symbol; a lifecycle
step that moved is followed by a check of its symbol. Each step runs in its own transaction, so
a crash loses at most the step in flight, which the next pass repeats idempotently."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from issuer import deposits, heartbeat, indexer, passcache, prices, public
from issuer.broker import BrokerUnavailable
from issuer.corporate import discovery
from issuer.corporate import steps as corporate_actions
from issuer.lifecycle import creations, itn, onboarding, redemptions
from issuer.metrics import metrics_of
from issuer.models import CorporateAction, Creation, Investor, ItnRequest, Meeting, Redemption
from issuer.reserves import OPEN_CREATIONS, OPEN_REDEMPTIONS, Reconciliation, check_invariant
from issuer.service import Issuer
from issuer.voting import steps as meetings
from servicekit import logs

Step = Callable[[Issuer, Session, Any], None]
LOG = logs.get("issuer.worker")


def _advance_all(issuer: Issuer, model: Any, key: Any, statuses: tuple[str, ...],
                 step: Step) -> int:
    """Step every open row of ``model`` this worker can claim; the number whose status
    changed. (The pass checks each symbol's invariant once, at its end; the steps that move
    supply on their own, a batch mint or an ITN mint or burn, check it when mined.)"""
    moved = 0
    with issuer.session() as db:
        keys: list[Any] = list(db.scalars(select(key).where(
            model.status.in_(statuses), model.status != "halted")
            .order_by(model.updated_at)))
    kind = model.__tablename__
    for value in keys:
        with issuer.claims.claim(f"{kind}:{value}") as held:
            if not held:
                continue   # another worker is on it
            with logs.bound(**{_CORRELATION.get(kind, "id"): str(value)}):
                try:
                    with issuer.session() as db:
                        row = db.get(model, value)
                        if row is None or row.status not in statuses:
                            continue   # moved on by another worker since the list was read
                        before = row.status
                        step(issuer, db, row)
                        moved += row.status != before
                except StaleDataError:
                    # an operator's request changed the row during the step: the step's
                    # writes are rolled back (as in a crash) and the next pass takes it
                    # from its new state
                    LOG.info("worker.stale_row", model=model.__name__, id=value)
                    continue
    return moved


#: The id a lifecycle's log lines carry (its correlation id).
_CORRELATION = {"creations": "creation_id", "redemptions": "redemption_id",
                "investors": "wallet", "corporate_actions": "corporate_action_id",
                "itn_requests": "itn_request_id", "meetings": "meeting_id"}


def _check(issuer: Issuer, symbol: str) -> Reconciliation | None:
    """Check ``symbol``'s invariant unless another worker is checking it right now."""
    with issuer.claims.claim(f"invariant:{symbol}") as held:
        if not held:
            return None
        with issuer.session() as db:
            return check_invariant(issuer, db, symbol)


def _task(issuer: Issuer, name: str, work: Callable[[], Any]) -> None:
    """Run a pass-wide task (discovery, batches, the indexer) in one worker at a time."""
    with issuer.claims.claim(name) as held:
        if held:
            work()


def run_itn(issuer: Issuer) -> int:
    """The tokenization network's steps alone (what a confirmed ITN mint waits for): batches,
    then each request. Its steps check the invariant themselves where supply moves (a mint or
    a burn mined), not after a callback."""
    # ITN mints confirmed together: one attestation, one batchMint
    _task(issuer, "batch:itn", lambda: itn.mint_batches(issuer))
    return _advance_all(issuer, ItnRequest, ItnRequest.id, itn.OPEN, itn.step)


def run_once(issuer: Issuer) -> dict[str, Reconciliation]:
    """One full pass; the broker's clock (and what :mod:`issuer.passcache` holds) is read once
    for all of it."""
    with passcache.scope():
        return _pass(issuer)


def _pass(issuer: Issuer) -> dict[str, Reconciliation]:
    start, moved = time.perf_counter(), {}
    moved["investors"] = _advance_all(issuer, Investor, Investor.wallet, onboarding.OPEN,
                                      onboarding.step)
    def discover() -> None:
        with issuer.session() as db:
            discovery.discover(issuer, db)

    _task(issuer, "discovery", discover)

    def discover_meetings() -> None:
        try:
            with issuer.session() as db:
                meetings.discover(issuer, db)
        except BrokerUnavailable as exc:   # the proxy service: read again next pass
            LOG.warning("meetings.unavailable", reason=str(exc)[:300])

    _task(issuer, "meetings", discover_meetings)
    moved["corporate_actions"] = _advance_all(
        issuer, CorporateAction, CorporateAction.id, corporate_actions.ACTIVE,
        corporate_actions.step)
    moved["itn"] = run_itn(issuer)
    # creations settled by the last pass, minted together
    _task(issuer, "batch:creations", lambda: creations.mint_batches(issuer))
    moved["creations"] = _advance_all(issuer, Creation, Creation.id, OPEN_CREATIONS,
                                      creations.step)
    moved["redemptions"] = _advance_all(issuer, Redemption, Redemption.id, OPEN_REDEMPTIONS,
                                        redemptions.step)
    moved["meetings"] = _advance_all(issuer, Meeting, Meeting.id, meetings.OPEN, meetings.step)
    def index() -> None:
        with issuer.session() as db:
            indexer.run_once(issuer, db)
            deposits.start_redemptions(issuer, db)

    _task(issuer, "indexer", index)
    if prices.due(issuer):
        _task(issuer, "prices", lambda: prices.report_all(issuer))
    if public.due(issuer):
        _task(issuer, "public", lambda: public.refresh(issuer))
    reports = {}
    for symbol in issuer.chain.stocks:
        if (report := _check(issuer, symbol)) is not None:
            reports[symbol] = report
    elapsed = time.perf_counter() - start
    metrics_of(issuer).pass_seconds.observe(elapsed)
    for kind, count in moved.items():
        if count:
            metrics_of(issuer).rows_moved.labels(kind).inc(count)
    LOG.info("worker.pass", duration_ms=round(elapsed * 1000, 1),
             moved=sum(moved.values()), **{f"moved_{k}": v for k, v in moved.items() if v},
             holds=all(r.holds for r in reports.values()))
    return reports


class Worker:
    """Runs worker passes until stopped: in a thread beside the API (:meth:`start`), or as the
    process's main loop (:meth:`run`, ``python -m issuer worker``)."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="issuer-worker", daemon=True)
        #: Full passes finished (with or without an error), and the last pass's error if it
        #: failed.
        self.passes = 0
        self.last_error: str | None = None
        self._name = heartbeat.worker_name()
        self._last_beat = float("-inf")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.issuer.wake.set()
        if self._thread.is_alive():
            self._thread.join(30)

    def run(self, passes: int | None = None) -> None:
        """Pass after pass until stopped (or ``passes`` full passes)."""
        woken, last_full = False, 0.0
        interval = self.issuer.settings.worker_interval
        while not self._stop.is_set() and (passes is None or self.passes < passes):
            full = not woken or time.monotonic() - last_full >= interval
            try:
                # woken by an ITN confirmation: its steps at once; the full pass every
                # ``worker_interval`` whatever wakes it
                if woken:
                    run_itn(self.issuer)
                if full:
                    run_once(self.issuer)
                    last_full = time.monotonic()
                self.last_error = None
            except Exception as exc:  # keep going: each pass repeats what did not finish
                metrics_of(self.issuer).pass_errors.inc()
                LOG.exception("worker.pass_failed", error=f"{type(exc).__name__}: {exc}"[:500])
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if full:
                self.passes += 1   # full passes (what the health check reports)
                self._beat()
            if passes is not None and self.passes >= passes:
                break
            woken = self.issuer.claims.wait(self.issuer.wake, interval)
            self.issuer.wake.clear()

    def _beat(self) -> None:
        """The heartbeat (:mod:`issuer.heartbeat`), at most every ``heartbeat.EVERY`` s; a
        database that refuses it is logged, never fatal to the worker."""
        if time.monotonic() - self._last_beat < heartbeat.EVERY:
            return
        try:
            with self.issuer.session() as db:
                heartbeat.beat(db, self._name, self.passes, self.last_error)
            self._last_beat = time.monotonic()
        except Exception as exc:  # the database is down: the next pass says so too
            LOG.warning("worker.heartbeat_failed", error=f"{type(exc).__name__}: {exc}"[:300])
