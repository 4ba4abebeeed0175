"""The reserve for everyone, with no key: ``/public/v1/reserves``, ``/public/v1/reserves/{symbol}``
and its signed ``history``, and the page ``/reserves``.

The figures come from ``public_views`` (a worker refreshes them, :mod:`issuer.public`); each
process keeps the serialized answers in memory for ``TTL`` seconds, so a request is a dictionary
lookup and a write of bytes (``bench/public_reserves.py`` measures it). A symbol no worker
has computed yet is computed by the first request for it, once.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from issuer import public
from issuer.api.context import issuer_of
from issuer.api.schemas import PublicReserveOut, PublicSnapshotOut
from issuer.corporate.name_changes import listing_of
from issuer.errors import not_found
from issuer.models import PublicSnapshot, PublicView
from issuer.service import Issuer

#: Seconds a process serves a cached answer before it reads the worker's figures again.
TTL = 1.0
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parents[2] / "templates"),
                        autoescape=select_autoescape(), trim_blocks=True, lstrip_blocks=True)

router = APIRouter(prefix="/public/v1", tags=["public reserves"])
page_router = APIRouter(tags=["public reserves"])


class _Cache:
    """Serialized answers per key, each for ``TTL`` seconds."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: str, value: bytes) -> bytes:
        with self._lock:
            self._entries[key] = (time.monotonic() + TTL, value)
        return value


def _cache(request: Request) -> _Cache:
    return cache_of(request.app.state)


def cache_of(state: Any) -> _Cache:
    """The app's cache of public answers (made on first use)."""
    if not hasattr(state, "public_cache"):
        state.public_cache = _Cache()
    cache: _Cache = state.public_cache
    return cache


@dataclass(frozen=True)
class _Route:
    """What the fast path needs to answer a cached path as its route would."""

    key: str
    media_type: bytes
    template: str


def _fast_route(path: str) -> _Route | None:
    if path == "/public/v1/reserves":
        return _Route("reserves", b"application/json", path)
    if path == "/reserves":
        return _Route("page", b"text/html; charset=utf-8", path)
    prefix = "/public/v1/reserves/"
    if path.startswith(prefix) and "/" not in path[len(prefix):]:
        return _Route(f"reserve:{path[len(prefix):].upper()}", b"application/json",
                      prefix + "{symbol}")
    return None


class _TemplateRoute:
    """Stands in for the matched route in the ASGI scope, for the request metrics."""

    def __init__(self, template: str) -> None:
        self.path_format = template


class PublicFastPath:
    """ASGI middleware: a GET of a public reserve path whose answer is in the cache is answered
    here, without routing, authentication or body reading (what lets the public figures take
    a thousand requests a second beside the workers); anything else, a cache miss included,
    goes on to the app, whose route fills the cache."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.cache = cache_of(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET" \
                and not scope.get("query_string") \
                and (route := _fast_route(scope.get("path", ""))) is not None \
                and (body := self.cache.get(route.key)) is not None:
            scope["route"] = _TemplateRoute(route.template)
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", route.media_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", CACHE_CONTROL)]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _views(issuer: Issuer) -> dict[str, dict[str, Any]]:
    """Every symbol's figures as a worker last stored them; a symbol no worker has computed
    yet (the service just started, or ``ISSUER_PUBLIC_REFRESH=0``) is computed now, once."""
    with issuer.session() as db:
        views = {row.symbol: json.loads(row.body) for row in db.scalars(select(PublicView))}
    for symbol in issuer.chain.stocks:
        if symbol not in views:
            views[symbol] = json.loads(public.refresh_symbol(issuer, symbol)[0])
    return views


async def _cached(request: Request, key: str, build: Any) -> bytes:
    cache = _cache(request)
    if (hit := cache.get(key)) is not None:
        return hit
    return cache.put(key, await anyio.to_thread.run_sync(build))


CACHE_CONTROL = f"public, max-age={int(TTL)}".encode()


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json",
                    headers={"Cache-Control": CACHE_CONTROL.decode()})


@router.get("/reserves", response_model=list[PublicReserveOut],
            responses={200: {"model": list[PublicReserveOut]}})
async def public_reserves(request: Request) -> Response:
    """Every symbol's supply against custody, as a worker last computed it."""
    issuer = issuer_of(request)

    def build() -> bytes:
        views = _views(issuer)
        return json.dumps([views[s] for s in issuer.chain.stocks if s in views]).encode()

    return _json(await _cached(request, "reserves", build))


