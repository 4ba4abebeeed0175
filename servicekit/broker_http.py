"""HTTP to a broker with retries that are safe, and errors a caller can act on; the base of the
mock's own typed client (:mod:`custody_mock.client`) and of the issuer's Alpaca adapter
(:mod:`issuer.broker.alpaca`), so the retry rules exist once.

Retry rules:

- reads (GET) retry on timeouts, connection errors, 5xx and 429 (honouring ``Retry-After``);
- a write identified by a client id (an order's ``client_order_id``, a journal's
  ``client_journal_id``) goes through :meth:`BrokerHttp._write_once`: after a timeout or a 5xx
  the caller's lookup by that id decides whether it went through, so a retried write is never
  applied twice;
- other writes retry only on 429 (never applied) and on a connection refused before sending;
  anything else raises :class:`BrokerUnavailable` with ``maybe_applied=True``.

Errors: :class:`BrokerRejected` (4xx: the request is wrong or not allowed now; ``code`` says why),
:class:`BrokerUnavailable` (the broker did not answer usefully within the retries).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import ssl
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from servicekit import logs

M = TypeVar("M", bound=BaseModel)
LOG = logs.get("broker_http")
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})



def seg(value: object) -> str:
    """One URL path segment, escaped: an id can never add a segment or climb out of its path
    (``x/../<other id>``), whatever it contains."""
    return quote(str(value), safe="")


class BrokerError(Exception):
    """Base of everything this client raises."""


class BrokerRejected(BrokerError):
    """The broker answered 4xx: nothing was done; ``code`` is the stable reason."""

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body


class BrokerUnavailable(BrokerError):
    """No useful answer after the retries. ``maybe_applied``: the write may have happened."""

    def __init__(self, message: str, *, maybe_applied: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.maybe_applied, self.status = maybe_applied, status

    @property
    def retry_safe(self) -> bool:
        """Whether sending the same request again cannot apply it twice."""
        return not self.maybe_applied


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process: httpx builds a context (and
    reads the CA bundle, about 20 ms) for each client otherwise."""
    return httpx.create_ssl_context()


