"""One settings system for both services (pydantic-settings).

Each service declares a :class:`ServiceSettings` subclass with its environment prefix
(``ISSUER_``, ``CUSTODY_MOCK_``): typed fields, secrets as :class:`~pydantic.SecretStr` (never in
``repr``, logs or errors), each documented by its ``description``. They are validated when the
service starts: :func:`load` turns a validation error into one line per bad setting, naming the
environment variable, and the process exits with status 2 instead of a traceback.

``python -m toolchain.settings_table`` prints the table of every setting of both services
(``SETTINGS.md`` is its output, and a test keeps them equal).
"""

from __future__ import annotations

import sys
from typing import Any, Self

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_default=True,
                                      case_sensitive=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """The environment's settings, ``overrides`` (keyword arguments) winning; raises
        :class:`SettingsError` naming each bad variable."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            raise SettingsError(cls, exc) from None

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes``, validated like the original."""
        return type(self).from_env(**{**dict(self), **changes})

    @classmethod
    def env_name(cls, field: str) -> str:
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()


def metrics_port(default: int, program: str, env_prefix: str) -> Any:
    """The port a service's ``python -m`` serves its Prometheus ``/metrics`` on."""
    return Field(default, ge=0, le=65535, description=(
        f"Port of the Prometheus `/metrics` of `python -m {program}` (a port of its own, on "
        f"`{env_prefix}METRICS_HOST`, so the public API port does not serve it); 0: served on "
        "the API's own port instead."))


def metrics_host() -> Any:
    return Field("127.0.0.1", description="Address the metrics port listens on.")


class SettingsError(ValueError):
    """Settings that do not validate: one line per bad setting, with its variable."""

    def __init__(self, cls: type[ServiceSettings], error: ValidationError) -> None:
        lines = []
        for item in error.errors(include_url=False, include_input=False):
            field = str(item["loc"][0]) if item["loc"] else ""
            lines.append(f"{cls.env_name(field) if field else '(settings)'}: {item['msg']}")
        self.lines = lines
        super().__init__("invalid settings:\n  " + "\n  ".join(lines))


def load(cls: type[ServiceSettings], program: str, **overrides: Any) -> Any:
    """Settings for a service's entry point: a bad setting ends the process with a clear
    message (status 2)."""
    try:
        return cls.from_env(**overrides)
    except SettingsError as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def table(*classes: type[ServiceSettings]) -> str:
    """A Markdown table of every setting of ``classes``: variable, type, default, meaning."""
    rows = ["| Variable | Type | Default | What it sets |", "|---|---|---|---|"]
    for cls in classes:
        for name, info in cls.model_fields.items():
            annotation = info.annotation
            kind = getattr(annotation, "__name__", str(annotation)).replace("typing.", "")
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if annotation is SecretStr:
                kind = "secret"
            if "default_doc" in extra:
                default = str(extra["default_doc"])
            elif annotation is SecretStr:
                default = "(empty)" if not info.default else "(set)"
            else:
                default = f"`{info.default}`" if info.default not in ("", None) else "(empty)"
            if kind == "Literal":
                kind = " / ".join(f"`{v}`" for v in annotation.__args__)  # type: ignore[union-attr]
            text = " ".join((info.description or "").split()).replace("|", "\\|")
            rows.append(f"| `{cls.env_name(name)}` | {kind} | {default} | {text} |")
    return "\n".join(rows) + "\n"
