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
from string import Formatter
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dualrandom.errors import ConfigError

__all__ = [
    "BEACON_CHAINS",
    "DATABASE_URL_ENV",
    "DEFAULT_DOC_NO",
    "OPERATOR_ENV",
    "SCHEDULER_ENTROPY",
    "BeaconSettings",
    "ConsoleSettings",
    "ImportSettings",
    "LifecycleSettings",
    "SchedulerSettings",
    "Settings",
    "SiteSettings",
    "base_url",
    "load_settings",
]

DATABASE_URL_ENV = "DUALRANDOM_DATABASE_URL"
OPERATOR_ENV = "DUALRANDOM_OPERATOR"
CONFIG_ENV = "DUALRANDOM_CONFIG"
DEFAULT_DOC_NO = "{dept}抽〔{year}〕{n}号"

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
        "site": ("<var>/site", "folder of the public notice site (publish, serve, the scheduler)"),
    },
    "time": {
        "timezone": ("Asia/Shanghai", "time zone of schedules and notice dates"),
    },
    "site": {
        "base_url": (
            "",
            "public address of the site (https://…/), for the sitemap and the feed's links",
        ),
        "doc_no": (DEFAULT_DOC_NO, "pattern of document numbers (文号): {dept}, {year}, {n}"),
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
    "console": {
        "idle_minutes": (30, "a console session ends after this many minutes without a request"),
        "session_hours": (12, "a console session ends this many hours after login, whatever"),
        "max_failed_logins": (5, "failed logins in a row after which an account is locked"),
        "lock_minutes": (15, "how long a locked account stays locked"),
        "secure_cookies": (
            False,
            "send cookies only over HTTPS (Secure); set true whenever TLS is in front",
        ),
        "proxy_hops": (
            0,
            "reverse proxies in front (nginx: 1), whose X-Forwarded-For/-Proto are trusted",
        ),
        "secret_key_file": (
            "<var>/console.key",
            "file of the key that signs cookies and CSRF tokens; made on first start",
        ),
        "upload_max_mb": (200, "largest file the console accepts, in MiB"),
    },
    "beacon": {
        "chain": ("quicknet", "beacon chain of DR-2 draws: quicknet, or demo (needs allow_demo)"),
        "allow_demo": (False, "allow the demo chain, whose key is public: demos and tests only"),
        "margin_seconds": (60, "the pinned round is the first after the ceremony time plus this"),
        "relays": ("<drand relays>", "HTTP relays a draw fetches its round from"),
    },
    "audit": {
        "operator": (
            "",
            "who the command line records as acting in the audit log [default: the OS account]",
        ),
    },
}

SCHEDULER_ENTROPY = ("declared", "plan")
BEACON_CHAINS = ("quicknet", "demo")
DRAND_RELAYS = (
    "https://api.drand.sh",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
    "https://drand.cloudflare.com",
)


@dataclass(frozen=True, slots=True)
class BeaconSettings:
    """``[beacon]``: which public beacon DR-2 draws pin, and where its rounds are fetched.

    ``chain`` is ``quicknet`` (the League of Entropy) or ``demo``, a chain
    whose signing key is public: it is accepted only with ``allow_demo``,
    and a draw pinned to it says ``"demo": true`` in its commitment."""

    chain: str = "quicknet"
    allow_demo: bool = False
    margin_seconds: int = 60
    relays: tuple[str, ...] = DRAND_RELAYS

    def __post_init__(self) -> None:
        if self.chain not in BEACON_CHAINS:
            raise ConfigError(
                f"[beacon] chain {self.chain!r} 不是 {'、'.join(BEACON_CHAINS)} 之一",
                f"[beacon] chain {self.chain!r} is not one of {', '.join(BEACON_CHAINS)}",
            )
        if self.chain == "demo" and not self.allow_demo:
            raise ConfigError(
                "[beacon] chain = \"demo\" 需要 allow_demo = true：演示链的私钥公开，不能用于真实抽查",
                "[beacon] chain = \"demo\" needs allow_demo = true: the demo chain's key is "
                "public, it cannot serve a real draw",
            )


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


def base_url(text: str, where: str) -> str:
    """The site's public address as given under ``where``: empty (none) or an
    http(s) address without query or fragment, returned ending in ``/``."""
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{where} {text!r} 不是网站的公开地址；应为 http(s) 地址，例如 https://example.gov.cn/sjsgk/",
            f"{where} {text!r} must be an http(s) address such as https://example.gov.cn/sjsgk/",
        )
    return text if text.endswith("/") else text + "/"


DOC_NO_FIELDS = ("dept", "year", "n")


