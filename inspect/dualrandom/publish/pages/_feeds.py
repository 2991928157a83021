"""The Atom feed of notices and the sitemap.

Entry ids are ``urn:uuid`` values derived from the site and the notice's
path, so an entry keeps its id across builds and a feed reader shows a
changed notice (new results) as updated, not new.

With the site's public address (``[site] base_url``) every link is
absolute, the feed declares it as ``xml:base`` and links itself
(``rel="self"``). Without it the feed's links stay relative, which Atom
resolves against the feed's own address (RFC 4287 §2, RFC 3986 §5.1.3:
``feed.xml`` sits at the site's root, so they resolve to the pages); the
sitemap is not written at all, since the sitemap protocol allows only
absolute addresses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dualrandom.publish import paths
from dualrandom.publish.pages._build import Build
from dualrandom.publish.pages._index_pages import newest_first
from dualrandom.publish.shape.contexts import NoticeHead

__all__ = ["write_feed", "write_sitemap"]

FEED_ENTRIES = 100
SITEMAP_URLS = 10_000  # well under the protocol's 50,000 and under 1 MB a file
_NAMESPACE = uuid.UUID("6f1d3b1e-1c7a-5b43-9a55-2d2f3e0d7a41")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def write_feed(build: Build, notices: Sequence[NoticeHead]) -> None:
    site = build.base_url or build.renderer.site_title
    entries: list[dict[str, Any]] = []
    for n in newest_first(notices)[:FEED_ENTRIES]:
        entries.append(
            {
                "id": f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{site}|{n.href}')}",
                "title": n.title,
                "status": n.status,
                "href": n.href,
                "issuer": n.issuer,
                "doc_no": n.doc_no,
                "summary": n.summary,
                "updated": _rfc3339(n.updated, build),
            }
        )
    latest = max((n.updated for n in notices), default=_EPOCH)
    data = build.renderer.render(
        "feed.xml.j2",
        paths.FEED,
        entries=entries,
        updated=_rfc3339(latest, build),
        feed_id=f"urn:uuid:{uuid.uuid5(_NAMESPACE, site)}",
        base=build.base_url,
    )
    build.writer.write(paths.FEED, data)


def _rfc3339(moment: datetime, build: Build) -> str:
    return moment.astimezone(build.timezone).isoformat(timespec="seconds")


def write_sitemap(build: Build) -> None:
    """The sitemap of every page; none without the site's address (it would be invalid)."""
    base = build.base_url
    if not base:
        return
    urls = build.writer.pages
    if len(urls) <= SITEMAP_URLS:
        build.page("sitemap.xml.j2", paths.SITEMAP, urls=urls, base=base)
        return
    parts = []
    for start in range(0, len(urls), SITEMAP_URLS):
        part = f"sitemap-{start // SITEMAP_URLS + 1}.xml"
        # Keyed by its addresses: 50,000 of them are not rendered again unchanged.
        build.page("sitemap.xml.j2", part, urls=urls[start : start + SITEMAP_URLS], base=base)
        parts.append(part)
    build.writer.write(
        paths.SITEMAP,
        build.renderer.render("sitemap_index.xml.j2", paths.SITEMAP, parts=parts, base=base),
    )
