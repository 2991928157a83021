"""A record that cannot be silently changed: the stored draws, registries and audit
log checked against each other and against the checkpoints published outside
the database (docs/AUDIT.md).

    _log         the log's invariants about draws (one prepare, one run, forward states, supersedes)
    _draws       a stored draw's files, digest, tickets and rows against each other
    _registries  every registry version against its digest
    _verified    the fingerprints of draws that passed the check, kept beside the site
    _check       verify_site_record (``audit verify``, the console's 校验 page) and
                 require_intact (before publish and export)

It sits above ``draws`` and ``registry`` and below ``publish``: publish and
the command line call it; nothing it calls calls it back.
"""

from __future__ import annotations

from dualrandom.integrity._check import (
    Report,
    require_exportable,
    require_intact,
    site_anchors,
    verify_record,
    verify_site_record,
)
from dualrandom.integrity._verified import rows_digest

__all__ = [
    "Report",
    "require_exportable",
    "require_intact",
    "rows_digest",
    "site_anchors",
    "verify_record",
    "verify_site_record",
]
