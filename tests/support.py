"""Helpers shared by the service test suites: run the mock broker for real on loopback, a
fresh issuer database, random API requests."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy
import uvicorn
from hypothesis import strategies as st

from custody_mock.app import create_app
from custody_mock.settings import Settings

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh issuer database: a SQLite file (a copy of one migrated once per process), or its
    own schema on the PostgreSQL server."""
    if os.environ.get("ISSUER_TEST_DATABASE") != "postgresql":
        shutil.copyfile(_migrated_sqlite(), tmp_path / "issuer.db")
        yield f"sqlite:///{tmp_path / 'issuer.db'}"
        return
    schema = f"t{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


@functools.cache
def _migrated_sqlite() -> Path:
    """An empty issuer database at the newest revision, made once per test process."""
    from issuer.schema import upgrade

    path = Path(tempfile.mkdtemp(prefix="issuer-template-")) / "issuer.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Run the broker with ``settings`` on a free loopback port; yields its base URL."""
    app = create_app(settings)
    app.state.itn_dispatcher.start()   # lifespan is off under serve_app: started here
    try:
        with serve_app(app) as url:
            yield url
    finally:
        app.state.itn_dispatcher.stop()
        app.state.broker.close()


@contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


# ----------------------------------------------------------------------------- API fuzzing
# A small stand-in for schemathesis (which needs a newer hypothesis than brownie pins).

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=20)
    | st.sampled_from(["0", "-1", "1.0000000001", "1e400", "NaN", "AAPL", "buy", "market",
                       "day", "2024-10-07", "2024-10-07T14:00:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=8,
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    #: field names of the JSON body, when the operation takes one
    fields: tuple[str, ...]
    query: tuple[str, ...]


def openapi_operations(spec: dict, skip: Callable[[str, str], bool] = lambda m, p: False,
                       ) -> list[Operation]:
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if skip(method.upper(), path):
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            fields = tuple(spec["components"]["schemas"][ref.split("/")[-1]]["properties"]) \
                if ref else ()
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            out.append(Operation(method.upper(), path, fields, query))
    return out


def draw_request(data: st.DataObject, operations: list[Operation],
                 samples: list[str]) -> tuple[str, str, dict[str, str], object]:
    """An operation with random path parameters (from ``samples``), query parameters and a JSON
    body (random JSON, or the operation's own fields with random values)."""
    op = data.draw(st.sampled_from(operations))
    url = op.path
    for name in [p[1:-1] for p in op.path.split("/") if p.startswith("{")]:
        url = url.replace("{" + name + "}", data.draw(st.sampled_from(samples)))
    values = st.sampled_from(samples) | st.text(max_size=12)
    params = {q: data.draw(values) for q in op.query if data.draw(st.booleans())}
    if op.fields and data.draw(st.booleans()):
        body: object = {f: data.draw(st.sampled_from(samples) | JSON_VALUES) for f in op.fields
                        if data.draw(st.booleans())}
    else:
        body = data.draw(JSON_VALUES)
    return op.method, url, params, body if op.method in ("POST", "PUT", "PATCH") else None
