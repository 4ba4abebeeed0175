"""The issuer's front door, before any route runs: who is asking, how much they send, and
whether it holds NUL characters.

In this order, so that nothing costs the server anything before the caller is known:

1. NUL in the path or query string: 422 ``invalid_characters`` (PostgreSQL text cannot hold NUL;
   no identifier, amount or address contains one).
2. Authentication, on every route but the public ones (health, the OpenAPI document and its
   pages) and the operator console's (``/console``: its own sessions, :mod:`issuer.console`):
   a missing, unknown or revoked ``X-API-Key`` is a 401 before the body is read and
   before any field is validated, so an unauthenticated caller learns nothing of the API's
   rules. The key found is handed to the route (``scope["state"]["principal"]``). A source
   that failed ``ISSUER_AUTH_FAILURE_LIMIT`` times within ``ISSUER_AUTH_FAILURE_WINDOW``
   seconds is answered 429 ``too_many_failed_authentications`` with ``Retry-After`` before any
   key is looked at; the tokenization routes refuse (403 ``source_not_allowed``) a source
   outside ``ISSUER_ITN_ALLOWED_SOURCES`` when it is set. Both are counted in ``/metrics``.
3. The body, read up to :data:`MAX_BODY` bytes (a declared or an actual larger body is a 413
   ``body_too_large`` at once), then checked for NUL (raw or ``\\u0000``-escaped): 422.
"""

from __future__ import annotations

import hmac
import ipaddress
import re

import anyio

from issuer.api.auth import Principal, authenticate_key
from issuer.errors import PROBLEM_TYPE, IssuerError
from issuer.metrics import metrics_of
from issuer.service import Issuer
from servicekit.asgi import (
    ASGIApp,
    BodyTooLarge,
    Receive,
    Scope,
    Send,
    declared_length,
    read_body,
    replay,
    send_response,
)
from servicekit.problems import problem
from servicekit.throttle import FailureThrottle

#: The largest request body accepted (the largest real one, a batch of wallets, is a few kB).
MAX_BODY = 1 << 20
#: Routes anyone may call.
PUBLIC = ("/v1/health", "/docs", "/redoc", "/openapi.json", "/metrics", "/reserves",
          # what every browser asks for beside a page (the console, the public page): never
          # a failed authentication, which would throttle the browser's source
          "/favicon.ico")
#: The holders' voting routes: public (a ballot is authenticated by its signature).
VOTER = re.compile(r"^/v1/meetings/[^/]+/(voters/[^/]+|ballots|ballots/[^/]+|tally)$")
#: The tokenization network's routes: the broker calls them with the key the issuer gave it
#: (``ISSUER_ITN_API_KEY``), never an operator's key.
NETWORK = ("/accounts/connect", "/tokenized-assets", "/inkind/issuance",
           "/inkind/issuance/confirm")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, issuer: Issuer) -> None:
        self.app = app
        self.issuer = issuer
        settings = issuer.settings
        #: failed authentications per source (:mod:`servicekit.throttle`)
        self.throttle = FailureThrottle(settings.auth_failure_limit,
                                        settings.auth_failure_window)
        self.itn_sources = settings.itn_networks()

    def _allowed(self, source: str) -> bool:
        try:
            address = ipaddress.ip_address(source)
        except ValueError:
            return False
        return any(address in network for network in self.itn_sources)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower():
            await self._refuse(send, 422, "invalid_characters",
                               "the request contains a NUL character")
            return
        path = scope.get("path", "")
        if not (path in PUBLIC or path.startswith(("/docs/", "/public/")) or VOTER.match(path)
                or path == "/console" or path.startswith("/console/")):
            source = (scope.get("client") or ("unknown", 0))[0]
            api = "network" if path in NETWORK else "operator"
            if api == "network" and self.itn_sources and not self._allowed(source):
                metrics_of(self.issuer).auth_throttled.labels(
                    api, "source_not_allowed").inc()
                await self._refuse(send, 403, "source_not_allowed",
                                   "the tokenization routes take calls from the broker's "
                                   "addresses only (ISSUER_ITN_ALLOWED_SOURCES)")
                return
            if (wait := self.throttle.retry_after(source)) is not None:
                metrics_of(self.issuer).auth_throttled.labels(
                    api, "failed_authentication").inc()
                await send_response(send, problem(
                    PROBLEM_TYPE, 429, "too_many_failed_authentications",
                    f"too many failed authentications from this source; retry in {wait} s",
                    headers={"Retry-After": str(wait)}))
                return
            try:
                principal = await anyio.to_thread.run_sync(self._authenticate, scope)
            except IssuerError as refused:
                if refused.status == 401:
                    self.throttle.failed(source)
                    metrics_of(self.issuer).auth_failures.labels(api).inc()
                await send_response(send, problem(
                    PROBLEM_TYPE, refused.status, refused.code, refused.detail,
                    headers={"WWW-Authenticate": 'APIKey header="X-API-Key"'}))
                return
            scope.setdefault("state", {})["principal"] = principal
        declared = declared_length(scope)
        if declared is not None and declared > MAX_BODY:
            await self._refuse(send, 413, "body_too_large",
                               f"the body is {declared} bytes; at most {MAX_BODY} are accepted")
            return
        try:
            body = await read_body(receive, MAX_BODY)
        except BodyTooLarge:
            await self._refuse(send, 413, "body_too_large",
                               f"the body is larger than the {MAX_BODY} bytes accepted")
            return
        if b"\x00" in body or b"\\u0000" in body.lower():
            await self._refuse(send, 422, "invalid_characters",
                               "the request contains a NUL character")
            return
        await self.app(scope, replay(body, receive), send)

    def _authenticate(self, scope: Scope) -> Principal:
        clear = _header(scope, b"x-api-key")
        if scope.get("path", "") in NETWORK:
            expected = self.issuer.settings.itn_api_key.get_secret_value()
            if not expected:
                raise IssuerError(401, "unauthorized", "the tokenization network is not set up "
                                  "here (ISSUER_ITN_API_KEY)")
            if not clear or not hmac.compare_digest(clear.encode(), expected.encode()):
                raise IssuerError(401, "unauthorized", "unknown tokenization network key")
            return Principal("itn", "tokenization network", "viewer", "broker")
        with self.issuer.session() as db:
            return authenticate_key(db, clear)

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, detail: str) -> None:
        await send_response(send, problem(PROBLEM_TYPE, status, code, detail))