def _check_doc_no(pattern: str) -> None:
    """A 文号 pattern names the department, the year and the number, and nothing else."""
    fields = {name for _, name, _, _ in Formatter().parse(pattern) if name is not None}
    try:
        sample = pattern.format(dept="SCJG", year=2027, n=1)
    except (KeyError, IndexError, ValueError):
        sample = ""
    if fields != set(DOC_NO_FIELDS) or not sample or len(sample) > 60:
        raise ConfigError(
            f"[site] doc_no {pattern!r} 不是有效的文号格式；须含且只含 {{dept}}、{{year}}、{{n}}，"
            f"例如 {DEFAULT_DOC_NO}",
            f"[site] doc_no {pattern!r} must use exactly {{dept}}, {{year}} and {{n}}, "
            f"e.g. {DEFAULT_DOC_NO}",
        )


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """``[console]``: the web console's sessions, logins, cookies and uploads."""

    idle_minutes: int = 30
    session_hours: int = 12
    max_failed_logins: int = 5
    lock_minutes: int = 15
    secure_cookies: bool = False
    proxy_hops: int = 0
    secret_key_file: Path | None = None  # None: <var>/console.key
    upload_max_mb: int = 200


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """``[site]``: the public notice site's own address, and how it numbers notices.

    ``base_url`` is empty (the site does not know where it is served: no
    sitemap) or an http(s) address ending in ``/``; ``doc_no`` is the pattern
    of document numbers (文号), with the initiating department's code, the
    year and the department's running number of the year.
    """

    base_url: str = ""
    doc_no: str = DEFAULT_DOC_NO

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", base_url(self.base_url, "[site] base_url"))
        _check_doc_no(self.doc_no)


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
    site_dir: Path  # where the public notice site is published: [paths] site
    timezone: ZoneInfo
    site: SiteSettings = SiteSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    imports: ImportSettings = ImportSettings()
    console: ConsoleSettings = ConsoleSettings()
    beacon: BeaconSettings = BeaconSettings()
    # [audit] operator, or $DUALRANDOM_OPERATOR; None: the command line's OS account
    operator: str | None = None

    @property
    def secrets_dir(self) -> Path:
        """Where operator secrets wait between prepare and draw (only the operator reads it)."""
        return self.var_dir / "secrets"

    @property
    def console_key_file(self) -> Path:
        """The file of the console's signing key: ``[console] secret_key_file``."""
        return self.console.secret_key_file or self.var_dir / "console.key"


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
            f"{path}：[time] timezone {tz_name!r} 不是已知的时区，例如 Asia/Shanghai",
            f"{path}: [time] timezone {tz_name!r} is not a known time zone, e.g. Asia/Shanghai",
        ) from None
    var_dir = root / _get(values, path, "paths", "var")
    return Settings(
        root=root,
        database_url=_resolve_sqlite(url, root),
        registries_dir=root / _get(values, path, "paths", "registries"),
        rules_dir=root / _get(values, path, "paths", "rules"),
        var_dir=var_dir,
        site_dir=_site_dir(values, path, root, var_dir),
        timezone=timezone,
        site=_site(values, path),
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
        console=_console(values, path, root),
        beacon=_beacon(values, path),
        operator=_operator(values, path, env),
    )


def _console(values: dict[str, Any], path: Path, root: Path) -> ConsoleSettings:
    secure = values.get("console", {}).get("secure_cookies", False)
    if not isinstance(secure, bool):
        raise ConfigError(
            f"{path}: [console] secure_cookies 应为 true 或 false，而不是 {secure!r}",
            f"{path}: [console] secure_cookies must be true or false, not {secure!r}",
        )
    key_file = values.get("console", {}).get("secret_key_file")
    return ConsoleSettings(
        idle_minutes=_get_int(values, path, "console", "idle_minutes", 1),
        session_hours=_get_int(values, path, "console", "session_hours", 1),
        max_failed_logins=_get_int(values, path, "console", "max_failed_logins", 1),
        lock_minutes=_get_int(values, path, "console", "lock_minutes", 1),
        secure_cookies=secure,
        proxy_hops=_get_int(values, path, "console", "proxy_hops", 0),
        secret_key_file=None if key_file is None else root / _get(values, path, "console", "secret_key_file"),
        upload_max_mb=_get_int(values, path, "console", "upload_max_mb", 1),
    )


def _operator(values: dict[str, Any], path: Path, env: dict[str, str]) -> str | None:
    """``$DUALRANDOM_OPERATOR``, else ``[audit] operator``; None when neither is set."""
    if env.get(OPERATOR_ENV, "").strip():
        return env[OPERATOR_ENV].strip()
    value = values.get("audit", {}).get("operator", "")
    if not isinstance(value, str):
        raise ConfigError(
            f"{path}: [audit] operator 应为字符串，而不是 {value!r}",
            f"{path}: [audit] operator must be a string, not {value!r}",
        )
    return value.strip() or None


