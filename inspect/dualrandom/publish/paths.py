"""Where every file of the site lives, relative to its root: one place, stable.

Paths are part of the public interface (people bookmark and cite them), so
they only ever depend on ids: plan ids and department codes are already
``[A-Za-z0-9_-]``, object ids go through :func:`~dualrandom.publish.names.object_href`.
"""

from __future__ import annotations

__all__ = [
    "CSS",
    "FEED",
    "INDEX",
    "ITEMS",
    "OBJECTS",
    "SCRIPT",
    "SEARCH_INDEX",
    "SITEMAP",
    "STATS",
    "bundle",
    "department",
    "draw_dir",
    "notice",
    "paged",
    "plan_notice",
    "predraw",
    "results",
    "snapshot",
    "stats",
    "year",
]

INDEX = "index.html"
ITEMS = "items.html"
STATS = "stats.html"
OBJECTS = "objects/index.html"
SEARCH_INDEX = "search/index.json"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
CSS = "static/site.css"
SCRIPT = "static/search.js"


def paged(path: str, page: int) -> str:
    """Page 1 is ``path`` itself; page n is ``…/name-n.html``."""
    return path if page == 1 else f"{path.removesuffix('.html')}-{page}.html"


def year(number: int) -> str:
    return f"years/{number}.html"


def department(code: str) -> str:
    return f"departments/{code}.html"


def plan_notice(number: int, department_code: str) -> str:
    return f"plans/{number}-{department_code}.html"


def draw_dir(plan_id: str, attempt: int) -> str:
    return f"draws/{plan_id}/{attempt}/"


def predraw(plan_id: str, attempt: int) -> str:
    return draw_dir(plan_id, attempt) + "predraw.html"


def notice(plan_id: str, attempt: int) -> str:
    return draw_dir(plan_id, attempt) + "index.html"


def results(plan_id: str, attempt: int) -> str:
    return draw_dir(plan_id, attempt) + "results.html"


def stats(plan_id: str, attempt: int) -> str:
    return draw_dir(plan_id, attempt) + "stats.html"


def bundle(plan_id: str, attempt: int) -> str:
    return draw_dir(plan_id, attempt) + f"{plan_id}-{attempt}-public-bundle.zip"


def snapshot(digest: str) -> str:
    """The public part of an object snapshot, once per registry version, named by
    the digest its commitments pin (``objects_public``, SPEC §15); a draw's
    bundle.json names it the same way (draws.bundle_dr2.snapshot_path)."""
    return f"snapshots/{digest}.tsv.gz"
