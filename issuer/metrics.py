"""The issuer's Prometheus metrics.

Read from the database when scraped (so every process reports the same state, however many
workers run): open lifecycles by kind and status and the age of the oldest, outbox
transactions not yet mined, the last reconciliation per symbol (surplus, whether the
invariant holds, halts). Counted in the process: worker passes (duration histogram, rows
moved), claims skipped because another worker held them, broker calls by outcome, API latency.

``python -m issuer`` serves them on ``ISSUER_METRICS_PORT`` (a port of its own; 0: ``/metrics``
on the API's port); a worker process on ``--metrics-port``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer import heartbeat
from issuer.corporate.steps import ACTIVE
from issuer.db import age_of, utcnow
from issuer.lifecycle import itn, onboarding
from issuer.models import (
    ChainTx,
    CorporateAction,
    Creation,
    Investor,
    ItnRequest,
    Meeting,
    ReconciliationRecord,
    Redemption,
    SymbolHalt,
)
from issuer.reserves import OPEN_CREATIONS, OPEN_REDEMPTIONS
from issuer.voting import steps as meetings
from servicekit.metrics import http_histogram

if TYPE_CHECKING:
    from issuer.service import Issuer

#: Each lifecycle's model and its open statuses.
KINDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "creation": (Creation, OPEN_CREATIONS), "redemption": (Redemption, OPEN_REDEMPTIONS),
    "investor": (Investor, onboarding.OPEN), "corporate_action": (CorporateAction, ACTIVE),
    "itn_request": (ItnRequest, itn.OPEN), "meeting": (Meeting, meetings.OPEN)}
PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class IssuerMetrics:
    def __init__(self, issuer: Issuer) -> None:
        self.registry = CollectorRegistry()
        self.pass_seconds = Histogram(
            "issuer_worker_pass_seconds", "Duration of a full worker pass",
            buckets=PASS_BUCKETS, registry=self.registry)
        self.rows_moved = Counter(
            "issuer_worker_rows_moved", "Lifecycle rows whose status a worker step changed",
            ("kind",), registry=self.registry)
        self.pass_errors = Counter(
            "issuer_worker_pass_errors", "Worker passes that ended in an error",
            registry=self.registry)
        self.http = http_histogram("issuer", self.registry)
        self.auth_failures = Counter(
            "issuer_auth_failures", "Requests refused for a missing, unknown or revoked key, by "
            "API (operator, network)", ("api",), registry=self.registry)
        self.auth_throttled = Counter(
            "issuer_auth_throttled", "Requests answered 429 because their source failed "
            "authentication too often, or refused because the source is not allowed, by API "
            "and reason", ("api", "reason"), registry=self.registry)
        self.registry.register(_State(issuer))


def metrics_of(issuer: Issuer) -> IssuerMetrics:
    """The process's metrics of ``issuer``, made on first use and kept on it."""
    if issuer.metrics_cache is None:
        issuer.metrics_cache = IssuerMetrics(issuer)
    found: IssuerMetrics = issuer.metrics_cache
    return found


def open_lifecycles(db: Session) -> dict[str, tuple[dict[str, int], Any]]:
    """Per lifecycle kind: its open rows by status, and when the oldest was created (None:
    none open). What ``/metrics`` and the operator console both show."""
    out: dict[str, tuple[dict[str, int], Any]] = {}
    for kind, (model, statuses) in KINDS.items():
        rows: Sequence[Any] = db.execute(
            select(model.status, func.count(), func.min(model.created_at))
            .where(model.status.in_(statuses)).group_by(model.status)).all()
        counts, first = {}, None
        for status, count, created in rows:
            counts[status] = count
            if created is not None:
                first = created if first is None else min(first, created)
        out[kind] = (counts, first)
    return out


def outbox_pending(db: Session) -> tuple[dict[str, int], Any]:
    """Chain transactions signed or sent and not yet mined, by status, and when the oldest was
    created (None: none)."""
    counts, first = {}, None
    for status, count, created in db.execute(
            select(ChainTx.status, func.count(), func.min(ChainTx.created_at))
            .where(ChainTx.status.in_(("signed", "sent"))).group_by(ChainTx.status)):
        counts[status] = count
        first = created if first is None else min(first, created)
    return counts, first


