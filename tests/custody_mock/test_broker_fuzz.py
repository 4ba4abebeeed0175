"""Random input against every endpoint of the broker's OpenAPI spec: never a 5xx.

A home-made stand-in for schemathesis (which needs a newer hypothesis than brownie pins): for
each operation, hypothesis draws path parameters, query parameters and a JSON body (random JSON,
or the operation's own field names with random values), and the answer must be below 500.
"""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=20)
    | st.sampled_from(["0", "-1", "1.0000000001", "1e400", "NaN", "AAPL", "buy", "market",
                       "day", "2024-10-07", "2024-10-07T14:00:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=8,
)
UNSAFE = {("POST", "/_mock/reset"), ("DELETE", "/_mock/faults")}


def _operations(spec: dict) -> list[tuple[str, str, list[str], list[str]]]:
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if (method.upper(), path) in UNSAFE or path.startswith("/_mock/clock") \
                    or path == "/_mock/eod" or path == "/_mock/faults":
                continue  # moving the clock or arming faults would change later examples
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            fields = list(spec["components"]["schemas"][ref.split("/")[-1]]["properties"]) \
                if ref else []
            query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            out.append((method.upper(), path, fields, query))
    return out


def test_no_operation_answers_5xx_to_random_input(broker, broker_url, funded):
    spec = httpx.get(f"{broker_url}/openapi.json").json()
    operations = _operations(spec)
    assert len(operations) > 20
    http = httpx.Client(base_url=broker_url, auth=("mock-key", "mock-secret"), timeout=10)

    @settings(max_examples=300, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, path, fields, query = data.draw(st.sampled_from(operations))
        url = path
        for name in [p[1:-1] for p in path.split("/") if p.startswith("{")]:
            value = data.draw(st.sampled_from([funded, "AAPL", "nope", "%00", "x" * 300]))
            url = url.replace("{" + name + "}", value)
        url = url.replace("{account_id}", funded)
        params = {q: data.draw(st.text(max_size=12)) for q in query
                  if data.draw(st.booleans())}
        if fields and data.draw(st.booleans()):
            body = {f: data.draw(json_values) for f in fields if data.draw(st.booleans())}
        else:
            body = data.draw(json_values)
        response = http.request(method, url, params=params,
                                json=body if method in ("POST", "PUT", "PATCH") else None)
        assert response.status_code < 500, (method, url, params, body, response.text[:300])

    check()
    http.close()
