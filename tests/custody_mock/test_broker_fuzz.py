"""Random input against every endpoint of the broker's OpenAPI spec: never a 5xx.

Hypothesis draws an operation, path parameters, query parameters and a JSON body
(:func:`tests.support.draw_request`); the answer must be below 500.
"""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custody_mock.client import MockAuth
from tests.support import draw_request, openapi_operations


def _changes_later_examples(method: str, path: str) -> bool:
    """Moving the clock, resetting or arming faults would change what later examples see."""
    return path.startswith(("/_mock/clock", "/_mock/faults")) or path in (
        "/_mock/eod", "/_mock/reset")


def test_no_operation_answers_5xx_to_random_input(broker, broker_url, funded):
    spec = httpx.get(f"{broker_url}/openapi.json").json()
    operations = openapi_operations(spec, _changes_later_examples)
    assert len(operations) > 20
    http = httpx.Client(base_url=broker_url, auth=MockAuth(), timeout=10)
    samples = [funded, "AAPL", "nope", "%00", "x" * 300]

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, url, params, body = draw_request(data, operations, samples)
        response = http.request(method, url, params=params, json=body)
        assert response.status_code < 500, (method, url, params, body, response.text[:300])

    check()
    http.close()
