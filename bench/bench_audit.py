"""Benchmark: the audit log's own checks on a log of a million entries.

    .venv/bin/python bench/bench_audit.py [--entries N] [--database-url URL]

A provincial batch of 200,000 visits moves each task through five states
(notified … published): a year holds millions of entries. Setup (not
timed): N entries (default 1,000,000) of the shape ``task.state`` entries
have, chained with the real hash (dualrandom.core.auditlog.entry_hash) and
inserted in bulk into a fresh database (SQLite in a temporary folder, or
the PostgreSQL database given, in a schema of its own that is dropped at
the end).

Timed, each in a fresh session: the chain walk of ``audit verify``
(every entry's hash recomputed), the Merkle tree of the stored hashes, the
current checkpoint, one consistency proof, fifty inclusion proofs (a
publication of fifty bundles), and the log part of the check before a
publication: with no published checkpoint (the chain recomputed in full)
and with one published 1,000 entries ago (recomputed after it only).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, insert, text

from dualrandom import audit
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.core.auditlog import GENESIS, entry_hash, timestamp
from dualrandom.integrity import require_intact
from dualrandom.tables import AuditEntryRow

T = TypeVar("T")
START = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)


def _entries(count: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    prev = GENESIS
    for seq in range(1, count + 1):
        at = START + timedelta(seconds=seq)
        visit = seq % 200_000 + 1
        payload = json.dumps(
            {"object_id": f"91211100MA{visit:08d}", "from": "drawn", "to": "notified", "reason": ""},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        subject = f"BENCH#1/{visit}"
        hashed = entry_hash(seq, timestamp(at), "王芳", "task.state", subject, payload, prev)
        rows.append(
            {"seq": seq, "at": at, "actor": "王芳", "action": "task.state", "subject": subject,
             "payload": payload, "prev_hash": prev, "hash": hashed}
        )  # fmt: skip
        prev = hashed
    return rows


def _timed(name: str, work: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = work()
    print(f"{name:52} {time.perf_counter() - start:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL URL [default: SQLite in a temp folder]")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    url, schema = options.database_url, None
    if url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{folder / 'audit.sqlite3'}"
    (folder / "config.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    app = App.from_settings(load_settings(folder / "config.toml", environ={}))
    try:
        app.upgrade()
        rows = _timed(f"setup: hash {options.entries:,} entries", lambda: _entries(options.entries))
        with app.transaction() as session:
            _timed("setup: insert them", lambda: session.execute(insert(AuditEntryRow), rows))
        _run(app, options.entries)
    finally:
        app.close()
        if schema:
            with create_engine(options.database_url).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _run(app: App, count: int) -> None:
    with app.transaction() as session:
        report = _timed("audit verify: the chain walk", lambda: audit.chain_findings(session))
        assert report == []
    with app.transaction() as session:
        _timed("the Merkle tree of the stored hashes", lambda: audit.log_tree(session))
        checkpoint = _timed("the current checkpoint", lambda: audit.current_checkpoint(session))
        assert checkpoint is not None and checkpoint.size == count
        _timed("one consistency proof", lambda: audit.consistency_proof(session, count // 3, count))
        tree = audit.log_tree(session).tree
        _timed(
            "fifty inclusion proofs",
            lambda: [tree.inclusion_proof(i * (count // 50), count) for i in range(50)],
        )
    with app.transaction() as session:
        _timed(
            "publish check, log part, nothing published yet",
            lambda: require_intact(session, what=("发布", "publish")),
        )
    with app.transaction() as session:
        anchor = audit.Anchor("kept", audit.checkpoint_at(session, count - 1000))
    with app.transaction() as session:
        _timed(
            "publish check, log part, published 1,000 entries ago",
            lambda: require_intact(session, what=("发布", "publish"), anchors=[anchor]),
        )


if __name__ == "__main__":
    main()
