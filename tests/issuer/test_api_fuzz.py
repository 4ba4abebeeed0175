"""Random input against every operation of the issuer's OpenAPI spec: never a 5xx.

The same generator as the broker's (:func:`tests.support.draw_request`), with the admin key
and a fresh ``Idempotency-Key``; every answer must be below 500.
"""

from __future__ import annotations

import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import draw_request, openapi_operations


def test_no_operation_answers_5xx_to_random_input(stack, api, keys):
    base = str(api["admin"].http.base_url)
    operations = openapi_operations(httpx.get(f"{base}/openapi.json").json())
    assert len(operations) > 25
    http = httpx.Client(base_url=base, headers={"X-API-Key": keys["admin"]}, timeout=30)
    samples = [stack.participant_id, stack.ap_wallet, "AAPL", "nope", "0x" + "00" * 20,
               "x" * 300, "%00", "-1"]

    @settings(max_examples=200, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, url, params, body = draw_request(data, operations, samples)
        response = http.request(method, url, params=params, json=body,
                                headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code < 500, (method, url, params, body, response.text[:300])

    check()
    http.close()
