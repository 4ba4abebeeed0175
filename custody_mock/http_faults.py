"""HTTP-level faults (5xx, timeouts, 429) as ASGI middleware in front of the Broker API.

- ``http_error``: answer ``params.status`` (default 503); with ``params.applied`` the request is
  carried out first and its answer thrown away, as when a gateway fails after the backend worked.
- ``timeout``: hold the answer for ``params.delay_ms`` (default 3000); with ``params.applied`` the
  request is carried out and its real answer comes late (a client that gave up never sees it),
  without it the request is never carried out and a 504 comes after the delay.
- ``rate_limit``: 429 with ``Retry-After`` (``params.retry_after`` seconds, default 1) and
  ``X-RateLimit-Reset`` (Unix time the window resets), as Alpaca sends them.

The control API (``/_mock``) and the docs are never faulted.
"""

from __future__ import annotations

import json
import time

import anyio
from anyio import to_thread

from custody_mock import faults
from custody_mock.errors import problem
from custody_mock.models import Fault
from custody_mock.service import Broker
from servicekit.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    read_body,
    replay,
    send_response,
)

UNFAULTED = ("/_mock", "/docs", "/redoc", "/openapi.json", "/healthz", "/metrics")


class HttpFaults:
    def __init__(self, app: ASGIApp, broker: Broker) -> None:
        self.app = app
        self.broker = broker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"].startswith(UNFAULTED)
                or not self.broker.http_faults_armed()):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        again = replay(body, receive)
        endpoint = f"{scope['method']} {scope['path']}"
        symbol, account_id = _scope_of(scope["path"], body)
        rule = await to_thread.run_sync(self._take, endpoint, symbol, account_id)
        if rule is None:
            await self.app(scope, again, send)
            return
        params = rule.params or {}
        if rule.kind == "rate_limit":
            wait = int(params.get("retry_after", 1))
            headers = {"Retry-After": str(wait), "X-RateLimit-Limit": "200",
                       "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": str(int(time.time()) + wait)}
            await send_response(send, problem(429, "rate_limited", "too many requests (injected)",
                                      headers=headers))
        elif rule.kind == "http_error":
            if params.get("applied", False):
                await self.app(scope, again, _discard)
            status = int(params.get("status", 503))
            await send_response(send, problem(status, "upstream_error", f"injected HTTP {status}"))
        else:  # timeout
            delay = int(params.get("delay_ms", 3000)) / 1000
            if params.get("applied", False):
                captured: list[Message] = []
                await self.app(scope, again, _capture(captured))
                await anyio.sleep(delay)
                for message in captured:
                    await send(message)
            else:
                await anyio.sleep(delay)
                await send_response(send, problem(504, "gateway_timeout", "injected timeout"))

    def _take(self, endpoint: str, symbol: str | None, account_id: str | None) -> Fault | None:
        with self.broker.transaction() as ctx:
            for kind in ("rate_limit", "http_error", "timeout"):
                rule = faults.take(ctx, kind, symbol=symbol, account_id=account_id,
                                   endpoint=endpoint)
                if rule is not None:
                    ctx.db.flush()
                    ctx.db.expunge(rule)  # read after the transaction ends
                    self.broker.faults_changed()
                    return rule
        return None


def _scope_of(path: str, body: bytes) -> tuple[str | None, str | None]:
    parts = path.strip("/").split("/")
    account_id = parts[parts.index("accounts") + 1] if "accounts" in parts[:-1] else None
    symbol = None
    if "positions" in parts[:-1]:
        symbol = parts[parts.index("positions") + 1].upper()
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            if isinstance(data.get("symbol"), str):
                symbol = data["symbol"].upper()
            if account_id is None and isinstance(data.get("from_account"), str):
                account_id = data["from_account"]
    return symbol, account_id


async def _discard(_message: Message) -> None:
    return None


def _capture(into: list[Message]) -> Send:
    async def send(message: Message) -> None:
        into.append(message)

    return send
