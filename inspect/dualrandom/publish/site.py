"""Publish the public notice site (一公开): :func:`publish_site`.

The site is a folder of static files any web server (or a USB stick) can
serve. It is built from the database alone, deterministically: the same
database content gives the same bytes (no build time appears anywhere; the
dates shown are the notices' own), so ``diff -r`` of two builds shows
exactly what changed. The build goes into a folder beside the target and is
swapped in at the end (:mod:`dualrandom.publish.write`); each publication is
an audit-log entry (``publish.site``) naming every notice, the digest of the
site's ``SHA256SUMS`` and the audit log's checkpoint the site carries.

A publication never contradicts its own bundles (docs/AUDIT.md): it is
refused while the stored record contradicts itself or a checkpoint the site
already published (:func:`dualrandom.integrity.require_intact`). It anchors
the log outside the database: ``audit/checkpoint.json``, every checkpoint
published so far under ``audit/checkpoints/<size>.json`` with the
consistency proof from the one before, the checkpoint in every page's
footer and in every bundle. The swap becomes final only when the
transaction that holds the publication's entry commits; if it rolls back,
the previous site comes back.

Like every service function it reads through the caller's session, appends
to the audit log in it and never commits. For a consistent snapshot on
PostgreSQL, begin the transaction with :func:`consistent_reads`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from dualrandom import audit
from dualrandom.config import SiteSettings
from dualrandom.core import DR2
from dualrandom.core.auditlog import Checkpoint, checkpoint_link
from dualrandom.draws import (
    DrawState,
    export_bundle,
    latest_draw,
)
from dualrandom.draws.bundle_dr2 import SNAPSHOT_FILE
from dualrandom.errors import UserError
from dualrandom.integrity import require_intact, rows_digest, site_anchors
from dualrandom.lifecycle.tasks import mark_published
from dualrandom.publish import paths
from dualrandom.publish.numbers import Numbering, number_notices
from dualrandom.publish.pages import (
    Build,
    DrawPages,
    draw_pages,
    write_draw,
    write_feed,
    write_index_pages,
    write_items,
    write_objects,
    write_plan_notice,
    write_predraw,
    write_sitemap,
    write_stats_index,
)
from dualrandom.publish.read import DrawRecord, Runs, read_catalog, read_visits
from dualrandom.publish.shape import (
    draw_facts,
    draw_heads,
    items_head,
    notice_heads,
    plan_heads,
    rows_per_page,
)
from dualrandom.publish.shape.contexts import Download, DrawFacts, NoticeHead, StatsIndexRow
from dualrandom.publish.write import Previous, Renderer, SiteWriter, Swap, staged, zip_folder
from dualrandom.tables import (
    AuditEntryRow,
    DrawRow,
    DrawVisitRow,
    InspectionTaskRow,
)

__all__ = ["SITE_TITLE", "PublishReport", "consistent_reads", "publish_site"]

SITE_TITLE = "“双随机、一公开”信息公示"
PUBLISH = ("发布", "publish")  # what require_intact refuses


@dataclass(frozen=True, slots=True)
class PublishReport:
    path: Path
    pages: int
    files: int
    bytes: int
    notices: int
    objects: int
    manifest_sha256: str
    warnings: tuple[tuple[str, str], ...] = ()  # (Chinese, English), for whoever published
    checkpoint: Checkpoint | None = None  # of the audit log, as the site carries it
    written: int = 0  # files written; the others were kept from the live site as they were


# Without the site's public address a sitemap cannot be written: the
# protocol allows absolute addresses only.
NO_BASE_URL = (
    "未设置网站的公开地址（config.toml 的 [site] base_url 或 --base-url），"
    "因此未生成 sitemap.xml，订阅源 feed.xml 中的链接为相对地址",
    "the site's public address is not set ([site] base_url in config.toml, or --base-url), "
    "so sitemap.xml is left out and the links in feed.xml are relative",
)


def consistent_reads(session: Session) -> None:
    """Make the session's transaction one snapshot (PostgreSQL REPEATABLE READ).

    Call it first thing in a fresh transaction: a build reads for a while,
    and result entry may go on meanwhile. SQLite needs nothing: its
    transactions are serialised already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _title(title: str) -> str:
    text = " ".join(title.split())
    if not text or len(text) > 100:
        raise UserError(
            f"--title {title!r} 应为 1 至 100 个字符", f"--title {title!r} must be 1-100 characters"
        )
    return text


