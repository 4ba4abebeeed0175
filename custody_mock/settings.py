"""Configuration of the mock broker, read once from the environment (prefix ``CUSTODY_MOCK_``)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Settings:
    #: SQLAlchemy URL of the broker's own database.
    #: May hold a database password: kept out of ``repr`` like the API secret.
    database_url: str = field(default="sqlite:///custody_mock.db", repr=False)
    #: Simulated time the clock starts at when the database is new.
    start: dt.datetime = field(default_factory=_utc_now)
    #: HTTP basic credentials, as the Broker API takes them; empty key disables authentication.
    api_key: str = field(default="mock-key", repr=False)
    api_secret: str = field(default="mock-secret", repr=False)
    #: Withholding on dividends for an account whose tax residence is not the US (no treaty rate).
    default_nra_withholding: Decimal = Decimal("0.30")
    #: Buying power held for a market buy above the last price, as a fraction.
    market_buy_buffer: Decimal = Decimal("0.05")
    #: Largest page of activities one request returns.
    max_page_size: int = 1000

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if url := env.get("CUSTODY_MOCK_DATABASE_URL"):
            values["database_url"] = url
        if start := env.get("CUSTODY_MOCK_START"):
            values["start"] = parse_utc(start)
        if "CUSTODY_MOCK_API_KEY" in env:
            values["api_key"] = env["CUSTODY_MOCK_API_KEY"]
        if "CUSTODY_MOCK_API_SECRET" in env:
            values["api_secret"] = env["CUSTODY_MOCK_API_SECRET"]
        if rate := env.get("CUSTODY_MOCK_NRA_WITHHOLDING"):
            values["default_nra_withholding"] = Decimal(rate)
        if buffer := env.get("CUSTODY_MOCK_MARKET_BUY_BUFFER"):
            values["market_buy_buffer"] = Decimal(buffer)
        if size := env.get("CUSTODY_MOCK_MAX_PAGE_SIZE"):
            values["max_page_size"] = int(size)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 time; one without an offset is taken as UTC."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
