"""Values read once per worker pass: a context variable the worker sets around each pass, so
API threads (and calls outside a pass) always read afresh.

Use only for reads whose staleness within one pass is harmless where they are used (a creation
ordering while its token was paused a moment ago: the mint, much later, reads it again)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_PASS: ContextVar[dict[Any, Any] | None] = ContextVar("issuer_pass", default=None)


@contextmanager
def scope() -> Iterator[None]:
    token = _PASS.set({})
    try:
        yield
    finally:
        _PASS.reset(token)


def once(key: Any, read: Callable[[], T]) -> T:
    """``read()``, made once per pass for ``key`` (every time outside a pass)."""
    memo = _PASS.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    value: T = memo[key]
    return value