def publish_site(
    session: Session,
    out: Path,
    *,
    timezone: ZoneInfo,
    site: SiteSettings | None = None,
    title: str = SITE_TITLE,
    actor: str,
    now: datetime | None = None,
    full: bool = False,
) -> PublishReport:
    """Build the whole site from the database and swap it in at ``out``.

    ``site`` gives the site's public address (for the sitemap and the feed)
    and the pattern of document numbers; by default, no address. The build
    starts from the live site when its publication was recorded: a page
    made from the same content is kept as it is, not rendered again, and
    when no file changed the live site stays (nothing is written). ``full``
    renders and writes every file anew.
    """
    site = site or SiteSettings()
    base, target = site.base_url, out.expanduser().absolute()
    moment = now or datetime.now(UTC)
    with staged(target, live_is_recorded=lambda live: _recorded(session, live)) as stage:
        anchors = site_anchors(target, PUBLISH)
        verified = None if full else target.parent / f".{target.name}.verified"
        require_intact(session, what=PUBLISH, anchors=anchors, verified=verified)
        _publish_reviewed(session, moment, actor)
        catalog = read_catalog(session)
        numbering = number_notices(session, notice_heads(catalog, timezone), site.doc_no, at=moment)
        checkpoint = audit.current_checkpoint(session)
        previous = None if full or not _recorded(session, target) else Previous.load(target)
        with SiteWriter(stage.staging, previous) as writer:
            renderer = Renderer(timezone, _title(title), checkpoint)
            build = Build(writer, renderer, catalog, timezone, base)
            notices, objects = _build(session, build, stage.scratch, numbering)
            _write_checkpoints(session, writer, checkpoint, anchors)
            tally = writer.finish()
        stage.unchanged = tally.unchanged
        report = PublishReport(
            target,
            tally.pages,
            tally.files,
            tally.bytes,
            len(notices),
            objects,
            tally.manifest_sha256,
            () if base else (NO_BASE_URL,),
            checkpoint,
            tally.written,
        )
        _record(session, report, notices, numbering, base, actor=actor, at=moment)
    if stage.swap is not None:  # None: every file was the live site's, which stays
        _final_with_transaction(session, stage.swap)
    return report


