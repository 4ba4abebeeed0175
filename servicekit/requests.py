"""Request ids for both services (ASGI middleware).

Every request gets an id: the caller's ``X-Request-ID`` when it is a sane token (up to 64 of
``A-Z a-z 0-9 . _ -``), a new one otherwise. It is bound to every log event the request causes
(``request_id``), returned in the response's ``X-Request-ID`` header, and one ``http.request``
line per request records method, route, status and duration.
"""

from __future__ import annotations

import re
import time
import uuid

from servicekit import logs
from servicekit.asgi import ASGIApp, Message, Receive, Scope, Send
from servicekit.metrics import route_template

HEADER = b"x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOG = logs.get("http")


def request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == HEADER:
            text: str = value.decode("latin-1")
            if _SANE.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid, start, status = request_id(scope), time.perf_counter(), 500

        async def tag(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        with logs.bound(request_id=rid):
            try:
                await self.app(scope, receive, tag)
            finally:
                route = route_template(scope) or scope.get("path", "")
                LOG.info("http.request", method=scope.get("method"), route=route,
                         status=status, duration_ms=round((time.perf_counter() - start) * 1000,
                                                          1))
