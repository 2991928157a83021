"""Publishing anchors the log outside the database, and is live exactly when its entry is."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.app import App
from dualrandom.core.auditlog import inconsistency, read_checkpoint
from dualrandom.publish import publish_site
from dualrandom.tables import AuditEntryRow
from tests.audit.conftest import ACTOR
from tests.publish.html import files, pages, parse
from tests.publish.html import text as text_of

PUBLISHED = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)


def publish(app: App, site: Path, session: Session | None = None) -> None:
    if session is not None:
        publish_site(session, site, timezone=app.settings.timezone, actor=ACTOR, now=PUBLISHED)
        return
    with app.transaction() as own:
        publish(app, site, own)


def snapshot(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in files(site)}


def publications(app: App) -> list[dict[str, object]]:
    with app.transaction() as session:
        query = select(AuditEntryRow.payload).where(AuditEntryRow.action == "publish.site")
        return [json.loads(p) for p in session.scalars(query.order_by(AuditEntryRow.seq))]


def test_every_publication_leaves_its_checkpoint_and_every_earlier_one_on_the_site(
    history: App, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    publish(history, site)
    first = read_checkpoint((site / "audit/checkpoint.json").read_bytes())
    with history.transaction() as session:
        assert first == audit.current_checkpoint(session)
        audit.append(session, "test.note", "x", {}, actor=ACTOR, at=PUBLISHED)
    publish(history, site)
    second = read_checkpoint((site / "audit/checkpoint.json").read_bytes())
    assert second.size > first.size
    kept = sorted(p.name for p in (site / "audit/checkpoints").iterdir())
    assert kept == sorted([f"{first.size}.json", f"{second.size}.json"])
    older = json.loads((site / f"audit/checkpoints/{first.size}.json").read_bytes())
    newer = json.loads((site / f"audit/checkpoints/{second.size}.json").read_bytes())
    assert older["previous"] is None and older["proof"] == []
    assert newer["previous"] == {"size": first.size, "root": first.root}
    proof = [bytes.fromhex(p) for p in newer["proof"]]
    assert inconsistency(first, second, proof) is None  # what a monitor checks
    assert [p["checkpoint"] for p in publications(history)] == [
        {"size": c.size, "root": c.root} for c in (first, second)
    ]


def test_every_page_names_the_checkpoint_and_every_bundle_proves_its_draw(
    history: App, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    publish(history, site)
    checkpoint = read_checkpoint((site / "audit/checkpoint.json").read_bytes())
    for page in pages(site):
        notes = [p for p in parse(page).iter("p") if "checkpoint" in p.attrib.get("class", "")]
        assert len(notes) == 1, page
        assert f"第 {checkpoint.size} 条" in text_of(notes[0]) and checkpoint.root in text_of(notes[0])
    import zipfile

    bundles = sorted(site.glob("draws/**/*-bundle.zip"))
    assert bundles
    for path in bundles:
        with zipfile.ZipFile(path) as archive:
            names = {n.split("/", 1)[1]: n for n in archive.namelist()}
            assert archive.read(names["checkpoint.json"]) == checkpoint.to_bytes()
            inclusion = json.loads(archive.read(names["inclusion.json"]))
        assert inclusion["entry"]["action"] == "draw.run" and inclusion["size"] == checkpoint.size


def _fail_at_commit(session: Session) -> None:
    """Make the database itself refuse the COMMIT (a deferred check), after everything
    else — the build, the swap, the entry — has succeeded."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.execute(
            text(
                "INSERT INTO draw_files (draw_id, name, content, sha256) "
                "VALUES (999999, 'x', x'00', '')"
            )
        )
        return
    session.execute(
        text(
            "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$"
        )
    )
    session.execute(text("CREATE TABLE commit_guard (n integer)"))
    session.execute(
        text(
            "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON commit_guard "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"
        )
    )
    session.execute(text("INSERT INTO commit_guard VALUES (1)"))


def test_a_commit_that_fails_after_the_swap_puts_the_previous_site_back(
    history: App, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    publish(history, site)
    before, entries = snapshot(site), len(publications(history))
    with history.transaction() as session:
        audit.append(session, "test.note", "x", {}, actor=ACTOR, at=PUBLISHED)
    with (
        pytest.raises(Exception, match=r"FOREIGN KEY|commit refused"),
        history.transaction() as session,
    ):
        publish(history, site, session)
        assert snapshot(site) != before  # the new site was live, waiting for the commit
        _fail_at_commit(session)
    assert snapshot(site) == before
    assert len(publications(history)) == entries
    assert not [p for p in tmp_path.iterdir() if ".prev-" in p.name or ".new-" in p.name]
    publish(history, site)  # the lock was released: the next publication goes through
    assert len(publications(history)) == entries + 1


def test_a_first_publication_that_is_not_committed_leaves_no_site(
    history: App, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with pytest.raises(RuntimeError, match="rolled back"), history.transaction() as session:
        publish(history, site, session)
        assert (site / "index.html").is_file()
        raise RuntimeError("rolled back")
    assert not site.exists()


CRASH = """
import os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from sqlalchemy import event
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.publish import publish_site

config, site = map(Path, sys.argv[1:3])
app = App.from_settings(load_settings(config, environ={}))
with app.transaction() as session:
    publish_site(session, site, timezone=app.settings.timezone, actor="crash",
                 now=datetime(2027, 1, 11, tzinfo=UTC))
    event.listen(session, "before_commit", lambda s: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_publication_killed_before_its_commit_is_undone_by_the_next_build(
    history: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    publish(history, site)
    before = snapshot(site)
    with history.transaction() as session:
        audit.append(session, "test.note", "x", {}, actor=ACTOR, at=PUBLISHED)
    child = subprocess.run(
        [sys.executable, "-c", CRASH, str(config_file), str(site)], capture_output=True, timeout=300
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert snapshot(site) != before  # the killed build's site is live, unrecorded
    assert [p for p in tmp_path.iterdir() if ".prev-" in p.name]

    def broken(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("dualrandom.publish.write._writer.SiteWriter.write", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(history, site)  # repairs first, then fails in its own build
    assert snapshot(site) == before


def _modes(site: Path) -> set[tuple[str, int]]:
    found = {("folder", stat.S_IMODE(site.stat().st_mode))}
    for path in site.rglob("*"):
        kind = "folder" if path.is_dir() else "file"
        found.add((kind, stat.S_IMODE(path.stat().st_mode)))
    return found


def test_the_site_is_readable_by_a_web_server_running_as_another_user(
    history: App, tmp_path: Path
) -> None:
    previous = os.umask(0o077)
    try:
        publish(history, tmp_path / "site")
    finally:
        os.umask(previous)
    assert _modes(tmp_path / "site") == {("folder", 0o755), ("file", 0o644)}


def test_the_site_records_the_sha256sums_digest_it_carries(history: App, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish(history, site)
    recorded = publications(history)[-1]["sha256sums"]
    assert recorded == hashlib.sha256((site / "SHA256SUMS").read_bytes()).hexdigest()