def _final_with_transaction(session: Session, swap: Swap) -> None:
    """Keep the new site if the transaction holding its entry commits; put the
    previous one back if it ends any other way (no live site without its entry)."""

    def committed(_: Session) -> None:
        swap.keep()

    def ended(_: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the whole transaction, not a savepoint
            swap.undo()  # after a commit, keep() has settled it: nothing to undo

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_transaction_end", ended)
    # The listeners go with the transaction: a session's later transactions
    # must not touch this swap (settled once, undo after keep does nothing).


def _recorded(session: Session, live: Path) -> bool:
    """Whether the site at ``live`` is the one the last publication there recorded."""
    payload = session.scalars(
        select(AuditEntryRow.payload)
        .where(AuditEntryRow.action == audit.PUBLISH_ACTION, AuditEntryRow.subject == str(live))
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    sums = live / "SHA256SUMS"
    if payload is None or not sums.is_file():
        return False
    return bool(
        json.loads(payload).get("sha256sums") == hashlib.sha256(sums.read_bytes()).hexdigest()
    )


def _published_sizes(session: Session) -> set[int]:
    """The sizes of the checkpoints earlier publications carried (their entries say)."""
    sizes = set()
    query = select(AuditEntryRow.payload).where(AuditEntryRow.action == audit.PUBLISH_ACTION)
    for payload in session.scalars(query):
        carried = json.loads(payload).get("checkpoint")
        if isinstance(carried, dict) and isinstance(carried.get("size"), int):
            sizes.add(carried["size"])
    return sizes


def _write_checkpoints(
    session: Session,
    writer: SiteWriter,
    checkpoint: Checkpoint | None,
    anchors: list[audit.Anchor],
) -> None:
    """``audit/checkpoint.json`` and every checkpoint published so far, each with
    the consistency proof from the one published before it. The log agrees
    with every one of them (checked before the build), so each is rebuilt
    from the log byte for byte; those the live site holds are kept even if
    the entry that published them is gone."""
    if checkpoint is None:
        return
    sizes = _published_sizes(session) | {a.checkpoint.size for a in anchors} | {checkpoint.size}
    previous: Checkpoint | None = None
    for size in sorted(s for s in sizes if 1 <= s <= checkpoint.size):
        current = audit.checkpoint_at(session, size)
        proof = audit.consistency_proof(session, previous.size, size) if previous else ()
        writer.write(
            f"{audit.CHECKPOINTS_DIR}/{size}.json", checkpoint_link(current, previous, proof)
        )
        previous = current
    writer.write(audit.CHECKPOINT_FILE, checkpoint.to_bytes())


def _record(
    session: Session,
    report: PublishReport,
    notices: list[NoticeHead],
    numbering: Numbering,
    base: str,
    *,
    actor: str,
    at: datetime,
) -> None:
    """The audit entry of a publication: what was published, where, when, and
    the checkpoint of the log the site carries."""
    payload = {
        "pages": report.pages,
        "files": report.files,
        "bytes": report.bytes,
        "objects": report.objects,
        "sha256sums": report.manifest_sha256,
        "base_url": base or None,
        "notices": sorted([n.href, n.doc_no, n.date.isoformat(), n.status] for n in notices),
        "numbered": [list(pair) for pair in numbering.given],  # 文号 given by this publication
        "checkpoint": None
        if report.checkpoint is None
        else {"size": report.checkpoint.size, "root": report.checkpoint.root},
    }
    audit.append(session, "publish.site", str(report.path), payload, actor=actor, at=at)


def _publish_reviewed(session: Session, now: datetime, actor: str) -> None:
    """Reviewed results become published now, before the build reads them, so the
    result notices carry the time they were published, and building again from
    the same database gives the same notices."""
    standing = session.execute(
        select(DrawRow.plan_id, DrawRow.attempt)
        .join(InspectionTaskRow, InspectionTaskRow.draw_id == DrawRow.id)
        .where(DrawRow.state == DrawState.DRAWN, InspectionTaskRow.state == "reviewed")
        .distinct()
    ).all()
    for plan_id, attempt in sorted(standing):
        latest = latest_draw(session, plan_id)
        # With a replacement prepared, the lifecycle has no standing draw to
        # mark; the reviewed results are shown all the same.
        if latest is not None and latest.attempt == attempt:
            mark_published(
                session, plan_id, now=now, actor=actor, notice=paths.results(plan_id, attempt)
            )


@dataclass(slots=True)
class _Drawn:
    """What the draws' notices leave for the pages built after them."""

    runs: Runs
    notices: list[NoticeHead] = field(default_factory=list)
    stats: list[StatsIndexRow] = field(default_factory=list)
    pages: dict[int, DrawPages] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # every draw's key, for the object pages
    kept: list[DrawRecord] = field(default_factory=list)  # draws whose notices were kept
    snapshots: set[str] = field(default_factory=set)  # registry snapshots written (paths)


def _build(
    session: Session, build: Build, scratch: Path, numbering: Numbering
) -> tuple[list[NoticeHead], int]:
    for name in ("site.css", "search.js"):
        data = resources.files("dualrandom").joinpath("static", name).read_bytes()
        build.writer.write(f"static/{name}", data)
    drawn = _Drawn(Runs(scratch))
    for record in build.catalog.draws:
        _draw(session, build, record, scratch, drawn, numbering)
    notices = drawn.notices
    head = items_head(build.catalog, build.timezone)
    write_items(build, head)
    notices += [head] if head else []
    for unnumbered, plans in plan_heads(build.catalog, build.timezone):
        plan_head = numbering.apply(unnumbered)
        write_plan_notice(build, plan_head, plans)
        notices.append(plan_head)
    objects = _objects(session, build, drawn)
    write_stats_index(build, drawn.stats)
    write_index_pages(build, notices, objects)
    write_feed(build, notices)
    write_sitemap(build)
    return notices, objects


def _draw(
    session: Session,
    build: Build,
    record: DrawRecord,
    scratch: Path,
    drawn: _Drawn,
    numbering: Numbering,
) -> None:
    """Every notice of one draw."""
    # No public zip of a DR-1 draw: it would carry names and addresses (issue 9).
    public = record.has_notice and record.algorithm == DR2
    bundle, snapshot = (
        _bundle(session, build, record, scratch, drawn.snapshots) if public else (None, None)
    )
    facts = draw_facts(record, build.catalog, build.timezone, bundle, snapshot)
    unnumbered = draw_heads(facts, record, build.catalog, build.timezone)
    heads = {kind: numbering.apply(head) for kind, head in unnumbered.items()}
    write_predraw(build, record, facts, heads["predraw"])
    if record.has_notice:
        group, key = f"draw-{record.id}", _draw_key(session, build, record, facts, heads)
        drawn.keys.append(key)
        note = build.writer.reuse_group(group, key)
        if note is not None:  # the live site has this draw's notices as they are now
            published, problems = map(int, note.split(","))
            drawn.stats.append(StatsIndexRow(facts, heads["stats"], published, problems))
            drawn.kept.append(record)
        else:
            with build.writer.grouped(group, key) as written:
                visits = list(read_visits(session, record))
                drawn.pages[record.id] = pages = write_draw(build, record, facts, heads, visits)
                written.summary = f"{pages.published},{pages.problems}"
            drawn.stats.append(
                StatsIndexRow(facts, heads["stats"], pages.published, pages.problems)
            )
            drawn.runs.add(record.id, visits)
    drawn.notices += heads.values()


def _digest(build: Build, *parts: object) -> str:
    """A key: the build's fingerprint and the ``repr`` of plain values."""
    text = repr(parts).encode("utf-8")
    return hashlib.sha256(build.renderer.fingerprint + text).hexdigest()[:32]


# The rows a draw's notices read that can change after the draw.
_TASK_COLUMNS = (
    "visit",
    "state",
    "reason",
    "replaced_by_visit",
    "checked_on",
    "result_code",
    "follow_up",
)
_TEAM_COLUMNS = ("visit", "slot", "cert_no", "role")


def _draw_key(
    session: Session,
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    heads: dict[str, NoticeHead],
) -> str:
    """What a draw's notices (list, results, statistics, their downloads) are made
    from: the draw as read, its facts and headings, the department names, the
    page length, and every row its notices read that can change after the draw
    — the inspection tasks, visits added by substitution, and the teams when
    the plan publishes them. The registries as of the draw's versions never
    change (a change is a new version)."""
    tasks_digest = rows_digest(session, "inspection_tasks", _TASK_COLUMNS, record.id, ("visit",))
    visits = tuple(
        session.execute(
            select(func.count(), func.max(DrawVisitRow.number)).where(
                DrawVisitRow.draw_id == record.id
            )
        ).one()
    )
    team: object = ()
    if record.inspector_names:
        team = rows_digest(session, "draw_members", _TEAM_COLUMNS, record.id, ("visit", "slot"))
    return _digest(
        build,
        "draw",
        record,
        facts,
        sorted(heads.items()),
        sorted(build.catalog.departments.items()),
        rows_per_page(),
        tasks_digest,
        visits,
        team,
    )


def _objects(session: Session, build: Build, drawn: _Drawn) -> int:
    """The object pages, their list and the search index: kept whole when every
    draw's key is the one they were made from, else made again from every
    draw's visits (those of kept draws are read for it, not written)."""
    key = _digest(build, "objects", drawn.keys)
    note = build.writer.reuse_group("objects", key)
    if note is not None:
        return int(note)
    for record in drawn.kept:
        visits = list(read_visits(session, record))
        drawn.pages[record.id] = draw_pages(visits)
        drawn.runs.add(record.id, visits)
    records = {r.id: r for r in build.catalog.draws if r.has_notice}
    with build.writer.grouped("objects", key) as written:
        objects = write_objects(build, drawn.runs, records, drawn.pages)
        written.summary = str(objects)
    return objects


def _bundle(
    session: Session, build: Build, record: DrawRecord, scratch: Path, snapshots: set[str]
) -> tuple[Download, Download]:
    """The public bundle of a draw, zipped beside its notice, and the registry
    snapshot it refers to.

    A draw's bundle is made from the draw alone (its row, its stored files,
    the registries as of its versions) and the audit log's checkpoint: one
    whose draw did not change is kept as the live site has it, with the
    checkpoint it was published with (its inclusion proof is against that
    checkpoint, which the site keeps under ``audit/checkpoints/``).

    The public part of the object snapshot is the same for every draw on one
    registry version: it is published once, at ``snapshots/<digest>.tsv.gz``
    named by the digest the commitment pins (``snapshots`` holds those this
    build has written), and left out of the zip (docs/BUNDLE.md)."""
    path = paths.bundle(record.plan_id, record.attempt)
    key = _bundle_key(build, record)
    digest = str(record.commitment["digests"]["objects_public"])
    snapshot = paths.snapshot(digest)
    have_snapshot = snapshot in snapshots or build.writer.reuse(
        snapshot, _digest(build, "snapshot", digest)
    )
    snapshots.add(snapshot)
    have_bundle = build.writer.reuse(path, key)
    if have_bundle and have_snapshot:
        return _downloads(build, path, snapshot)
    folder = scratch / f"{record.plan_id}-{record.attempt}"
    export_bundle(session, record.plan_id, folder, tier="public", attempt=record.attempt)
    packed = folder / SNAPSHOT_FILE
    if not have_snapshot:
        build.writer.write(snapshot, packed.read_bytes(), _digest(build, "snapshot", digest))
    packed.unlink()
    if not have_bundle:
        moment = (record.drawn_at or record.prepared_at).astimezone(build.timezone)
        with build.writer.open(path, key) as out:
            prefix = f"{record.plan_id}-{record.attempt}-public"
            zip_folder(folder, out, prefix=prefix, moment=moment)
    shutil.rmtree(folder)
    return _downloads(build, path, snapshot)


def _downloads(build: Build, bundle: str, snapshot: str) -> tuple[Download, Download]:
    return build.download("核验数据包", bundle, "ZIP"), build.download(
        "检查对象名录快照", snapshot, "GZ"
    )


def _bundle_key(build: Build, record: DrawRecord) -> str:
    """What a draw's bundle is made from: the draw as read, without its results
    (which the bundle does not hold), the build's fingerprint (time zone,
    package version) and the layout ("bundle/2": the snapshot left out)."""
    return _digest(build, "bundle/2", replace(record, results=0, results_updated=None))