class BrokerHttp:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "mock-key",
        api_secret: str = "mock-secret",
        timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 0.05,
        max_retry_after: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
    ) -> None:
        """``http``: an httpx client to use instead (for example FastAPI's TestClient)."""
        self._http = http or httpx.Client(base_url=base_url, auth=(api_key, api_secret),
                                          timeout=timeout, verify=tls_context())
        self.retries, self.backoff, self.max_retry_after = retries, backoff, max_retry_after
        self._sleep = sleep
        #: Calls by outcome since start (``request``: every request sent, ``rejected``: a 4xx
        #: answer, ``retry``, ``rate_limited``, ``unavailable``): read by the metrics.
        self.outcomes: collections.Counter[str] = collections.Counter()

    def close(self) -> None:
        self._http.close()

    def _auth_for(self, path: str) -> Any:  # noqa: ARG002 (a subclass reads it)
        """The credentials of a request to ``path``: the client's own (a subclass may use
        others for some paths)."""
        return httpx.USE_CLIENT_DEFAULT

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- transport

    def _send(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> httpx.Response:
        """One request with no retry; raises BrokerRejected on 4xx other than 429."""
        query = {k: _json(v) for k, v in (params or {}).items() if v is not None}
        self.outcomes["request"] += 1
        response = self._http.request(method, path, json=_json(body) if body is not None
                                      else None, params=query, auth=self._auth_for(path),
                                      headers=headers)
        if 400 <= response.status_code < 500 and response.status_code != 429:
            self.outcomes["rejected"] += 1
            raise _rejected(response)
        return response

    def _call(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None, idempotent: bool,
              headers: dict[str, str] | None = None) -> httpx.Response:
        """Send with retries: all failures for idempotent calls, 429 only for the others."""
        last = "no attempt"
        for attempt in range(self.retries + 1):
            try:
                response = self._send(method, path, body=body, params=params, headers=headers)
            except httpx.ConnectError as exc:  # nothing reached the server
                last = f"connection failed: {exc}"
            except httpx.TransportError as exc:
                if not idempotent:
                    raise BrokerUnavailable(f"{method} {path}: {exc!r}",
                                            maybe_applied=True) from exc
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code != 429 and not idempotent:
                    raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=True,
                                            status=response.status_code)
                if attempt < self.retries:
                    wait = self._delay(response, attempt)
                    self.outcomes["rate_limited" if response.status_code == 429 else
                                  "retry"] += 1
                    LOG.warning("broker.rate_limited" if response.status_code == 429 else
                                "broker.retry", method=method, path=path, attempt=attempt + 1,
                                reason=last, wait_s=wait)
                    self._sleep(wait)
                    continue
                self.outcomes["unavailable"] += 1
                raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=not
                                        idempotent and response.status_code != 429,
                                        status=response.status_code)
            if attempt < self.retries:
                self.outcomes["retry"] += 1
                LOG.warning("broker.retry", method=method, path=path, attempt=attempt + 1,
                            reason=last, wait_s=self.backoff * 2**attempt)
                self._sleep(self.backoff * 2**attempt)
        self.outcomes["unavailable"] += 1
        LOG.error("broker.unavailable", method=method, path=path, reason=last)
        raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=not idempotent)

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            if (after := response.headers.get("Retry-After")) is not None:
                return min(float(after), self.max_retry_after)
            if (reset := response.headers.get("X-RateLimit-Reset")) is not None:
                return min(max(0.0, float(reset) - time.time()), self.max_retry_after)
        return self.backoff * 2.0**attempt

    def _get(self, model: type[M], path: str, **params: Any) -> M:
        return model.model_validate(self._call("GET", path, params=params,
                                               idempotent=True).json())

    def _get_or_none(self, model: type[M], path: str, **params: Any) -> M | None:
        """A GET that answers None for a 404 (the thing does not exist)."""
        try:
            return self._get(model, path, **params)
        except BrokerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def _get_list(self, model: type[M], path: str, **params: Any) -> list[M]:
        data = self._call("GET", path, params=params, idempotent=True).json()
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]

    def _write(self, model: type[M], method: str, path: str, body: Any = None,
               *, idempotent: bool = False, headers: dict[str, str] | None = None) -> M:
        return model.model_validate(self._call(method, path, body=body, idempotent=idempotent,
                                               headers=headers).json())

    # ------------------------------------------------------------------------- at-most-once

    def _write_once(self, send: Callable[[], httpx.Response],
                    lookup: Callable[[], M | None], model: type[M], *,
                    duplicate_code: str, same: Callable[[M], bool]) -> M:
        last = "no attempt"
        for attempt in range(self.retries + 1):
            response = None
            try:
                response = send()
            except BrokerRejected as exc:
                if exc.code != duplicate_code:
                    raise
                existing = lookup()
                if existing is not None and same(existing):
                    return existing  # an earlier attempt went through
                raise
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return model.model_validate(response.json())
                last = f"HTTP {response.status_code}"
            if not (response is not None and response.status_code == 429):
                existing = self._lookup_quietly(lookup)
                if existing is not None:
                    return existing
            if attempt < self.retries:
                self._sleep(self._delay(response, attempt) if response is not None
                            else self.backoff * 2**attempt)
        raise BrokerUnavailable(f"write not confirmed: {last}", maybe_applied=False)

    def _lookup_quietly(self, lookup: Callable[[], M | None]) -> M | None:
        try:
            return lookup()
        except BrokerUnavailable:
            return None


def stream_after(page: Callable[[str | None], list[Any]], cursor: str | None,
                 page_size: int) -> Iterator[Any]:
    """Every entry after ``cursor`` (an id), once each and in stream order, from ``page``
    (which answers up to ``page_size`` entries after a given id). Ids sort in stream order,
    so repeated or reordered entries in a page are sorted and skipped; persist the id of the
    last entry processed as the next cursor."""
    while True:
        entries = page(cursor)
        fresh = sorted({e.id: e for e in entries if cursor is None or e.id > cursor}.values(),
                       key=lambda e: e.id)
        if not fresh:
            return
        for entry in fresh:
            yield entry
            cursor = entry.id
        if len({e.id for e in entries}) < page_size:
            return


def _rejected(response: httpx.Response) -> BrokerRejected:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    detail = data.get("detail") or data.get("message") or response.text[:200]
    return BrokerRejected(response.status_code, str(data.get("code", "http_error")),
                          str(detail), data)