@router.get("/reserves/{symbol}", response_model=PublicReserveOut,
            responses={404: {"description": "no such symbol"}})
async def public_reserve(symbol: str, request: Request) -> Response:
    """One symbol's figures: raw supply, multiplier (and the pending one with its effective
    time), economic supply, custody settled and pending, surplus, the last attestation and its
    transaction, open lifecycles and their oldest age, halts, announced corporate actions, and
    its feeds' addresses."""
    issuer = issuer_of(request)
    key = listing_of(issuer, symbol)   # the listing's own symbol, or a ticker it traded as
    if key not in issuer.chain.stocks:
        raise not_found("symbol", symbol)

    def build() -> bytes:
        return json.dumps(_views(issuer)[key]).encode()

    return _json(await _cached(request, f"reserve:{key}", build))


@router.get("/reserves/{symbol}/history", response_model=list[PublicSnapshotOut])
def public_history(symbol: str, request: Request,
                   after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Signed snapshots, oldest first from ``after`` (an id): one per broker day and one per
    attestation. Each carries the canonical JSON it signs (``body``), the EIP-712 typed data,
    the signature and the signer's address."""
    issuer = issuer_of(request)
    key = listing_of(issuer, symbol)   # the listing's own symbol, or a ticker it traded as
    if key not in issuer.chain.stocks:
        raise not_found("symbol", symbol)
    with issuer.session() as db:
        rows = db.scalars(select(PublicSnapshot).where(
            PublicSnapshot.symbol == key, PublicSnapshot.id > after)
            .order_by(PublicSnapshot.id).limit(limit))
        return [public.snapshot_out(issuer, row) for row in rows]


def _chart(points: list[tuple[str, float, float]]) -> dict[str, Any]:
    """Polylines of tokens out and shares held (pixel coordinates of a 600 x 160 chart)."""
    if not points:
        return {"supply": "", "custody": "", "top": 0, "first": "", "last": ""}
    top = max(max(s, c) for _, s, c in points) or 1.0
    step = 600 / max(len(points) - 1, 1)

    def line(values: list[float]) -> str:
        return " ".join(f"{i * step:.1f},{160 - 150 * v / top:.1f}" for i, v in enumerate(values))

    return {"supply": line([s for _, s, _ in points]), "custody": line([c for _, _, c in points]),
            "top": top, "first": points[0][0], "last": points[-1][0]}


@page_router.get("/reserves", response_class=Response, include_in_schema=False)
async def reserves_page(request: Request) -> Response:
    """The transparency page: per symbol, the shares held against the tokens out, the last
    attestation, and the history as a chart (inline SVG; no script, no external asset)."""
    issuer = issuer_of(request)

    def build() -> bytes:
        views = _views(issuer)
        symbols = []
        with issuer.session() as db:
            for symbol in issuer.chain.stocks:
                if symbol not in views:
                    continue
                rows = list(db.scalars(select(PublicSnapshot).where(
                    PublicSnapshot.symbol == symbol).order_by(PublicSnapshot.id.desc())
                    .limit(60)))[::-1]
                history = [json.loads(r.body) for r in rows]
                # pixel coordinates only: the figures shown are the exact strings
                points = [(h["broker_time"][:10], float(h["economic_supply"]),
                           float(h["custody_settled"]) + float(h["custody_pending"]))
                          for h in history]
                symbols.append({"v": views[symbol], "chart": _chart(points),
                                "snapshots": len(rows)})
        return TEMPLATES.get_template("reserves.html").render(
            symbols=symbols, chain_id=issuer.chain.chain_id,
            generated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")).encode()

    body = await _cached(request, "page", build)
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": CACHE_CONTROL.decode()})
