"""The one Jinja2 environment of the site, and the filters its templates use.

Autoescape is on for every template (HTML, SVG, Atom and sitemap XML alike:
HTML escaping is valid XML escaping), so a registry name such as
``<script>`` is always text. ``StrictUndefined`` makes a missing value fail
the build instead of printing an empty cell. The C0 control characters that
an imported name could carry, and that neither HTML nor XML may contain,
are dropped from each rendered page (one pass over the page costs less than
a check of every value: a big site renders 10^7 values).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.loaders import BaseLoader
from markupsafe import Markup

from dualrandom.core.auditlog import Checkpoint

__all__ = ["Renderer", "build_environment", "human_size", "relative_root"]

# The C0 controls but tab, newline and carriage return, and DEL: never in a page.
# All ASCII, so they are dropped from the UTF-8 bytes (where no other character
# has such a byte), three times faster than a regular expression over the text.
_CONTROL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def relative_root(path: str) -> str:
    """The prefix that leads from the page at ``path`` back to the site root."""
    depth = path.count("/")
    return "../" * depth


def human_size(size: int) -> str:
    """``812 B``, ``12.3 KB``, ``4.0 MB`` (1 KB = 1024 B)."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


def _zh_date(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def _zone_name(local: datetime) -> str:
    """北京时间 for UTC+8 (China's one civil time), else UTC±h[:mm]: never a zone id
    such as Asia/Shanghai, which no Chinese notice would print."""
    offset = local.utcoffset() or timedelta(0)
    if offset == timedelta(hours=8):
        return "北京时间"
    minutes = int(offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _fingerprint(env: Environment, timezone: ZoneInfo, site_title: str) -> bytes:
    """What every page of a build is made from besides its own context: the
    templates' sources, the time zone, the title and this package's version."""
    digest = hashlib.sha256()
    loader = env.loader
    assert isinstance(loader, BaseLoader)
    for name in sorted(loader.list_templates()):
        source, _, _ = loader.get_source(env, name)
        digest.update(f"{name}\0{source}\0".encode())
    digest.update(Path(__file__).read_bytes())  # the filters
    digest.update(f"{timezone.key}\0{site_title}\0{_version()}".encode())
    return digest.digest()


def _version() -> str:
    try:
        return metadata.version("dual-random")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def _thousands(value: int) -> str:
    return f"{value:,}"


def build_environment(timezone: ZoneInfo) -> Environment:
    """The site's Jinja2 environment: the one place its options are set."""
    env = Environment(
        loader=PackageLoader("dualrandom", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # package data never changes under a build: no stat per page
    )

    def local_time(value: datetime | None) -> str:
        if value is None:
            return "—"
        local = value.astimezone(timezone)
        return f"{_zh_date(local.date())} {local:%H:%M:%S}（{_zone_name(local)}）"

    def local_date(value: datetime) -> str:
        return _zh_date(value.astimezone(timezone).date())

    env.filters.update(
        zh_date=_zh_date, thousands=_thousands, local_time=local_time, local_date=local_date
    )
    return env


@dataclass(frozen=True, slots=True)
class Chrome:
    """The head links, header and footer of every page at one folder depth."""

    head: Markup
    header: Markup
    footer: Markup


class Renderer:
    """Renders page templates of one site build."""

    def __init__(
        self, timezone: ZoneInfo, site_title: str, checkpoint: Checkpoint | None = None
    ) -> None:
        self.site_title = site_title
        self.checkpoint = checkpoint  # of the audit log, in every page's footer
        self.env = build_environment(timezone)
        self._chrome: dict[str, Chrome] = {}
        self.fingerprint = _fingerprint(self.env, timezone, site_title)

    def chrome(self, root: str) -> Chrome:
        """Rendered once per depth: 10^5 object pages share four variants."""
        if root not in self._chrome:
            module = self.env.get_template("_chrome.html.j2").module
            head, header, footer = (getattr(module, n) for n in ("head", "header", "footer"))
            title = self.site_title
            self._chrome[root] = Chrome(
                head(root, title), header(root, title), footer(root, self.checkpoint)
            )
        return self._chrome[root]

    def key(self, template: str, path: str, **context: Any) -> str:
        """What the page at ``path`` is made from, as a digest ("" when that cannot
        be told): the same key renders the same bytes but for the footer's
        checkpoint, which is left out (a page whose content did not change
        keeps the checkpoint it was first published with; see docs/PUBLISH.md).

        Contexts are frozen dataclasses of plain values, whose ``repr`` shows
        every field; a value without such a ``repr`` (``<… object at 0x…>``)
        makes the page uncached rather than keyed by an address."""
        text = repr((template, path, sorted(context.items())))
        if " at 0x" in text:
            return ""
        return hashlib.sha256(self.fingerprint + text.encode("utf-8")).hexdigest()[:32]

    def render(self, template: str, path: str, **context: Any) -> bytes:
        """Render ``template`` for the page at site path ``path``."""
        root = relative_root(path)
        text = self.env.get_template(template).render(
            root=root, path=path, site_title=self.site_title, chrome=self.chrome(root), **context
        )
        return text.encode("utf-8").translate(None, _CONTROL)