def _site_dir(values: dict[str, Any], path: Path, root: Path, var_dir: Path) -> Path:
    """``[paths] site``, relative to the config file; by default ``<var>/site``."""
    if "site" not in values.get("paths", {}):
        return var_dir / "site"
    return root / _get(values, path, "paths", "site")


def _site(values: dict[str, Any], path: Path) -> SiteSettings:
    section = values.get("site", {})
    url, pattern = section.get("base_url", ""), _get(values, path, "site", "doc_no")
    if not isinstance(url, str):
        raise ConfigError(
            f"{path}: [site] base_url 应为字符串，而不是 {url!r}",
            f"{path}: [site] base_url must be a string, not {url!r}",
        )
    try:
        return SiteSettings(base_url=url, doc_no=pattern)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", f"{path}: {exc.english}") from None


def _beacon(values: dict[str, Any], path: Path) -> BeaconSettings:
    section = values.get("beacon", {})
    allow_demo = section.get("allow_demo", False)
    relays = section.get("relays", list(DRAND_RELAYS))
    if not isinstance(allow_demo, bool):
        raise ConfigError(
            f"{path}: [beacon] allow_demo 应为 true 或 false，而不是 {allow_demo!r}",
            f"{path}: [beacon] allow_demo must be true or false, not {allow_demo!r}",
        )
    if (
        not isinstance(relays, list)
        or not relays
        or not all(isinstance(r, str) and r.startswith(("https://", "http://")) for r in relays)
    ):
        raise ConfigError(
            f"{path}: [beacon] relays 应为 http(s) 地址的列表，而不是 {relays!r}",
            f"{path}: [beacon] relays must be a list of http(s) addresses, not {relays!r}",
        )
    try:
        return BeaconSettings(
            chain=_get(values, path, "beacon", "chain"),
            allow_demo=allow_demo,
            margin_seconds=_get_int(values, path, "beacon", "margin_seconds", 0),
            relays=tuple(relays),
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", f"{path}: {exc.english}") from None


def _scheduler(values: dict[str, Any], path: Path) -> SchedulerSettings:
    entropy = _get(values, path, "scheduler", "entropy")
    if entropy not in SCHEDULER_ENTROPY:
        raise ConfigError(
            f"{path}：[scheduler] entropy {entropy!r} 应为 {'、'.join(SCHEDULER_ENTROPY)} 之一",
            f"{path}: [scheduler] entropy {entropy!r} is not one of {', '.join(SCHEDULER_ENTROPY)}",
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
        raise ConfigError(
            f"配置文件 {str(path)!r} 不存在", f"config file {str(path)!r} does not exist"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}：TOML 语法错误：{exc}", f"{path}: {exc}") from None
    for section, keys in values.items():
        if section not in SETTINGS or not isinstance(keys, dict):
            raise ConfigError(
                f"{path}：未知的配置节 [{section}]；可用的有：{'、'.join(SETTINGS)}",
                f"{path}: unknown section [{section}]; known: {', '.join(SETTINGS)}",
            )
        for key in keys:
            if key not in SETTINGS[section]:
                raise ConfigError(
                    f"{path}：[{section}] 中没有配置项 {key!r}；可用的有：{'、'.join(SETTINGS[section])}",
                    f"{path}: unknown key {key!r} in [{section}]; known: {', '.join(SETTINGS[section])}",
                )
    return values


def _get(values: dict[str, Any], path: Path, section: str, key: str) -> str:
    value = values.get(section, {}).get(key, SETTINGS[section][key][0])
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"{path}：[{section}] {key} 应为非空字符串，而不是 {value!r}",
            f"{path}: [{section}] {key} must be a non-empty string, not {value!r}",
        )
    return value


def _get_int(values: dict[str, Any], path: Path, section: str, key: str, minimum: int) -> int:
    value = values.get(section, {}).get(key, SETTINGS[section][key][0])
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(
            f"{path}：[{section}] {key} 应为不小于 {minimum} 的整数，而不是 {value!r}",
            f"{path}: [{section}] {key} must be an integer of at least {minimum}, not {value!r}",
        )
    return value


def _get_time(values: dict[str, Any], path: Path, section: str, key: str) -> time:
    text = _get(values, path, section, key)
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(
            f'{path}：[{section}] {key} {text!r} 不是 HH:MM 格式的时刻，例如 "09:30"',
            f'{path}: [{section}] {key} {text!r} is not a time of day HH:MM, e.g. "09:30"',
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
