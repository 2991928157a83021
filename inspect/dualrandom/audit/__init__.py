"""The append-only, hash-chained audit log (全程留痕、可追溯), anchored outside the database.

Each entry records who did what to which subject, when, and hashes the
entry before it (:mod:`dualrandom.core.auditlog`). The entries are also the
leaves of an RFC 9162 Merkle tree; a **checkpoint** names a prefix of the
log by its size and root, and is written onto the public site and into every
bundle, where the database cannot reach it. Then:

- ``append`` — one entry, in the caller's transaction, in an actor's name;
- ``verify`` / ``chain_findings`` — the chain walk;
- ``entries`` / ``distinct_values`` — reading the log (``audit log``, the console);
- ``current_checkpoint``, ``checkpoint_at``, ``consistency_proof`` — the tree;
- ``bundle_anchor`` — a bundle's ``checkpoint.json`` and ``inclusion.json``;
- ``read_anchors`` / ``anchor_findings`` — the log against checkpoints kept elsewhere.

What ``audit verify`` checks beyond the log (draws, registries, the log's
invariants) is :mod:`dualrandom.integrity`. docs/AUDIT.md says all of it.
"""

from __future__ import annotations

from dualrandom.audit._actors import ACTOR_MAX, actor_name, os_user, scheduler_actor
from dualrandom.audit._chain import (
    ENTRY_COLUMNS,
    ChainReport,
    StoredEntry,
    altered,
    append,
    chain_findings,
    stored_entries,
    verify,
)
from dualrandom.audit._checkpoints import (
    CHECKPOINT_FILE,
    CHECKPOINTS_DIR,
    Anchor,
    anchor_findings,
    read_anchors,
    site_checkpoint_files,
)
from dualrandom.audit._findings import Finding, refuse
from dualrandom.audit._listing import Page, distinct_values, entries
from dualrandom.audit._tree import (
    PUBLISH_ACTION,
    bundle_anchor,
    checkpoint_at,
    consistency_proof,
    current_checkpoint,
    log_tree,
    publishable_size,
)
from dualrandom.core.auditlog import GENESIS, Checkpoint

__all__ = [
    "ACTOR_MAX",
    "CHECKPOINTS_DIR",
    "CHECKPOINT_FILE",
    "ENTRY_COLUMNS",
    "GENESIS",
    "PUBLISH_ACTION",
    "Anchor",
    "ChainReport",
    "Checkpoint",
    "Finding",
    "Page",
    "StoredEntry",
    "actor_name",
    "altered",
    "anchor_findings",
    "append",
    "bundle_anchor",
    "chain_findings",
    "checkpoint_at",
    "consistency_proof",
    "current_checkpoint",
    "distinct_values",
    "entries",
    "log_tree",
    "os_user",
    "publishable_size",
    "read_anchors",
    "refuse",
    "scheduler_actor",
    "site_checkpoint_files",
    "stored_entries",
    "verify",
]