class _State(Collector):
    """What the database and this process's clients say at scrape time."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer

    def collect(self) -> Iterator[Any]:
        issuer, now = self.issuer, utcnow()
        open_rows = GaugeMetricFamily("issuer_open_lifecycles",
                                      "Open lifecycles by kind and status", labels=("kind",
                                                                                   "status"))
        oldest = GaugeMetricFamily("issuer_oldest_open_lifecycle_age_seconds",
                                   "Age of the oldest open lifecycle of a kind (0: none open)",
                                   labels=("kind",))
        outbox = GaugeMetricFamily("issuer_outbox_pending",
                                   "Chain transactions signed or sent, not yet mined",
                                   labels=("status",))
        outbox_age = GaugeMetricFamily("issuer_outbox_oldest_pending_age_seconds",
                                       "Age of the oldest transaction not yet mined")
        surplus = GaugeMetricFamily("issuer_invariant_surplus_shares",
                                    "Custody backing less economic supply at the last "
                                    "reconciliation (negative: the invariant is broken)",
                                    labels=("symbol",))
        holds = GaugeMetricFamily("issuer_invariant_holds",
                                  "1 when the last reconciliation held", labels=("symbol",))
        halted = GaugeMetricFamily("issuer_symbol_halted", "1 while a halt is open",
                                   labels=("symbol",))
        beat = GaugeMetricFamily("issuer_worker_heartbeat_age_seconds",
                                 "Age of the newest worker heartbeat (absent: no worker has "
                                 "finished a pass yet)")
        with issuer.session() as db:
            for kind, (statuses_found, first) in open_lifecycles(db).items():
                for status, count in statuses_found.items():
                    open_rows.add_metric([kind, status], count)
                oldest.add_metric([kind], age_of(now, first))
            pending, first_tx = outbox_pending(db)
            for status, count in pending.items():
                outbox.add_metric([status], count)
            outbox_age.add_metric([], age_of(now, first_tx))
            open_halts = set(db.scalars(select(SymbolHalt.symbol).where(
                SymbolHalt.cleared_at.is_(None))))
            for symbol in issuer.chain.stocks:
                last = db.scalar(select(ReconciliationRecord).where(
                    ReconciliationRecord.symbol == symbol)
                    .order_by(ReconciliationRecord.id.desc()).limit(1))
                if last is not None:
                    surplus.add_metric([symbol], float(last.surplus))
                    holds.add_metric([symbol], 1.0 if last.holds else 0.0)
                halted.add_metric([symbol], 1.0 if symbol in open_halts else 0.0)
            if (newest := heartbeat.latest(db)) is not None:
                beat.add_metric([], age_of(now, newest.last_pass_at))
        yield from (open_rows, oldest, outbox, outbox_age, surplus, holds, halted, beat)
        broker = CounterMetricFamily("issuer_broker_calls",
                                     "Broker API calls by outcome (request: every request "
                                     "sent; rejected: 4xx; retry; rate_limited; unavailable: "
                                     "gave up)", labels=("outcome",))
        for outcome in ("request", "rejected", "retry", "rate_limited", "unavailable"):
            broker.add_metric([outcome], getattr(issuer.broker, "outcomes", {}).get(outcome, 0))
        yield broker
        skipped = CounterMetricFamily("issuer_worker_claims_skipped",
                                      "Rows and tasks skipped because another worker held them")
        skipped.add_metric([], issuer.claims.skipped)
        yield skipped


def serve_worker(issuer: Issuer, port: int, host: str = "127.0.0.1") -> None:
    """A process's metrics on ``host:port`` (Prometheus' own small server): a worker's, or the
    API's on ``ISSUER_METRICS_PORT``."""
    start_http_server(port, addr=host, registry=metrics_of(issuer).registry)
