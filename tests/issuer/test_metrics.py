"""Operating the issuer: Prometheus metrics that follow the lifecycles, request ids on every
answer and log line, and each worker step's log lines carrying the lifecycle's id."""

from __future__ import annotations

import re

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from issuer.app import create_app
from tests.support import serve_app


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_follow_a_creation_and_the_invariant(stack, keys):
    with serve_app(create_app(issuer=stack.issuer)) as url:
        first = _samples(httpx.get(f"{url}/metrics").text)
        assert _value(first, "issuer_open_lifecycles", kind="creation", status="ordered") \
            is None
        creation = stack.create("3")
        stack.run(passes=1)
        ordered = _samples(httpx.get(f"{url}/metrics").text)
        status = stack.creation(creation).status
        assert _value(ordered, "issuer_open_lifecycles", kind="creation", status=status) == 1
        assert _value(ordered, "issuer_oldest_open_lifecycle_age_seconds",
                      kind="creation") > 0
        assert _value(ordered, "issuer_worker_pass_seconds_count") >= 1
        stack.until(lambda: stack.creation(creation).status == "completed")
        answer = httpx.get(f"{url}/v1/creations/{creation}",
                           headers={"X-API-Key": keys["view"]})
        assert answer.status_code == 200
        done = _samples(httpx.get(f"{url}/metrics").text)
    assert _value(done, "issuer_open_lifecycles", kind="creation", status="ordered") is None
    assert _value(done, "issuer_oldest_open_lifecycle_age_seconds", kind="creation") == 0
    assert _value(done, "issuer_invariant_holds", symbol="AAPL") == 1
    assert _value(done, "issuer_invariant_surplus_shares", symbol="AAPL") >= 0
    assert _value(done, "issuer_symbol_halted", symbol="AAPL") == 0
    assert _value(done, "issuer_outbox_pending", status="sent") in (None, 0)
    assert _value(done, "issuer_worker_rows_moved_total", kind="creations") >= 4
    assert _value(done, "issuer_broker_calls_total", outcome="request") > 0
    # latency by route template (never the id), method and status
    assert _value(done, "issuer_http_request_duration_seconds_count", method="GET",
                  route="/v1/creations/{creation_id}", status="200") == 1
    assert not any(creation in str(key) for key in done)


def test_every_answer_carries_a_request_id_and_its_log_lines_do_too(stack, keys):
    with serve_app(create_app(issuer=stack.issuer)) as url, \
            capture_logs(processors=[structlog.contextvars.merge_contextvars]) as events:
        given = httpx.get(f"{url}/v1/creations", headers={"X-API-Key": keys["view"],
                                                          "X-Request-ID": "ops-ticket-42"})
        fresh = httpx.get(f"{url}/v1/creations", headers={"X-API-Key": "wrong"})
        hostile = httpx.get(f"{url}/v1/health", headers={"X-Request-ID": "id; rm -rf /" * 9})
    assert given.headers["x-request-id"] == "ops-ticket-42"
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert fresh.status_code == 401
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])   # not echoed
    lines = [e for e in events if e["event"] == "http.request"]
    assert {(e["request_id"], e["status"], e["route"]) for e in lines} >= {
        ("ops-ticket-42", 200, "/v1/creations"),
        (fresh.headers["x-request-id"], 401, "/v1/creations")}


def test_a_worker_steps_log_lines_carry_the_lifecycles_id(stack):
    creation = stack.create("2")
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as events:
        stack.until(lambda: stack.creation(creation).status == "completed")
    moves = [e for e in events if e["event"] == "lifecycle.status" and e.get("id") == creation]
    assert [e["status"] for e in moves][:2] == ["ordered", "filled"] or len(moves) >= 4
    assert all(e.get("creation_id") == creation for e in moves)
    sent = [e for e in events if e["event"] == "outbox.sent" and
            e["key"] in (f"mint:creation:{creation}", f"attest:creation:{creation}")]
    assert sent and all(e.get("creation_id") == creation for e in sent)


def test_the_broker_serves_metrics_too(broker_url):
    httpx.get(f"{broker_url}/v1/clock", auth=("mock-key", "mock-secret"))
    samples = _samples(httpx.get(f"{broker_url}/metrics").text)
    assert _value(samples, "custody_mock_http_request_duration_seconds_count", method="GET",
                  route="/v1/clock", status="200") >= 1
