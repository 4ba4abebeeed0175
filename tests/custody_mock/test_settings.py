"""The broker's settings: every one can be set from the environment, and no secret prints."""

from __future__ import annotations

from decimal import Decimal

from custody_mock.settings import Settings


def test_every_setting_comes_from_the_environment_and_secrets_stay_out_of_repr(monkeypatch):
    values = {"CUSTODY_MOCK_DATABASE_URL": "postgresql://u:hunter2@db/broker",
              "CUSTODY_MOCK_API_KEY": "k-123", "CUSTODY_MOCK_API_SECRET": "s-456",
              "CUSTODY_MOCK_NRA_WITHHOLDING": "0.15", "CUSTODY_MOCK_MARKET_BUY_BUFFER": "0.1",
              "CUSTODY_MOCK_MAX_PAGE_SIZE": "50", "CUSTODY_MOCK_START": "2024-10-07T14:00:00Z"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.market_buy_buffer, settings.max_page_size,
            settings.nra_withholding) == (Decimal("0.1"), 50, Decimal("0.15"))
    assert (settings.api_key.get_secret_value(), settings.api_secret.get_secret_value()) == \
        ("k-123", "s-456")
    shown = repr(settings)
    assert not any(secret in shown for secret in ("hunter2", "k-123", "s-456"))
