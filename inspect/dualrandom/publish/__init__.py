"""一公开: the public notice site, generated from the database as static files.

    site        publish_site(): gather, render, write beside the live site, swap in
    contexts    the typed, already-public contexts of every page type
    render      the one Jinja2 environment (autoescape, StrictUndefined)
    names       masked person names and safe, stable file names for objects
    paths       where every file of the site lives
    serve       a 127.0.0.1 preview server

What is never published, and how the rules are enforced, is described in
docs/PUBLISH.md.
"""

from __future__ import annotations

from dualrandom.publish._downloads import write_csv
from dualrandom.publish.serve import make_server
from dualrandom.publish.site import (
    SITE_TITLE,
    PublishReport,
    consistent_reads,
    default_site_dir,
    publish_site,
)

__all__ = [
    "SITE_TITLE",
    "PublishReport",
    "consistent_reads",
    "default_site_dir",
    "make_server",
    "publish_site",
    "write_csv",
]
