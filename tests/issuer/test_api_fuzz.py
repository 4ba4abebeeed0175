"""Random input against every operation of the issuer's OpenAPI spec: never a 5xx.

The same home-made stand-in for schemathesis as the broker's (hypothesis is pinned too old for
schemathesis by brownie): random path parameters, query parameters, JSON bodies (random JSON or
the operation's own field names with random values), with the admin key and an
``Idempotency-Key``; every answer must be below 500.
"""

from __future__ import annotations

import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.custody_mock.test_broker_fuzz import json_values


def test_no_operation_answers_5xx_to_random_input(stack, api, keys):
    base = str(api["admin"].http.base_url)
    spec = httpx.get(f"{base}/openapi.json").json()
    operations = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            ref = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                   .get("schema", {}).get("$ref", ""))
            fields = list(spec["components"]["schemas"][ref.split("/")[-1]]["properties"]) \
                if ref else []
            query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            operations.append((method.upper(), path, fields, query))
    assert len(operations) > 25
    http = httpx.Client(base_url=base, headers={"X-API-Key": keys["admin"]}, timeout=30)
    values = [stack.participant_id, stack.ap_wallet, "AAPL", "nope", "0x" + "00" * 20,
              "x" * 300, "%00", "-1"]

    @settings(max_examples=200, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, path, fields, query = data.draw(st.sampled_from(operations))
        url = path
        for name in [p[1:-1] for p in path.split("/") if p.startswith("{")]:
            url = url.replace("{" + name + "}", data.draw(st.sampled_from(values)))
        params = {q: data.draw(st.sampled_from(values) | st.text(max_size=10))
                  for q in query if data.draw(st.booleans())}
        if fields and data.draw(st.booleans()):
            body = {f: data.draw(st.sampled_from(values) | json_values) for f in fields
                    if data.draw(st.booleans())}
        else:
            body = data.draw(json_values)
        response = http.request(method, url, params=params,
                                json=body if method == "POST" else None,
                                headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code < 500, (method, url, params, body, response.text[:300])

    check()
    http.close()
