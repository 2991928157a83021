"""一公开: the public notice site, generated from the database as static files.

A build runs four stages, one folder each; each stage imports only the
stages before it (a test in ``tests/publish/test_stages.py`` enforces it)::

    read/    the catalog (departments, items, plans, draws) and each draw's visits,
             public columns only, read once from the database
    shape/   records become the typed, already-public contexts of every page
             (headings and numbers, quotas, charts, pagination)
    pages/   one writer per kind of page, with its CSV and JSON downloads
    write/   rendering (one Jinja2 environment), safe paths, the manifest,
             building beside the live site and swapping it in

``read -> shape -> pages -> write``: ``pages`` uses the three others, ``shape``
uses ``read``, and ``read`` and ``write`` use no other stage. A stage's
interface is its ``__init__`` (and ``shape.contexts``); its ``_private``
modules are imported only from inside it. Beside the stages:

    site        publish_site(): the pipeline, and what it records in the database
    numbers     文号: each notice's number, given the first time it is published, kept
    paths       where every file of the site lives (its public addresses)
    names       masked person names and safe, stable file names for objects
    labels      the Chinese words for codes stored in English
    serve       a 127.0.0.1 preview server

What is never published, and how the rules are enforced, is described in
docs/PUBLISH.md.
"""

from __future__ import annotations

from dualrandom.publish.serve import make_server
from dualrandom.publish.site import (
    SITE_TITLE,
    PublishReport,
    consistent_reads,
    publish_site,
)
from dualrandom.publish.write import write_csv

__all__ = [
    "SITE_TITLE",
    "PublishReport",
    "consistent_reads",
    "make_server",
    "publish_site",
    "write_csv",
]
