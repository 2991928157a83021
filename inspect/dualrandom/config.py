"""Settings: declared once, read at the edge, passed down.

Only the CLI (and tests) call :func:`load_settings`; nothing below it reads
the environment or ``config.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dualrandom.errors import ConfigError

__all__ = [
    "DATABASE_URL_ENV",
    "SCHEDULER_ENTROPY",
    "ImportSettings",
    "LifecycleSettings",
    "SchedulerSettings",
    "Settings",
    "load_settings",
]

DATABASE_URL_ENV = "DUALRANDOM_DATABASE_URL"
CONFIG_ENV = "DUALRANDOM_CONFIG"

# Every setting, its default and what it means; docs/CONFIG.md is checked
# against this table by the tests.
SETTINGS: dict[str, dict[str, tuple[Any, str]]] = {
    "database": {
        "url": (
            "sqlite:///var/dualrandom.sqlite3",
            "SQLAlchemy URL; relative SQLite paths are relative to the config file",
        ),
    },
    "paths": {
        "registries": ("registries", "folder of the registry source files"),
        "rules": ("rules", "folder of items.toml and plans/"),
        "var": ("var", "working folder: notices, bundles, the default database"),
    },
    "time": {
        "timezone": ("Asia/Shanghai", "time zone of schedules and notice dates"),
    },
    "scheduler": {
        "draw_time": (
            "09:30",
            "local time (HH:MM) of scheduled draws; prepare runs at the same time",
        ),
        "tick_time": ("09:00", "local time (HH:MM) of the daily catch-up of due steps"),
        "lease_minutes": (
            30,
            "how long a claimed step stays claimed before another run may take it over",
        ),
        "late_after_minutes": (60, "a step run this long after it was due is logged as late"),
        "entropy": ("declared", "public entropy of scheduled draws: declared or plan"),
    },
    "lifecycle": {
        "publish_within_working_days": (
            20,
            "results are published by this working day after the end of the check",
        ),
        "warn_working_days": (
            5,
            "tasks overdue lists a task with at most this many working days left",
        ),
    },
    "import": {
        "max_xlsx_unpacked_mb": (
            200,
            "an XLSX workbook that unpacks to more than this many MB is refused unread",
        ),
    },
}

SCHEDULER_ENTROPY = ("declared", "plan")


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """``[scheduler]``: when scheduled steps run and how they claim their work."""

    draw_time: time = time(9, 30)
    tick_time: time = time(9, 0)
    lease_minutes: int = 30
    late_after_minutes: int = 60
    entropy: str = "declared"


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    """``[lifecycle]``: publication deadlines in working days."""

    publish_within_working_days: int = 20
    warn_working_days: int = 5


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """``[import]``: limits on the files a clerk imports."""

    max_xlsx_unpacked_mb: int = 200

    @property
    def max_unpacked_bytes(self) -> int:
        return self.max_xlsx_unpacked_mb << 20


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings: absolute paths, a database URL, a time zone."""

    root: Path
    database_url: str
    registries_dir: Path
    rules_dir: Path
    var_dir: Path
    timezone: ZoneInfo
    scheduler: SchedulerSettings = SchedulerSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    imports: ImportSettings = ImportSettings()


def load_settings(config: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read ``config`` (default: ``$DUALRANDOM_CONFIG`` or ./config.toml) and the environment."""
    env = dict(os.environ) if environ is None else environ
    path = config or Path(env.get(CONFIG_ENV, "config.toml"))
    values = _read(path) if (config is not None or path.exists()) else {}
    root = path.resolve().parent
    url = env.get(DATABASE_URL_ENV) or _get(values, path, "database", "url")
    tz_name = _get(values, path, "time", "timezone")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}: [time] timezone {tz_name!r} is not a known time zone, e.g. Asia/Shanghai"
        ) from None
    return Settings(
        root=root,
        database_url=_resolve_sqlite(url, root),
        registries_dir=root / _get(values, path, "paths", "registries"),
        rules_dir=root / _get(values, path, "paths", "rules"),
        var_dir=root / _get(values, path, "paths", "var"),
        timezone=timezone,
        scheduler=_scheduler(values, path),
        lifecycle=LifecycleSettings(
            publish_within_working_days=_get_int(
                values, path, "lifecycle", "publish_within_working_days", 1
            ),
            warn_working_days=_get_int(values, path, "lifecycle", "warn_working_days", 0),
        ),
        imports=ImportSettings(
            max_xlsx_unpacked_mb=_get_int(values, path, "import", "max_xlsx_unpacked_mb", 1)
        ),
    )


def _scheduler(values: dict[str, Any], path: Path) -> SchedulerSettings:
    entropy = _get(values, path, "scheduler", "entropy")
    if entropy not in SCHEDULER_ENTROPY:
        raise ConfigError(
            f"{path}: [scheduler] entropy {entropy!r} is not one of {', '.join(SCHEDULER_ENTROPY)}"
        )
    return SchedulerSettings(
        draw_time=_get_time(values, path, "scheduler", "draw_time"),
        tick_time=_get_time(values, path, "scheduler", "tick_time"),
        lease_minutes=_get_int(values, path, "scheduler", "lease_minutes", 1),
        late_after_minutes=_get_int(values, path, "scheduler", "late_after_minutes", 0),
        entropy=entropy,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            values = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for section, keys in values.items():
        if section not in SETTINGS or not isinstance(keys, dict):
            raise ConfigError(f"{path}: unknown section [{section}]; known: {', '.join(SETTINGS)}")
        for key in keys:
            if key not in SETTINGS[section]:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{section}]; known: {', '.join(SETTINGS[section])}"
                )
    return values


def _get(values: dict[str, Any], path: Path, section: str, key: str) -> str:
    value = values.get(section, {}).get(key, SETTINGS[section][key][0])
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: [{section}] {key} must be a non-empty string, not {value!r}")
    return value


def _get_int(values: dict[str, Any], path: Path, section: str, key: str, minimum: int) -> int:
    value = values.get(section, {}).get(key, SETTINGS[section][key][0])
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(
            f"{path}: [{section}] {key} must be an integer of at least {minimum}, not {value!r}"
        )
    return value


def _get_time(values: dict[str, Any], path: Path, section: str, key: str) -> time:
    text = _get(values, path, section, key)
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(
            f'{path}: [{section}] {key} {text!r} is not a time of day HH:MM, e.g. "09:30"'
        ) from None


def _resolve_sqlite(url: str, root: Path) -> str:
    """Make ``sqlite:///relative/path`` relative to the config file's folder."""
    prefix = "sqlite:///"
    if (
        url.startswith(prefix)
        and url != "sqlite://"
        and not url[len(prefix) :].startswith(("/", ":memory:"))
    ):
        return prefix + str(root / url[len(prefix) :])
    return url
