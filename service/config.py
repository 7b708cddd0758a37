"""Service settings, read from ``FOOTPRINT_*`` environment variables.

Every setting has a documented default (see the README's configuration table). ``Settings.from_env``
is the only place that reads the environment; ``create_app(config=...)`` may override any field, which
is how the tests build apps with other limits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

ENV_PREFIX = "FOOTPRINT_"


class ConfigError(ValueError):
    """A ``FOOTPRINT_*`` variable holds a value the service cannot use."""


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name.upper()}: expected true/false, got {raw!r}")


def _parse_csv(_name: str, raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Runtime settings of one app instance.

    Field names map to environment variables: ``max_body_bytes`` <- ``FOOTPRINT_MAX_BODY_BYTES``.
    """

    #: Largest accepted request body in bytes; larger bodies get 413.
    max_body_bytes: int = 1_048_576
    #: Largest number of items in one batch request.
    max_batch_items: int = 1000
    #: Require an API key on /v1 endpoints.
    auth_enabled: bool = False
    #: Comma-separated SHA-256 hex digests of accepted API keys.
    api_key_hashes: tuple[str, ...] = ()
    #: Comma-separated origins allowed by CORS; empty allows none.
    cors_allowed_origins: tuple[str, ...] = ()
    #: Log level of the service's JSON logs.
    log_level: str = "INFO"
    #: Include request bodies in debug logs (off: payloads are never logged).
    log_payloads: bool = False
    #: Write one JSON access line per request to stdout (method, path, status, duration, request id).
    access_log: bool = True
    #: Directory of reference data; empty uses the data shipped in the package.
    data_dir: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is None:
                continue
            values[field.name] = _coerce(field.name, field.type, raw)
        return cls(**values)

    def merged(self, overrides: Mapping[str, Any] | None) -> Settings:
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(unknown)}")
        return replace(self, **overrides)


def _coerce(name: str, annotation: Any, raw: str) -> Any:
    text = str(annotation)
    if text == "bool":
        return _parse_bool(name, raw)
    if text == "int":
        try:
            value = int(raw)
        except ValueError as exc:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()}: expected an integer, got {raw!r}") from exc
        if value < 1:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()}: expected an integer >= 1, got {value}")
        return value
    if text.startswith("tuple"):
        return _parse_csv(name, raw)
    return raw
