"""What both services share for Prometheus (``prometheus-client``): the HTTP latency histogram
as ASGI middleware, and the ``/metrics`` answer.

Each service keeps its own :class:`~prometheus_client.CollectorRegistry` (one per application
object, so tests can build many), and registers what it knows on it.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.responses import Response

from servicekit.asgi import ASGIApp, Message, Receive, Scope, Send

#: Seconds; fine below 50 ms, where the API's reads should be.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)


def http_histogram(prefix: str, registry: CollectorRegistry) -> Histogram:
    return Histogram(f"{prefix}_http_request_duration_seconds",
                     "HTTP requests by method, route template and status code",
                     ("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=registry)


class HttpMetrics:
    """ASGI middleware: every HTTP request's duration, labelled by its route's template
    (``/v1/creations/{creation_id}``, never the id itself: bounded label values), method and
    status. Put it outermost, so refusals by other middleware count too."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = route_template(scope) or "unmatched"
            self.histogram.labels(scope.get("method", ""), route, str(status)).observe(
                time.perf_counter() - start)


def route_template(scope: Scope) -> str | None:
    """The template of the route that answered (``/v1/creations/{creation_id}``), whole even
    when the route sits in a nested router whose own path leaves out its parents' prefix;
    None when no route matched."""
    route = scope.get("route")
    template: str | None = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return None
    path: str = scope.get("path", "")
    try:
        rendered = template.format(**{k: str(v) for k, v in
                                      (scope.get("path_params") or {}).items()})
    except (KeyError, IndexError, ValueError):
        return template
    if path.endswith(rendered) and path != rendered:
        return path[: len(path) - len(rendered)] + template
    return template


def exposition(registry: CollectorRegistry) -> Response:
    """The registry in Prometheus' text format."""
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
