"""Refuse NUL characters anywhere in a request (path, query, JSON body) with a 422.

PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep in the database; no
legitimate identifier, amount or address contains one.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PROBLEM = "https://github.com/tokenized-stock-stack/issuer/problems/invalid_characters"


class RefuseNul:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        path = scope.get("path", "")
        query = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query.lower() or b"\x00" in body \
                or b"\\u0000" in body.lower():
            payload = json.dumps({"type": PROBLEM, "title": "invalid characters",
                                  "status": 422, "code": "invalid_characters",
                                  "detail": "the request contains a NUL character"}).encode()
            await send({"type": "http.response.start", "status": 422,
                        "headers": [(b"content-type", b"application/problem+json"),
                                    (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
