"""Refuse NUL characters anywhere in a request (path, query, JSON body) with a 422.

PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep in the database; no
legitimate identifier, amount or address contains one.
"""

from __future__ import annotations

from issuer.errors import PROBLEM_TYPE
from servicekit.asgi import ASGIApp, Receive, Scope, Send, read_body, replay, send_response
from servicekit.problems import problem


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if ("\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower()
                or b"\x00" in body or b"\\u0000" in body.lower()):
            await send_response(send, problem(PROBLEM_TYPE, 422, "invalid_characters",
                                              "the request contains a NUL character"))
            return
        await self.app(scope, replay(body, receive), send)
