"""Configuration of the mock broker, read once from the environment (prefix ``CUSTODY_MOCK_``;
pydantic-settings, validated at start; SETTINGS.md lists them all)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, metrics_host, metrics_port


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTODY_MOCK_")

    database_url: str = Field(
        "sqlite:///custody_mock.db", repr=False,
        description="SQLAlchemy URL of the broker's own database. May hold a password: kept "
                    "out of repr.")
    start: dt.datetime = Field(default_factory=_utc_now,
                               json_schema_extra={"default_doc": "now"},
                               description="Simulated time the clock starts at when the "
                                           "database is new (ISO 8601; without an offset, UTC).")
    api_key: SecretStr = Field(SecretStr("mock-key"), json_schema_extra={"default_doc":
                                                                         "`mock-key`"},
                               description="Broker API key (HTTP basic user); empty disables "
                                           "authentication.")
    api_secret: SecretStr = Field(SecretStr("mock-secret"),
                                  json_schema_extra={"default_doc": "`mock-secret`"},
                                  description="Broker API secret (HTTP basic password).")
    control_key: SecretStr = Field(
        SecretStr("mock-control"), json_schema_extra={"default_doc": "`mock-control`"},
        description="Control API key (HTTP basic user of `/_mock/...`: the broker's own "
                    "operations, never a partner's or an account's); empty disables its "
                    "authentication.")
    control_secret: SecretStr = Field(
        SecretStr("mock-control-secret"),
        json_schema_extra={"default_doc": "`mock-control-secret`"},
        description="Control API secret (HTTP basic password of `/_mock/...`).")
    metrics_port: int = metrics_port(9700, "custody_mock", "CUSTODY_MOCK_")
    metrics_host: str = metrics_host()
    nra_withholding: Decimal = Field(
        Decimal("0.30"), ge=0, le=1, description="Withholding on dividends for an account whose "
                                                 "tax residence is not the US (no treaty rate).")
    market_buy_buffer: Decimal = Field(
        Decimal("0.05"), ge=0, description="Buying power held for a market buy above the last "
                                           "price, as a fraction.")
    max_page_size: int = Field(1000, ge=1, description="Largest page of activities one request "
                                                       "returns.")

    @field_validator("start", mode="before")
    @classmethod
    def _start_utc(cls, value: Any) -> Any:
        return parse_utc(value) if isinstance(value, str) else value

    @field_validator("start")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 time; one without an offset is taken as UTC."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
