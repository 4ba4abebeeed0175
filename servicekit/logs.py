"""Structured logs for both services (structlog on the standard library's logging).

One event per line, with key-value fields: JSON when ``LOG_FORMAT=json`` (production, log
shippers), readable key=value lines otherwise (a terminal, the devstack's run folder).
``LOG_LEVEL`` sets the level (default ``INFO``). Libraries that log through the standard
library (uvicorn, alembic) come out in the same format.

Use :func:`get` for a logger and log events as verbs with fields::

    log = logs.get(__name__)
    log.info("outbox.sent", key=key, tx_hash=tx_hash, nonce=nonce)
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

_configured = False


def configure(service: str, *, fmt: str | None = None, level: str | None = None) -> None:
    """Set up logging once per process, every event tagged with ``service``."""
    global _configured
    fmt = (fmt or os.environ.get("LOG_FORMAT", "console")).lower()
    level_name = (level or os.environ.get("LOG_LEVEL", "INFO")).upper()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _service(service),
    ]
    renderer: Any = (structlog.processors.JSONRenderer() if fmt == "json" else
                     structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level_name, logging.INFO))
    # httpx logs every request at INFO: the services log their own calls where they matter
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    _configured = True


def _service(name: str) -> Any:
    def add(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", name)
        return event
    return add


def get(name: str) -> Any:
    """A structured logger (before :func:`configure`, structlog's defaults apply)."""
    return structlog.stdlib.get_logger(name)


def bound(**fields: Any) -> Any:
    """A context manager: every event logged inside it (in this thread or task) carries
    ``fields``: a request id, or the id of the lifecycle a worker step moves (its
    correlation id)."""
    return structlog.contextvars.bound_contextvars(**fields)
