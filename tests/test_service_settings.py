"""Both services' settings: one typed system, validated at start with the variable named,
secrets kept out of every printout, and SETTINGS.md generated from the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from custody_mock.settings import Settings as BrokerSettings
from issuer.config import Settings as IssuerSettings
from servicekit.settings import SettingsError
from toolchain import settings_table

ROOT = Path(__file__).resolve().parent.parent


def test_settings_md_is_what_the_code_declares():
    assert settings_table.PATH.read_text() == settings_table.render(), \
        "SETTINGS.md is stale: run python -m toolchain.settings_table --write"
    for cls in (IssuerSettings, BrokerSettings):
        for name in cls.model_fields:
            assert f"`{cls.env_name(name)}`" in settings_table.render()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ISSUER_MINT_POLICY", "sometimes", "'on_settlement' or 'on_fill'"),
    ("ISSUER_CONFIRMATIONS", "-1", "greater than or equal to 0"),
    ("ISSUER_MINT_BATCH_MAX", "many", "valid integer"),
    ("ISSUER_UNSETTLED_CAP", "1e", "decimal"),
    ("ISSUER_WORKER_INTERVAL", "0", "greater than 0"),
    ("ISSUER_CASH_IN_LIEU", "keep", "'reinvest' or 'surplus'"),
])
def test_a_bad_issuer_setting_is_named_with_its_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        IssuerSettings.from_env()
    assert refused.value.lines[0].startswith(f"{variable}: ")
    assert message in str(refused.value)
    if len(value) > 2:
        assert value not in str(refused.value)   # the value is not echoed


def test_a_typo_in_a_setting_name_is_ignored_but_an_unknown_keyword_is_refused():
    with pytest.raises(SettingsError):
        IssuerSettings.from_env(mint_polcy="on_fill")


def test_issuer_secrets_are_secret_types_and_never_printed(monkeypatch):
    monkeypatch.setenv("ISSUER_SUPPLY_KEY", "0x" + "ab" * 32)
    monkeypatch.setenv("ISSUER_ITN_API_KEY", "itn-secret-1")
    monkeypatch.setenv("ISSUER_DATABASE_URL", "postgresql://u:hunter2@db/issuer")
    settings = IssuerSettings.from_env()
    assert settings.supply_key.get_secret_value() == "0x" + "ab" * 32
    shown = repr(settings) + str(settings) + str(settings.model_dump(exclude={"database_url"}))
    assert not any(s in shown for s in ("ab" * 32, "itn-secret-1", "hunter2"))
    changed = settings.replace(mint_batch_max=3)
    assert changed.mint_batch_max == 3 and changed.itn_api_key.get_secret_value() == \
        "itn-secret-1"
    with pytest.raises(SettingsError):
        settings.replace(mint_batch_max=0)


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "issuer", "worker", "--passes", "1"],
    [sys.executable, "-m", "custody_mock", "--port", "1"],
])
def test_a_service_refuses_to_start_on_a_bad_setting_with_a_clear_line(command):
    env = {"PATH": "/usr/bin:/bin", "ISSUER_MINT_POLICY": "x",
           "CUSTODY_MOCK_MAX_PAGE_SIZE": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert ("ISSUER_MINT_POLICY: Input should be" in done.stderr or
            "CUSTODY_MOCK_MAX_PAGE_SIZE: Input should be greater than or equal to 1"
            in done.stderr)
