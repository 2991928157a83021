"""``dualrandom audit``: read the audit log, check the whole record, prove checkpoints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from dualrandom import audit as audit_log
from dualrandom.app import App
from dualrandom.cli._context import pass_app
from dualrandom.cli._output import print_json, print_problems, print_rows
from dualrandom.core.auditlog import timestamp
from dualrandom.errors import IntegrityError
from dualrandom.integrity import Report, verify_site_record

_PAYLOAD_SHOWN = 100  # characters of an entry's details in the table; --json gives all


def register(cli: click.Group) -> None:
    cli.add_command(audit)


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log (全程留痕) and its checkpoints."""


@audit.command()
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint kept elsewhere (a bundle's or the site's checkpoint.json); repeatable.",
)
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="Site folder whose audit/checkpoints/ to compare with [default: [paths] site].",
)
@click.option(
    "--skip-registries",
    is_flag=True,
    help="Do not recompute every registry version's digest (the slow part on a big registry).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def verify(
    app: App,
    checkpoints: tuple[Path, ...],
    site: Path | None,
    skip_registries: bool,
    as_json: bool,
) -> None:
    """Check the whole record: the hash chain, the log against every published
    checkpoint, the log's rules about draws, every stored draw against its
    committed result, every registry version against its digest."""
    folder = site or app.settings.site_dir
    with app.transaction() as session:
        report = verify_site_record(
            session, folder, checkpoints=checkpoints, registries=not skip_registries
        )
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(report, folder, skip_registries)
    if not report.ok:
        if not as_json:
            print_problems([f.problem() for f in report.findings])
        raise IntegrityError(
            f"审计核验未通过：发现 {len(report.findings)} 处不一致",
            f"the audit check failed: {len(report.findings)} contradiction(s) found",
        )


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "entries": report.entries,
        "checkpoints": report.anchors,
        "draws": report.draws,
        "registry_versions": report.registry_versions,
        "seconds": {part: round(s, 3) for part, s in report.seconds.items()},
        "findings": [f.as_json() for f in report.findings],
    }


def _print_report(report: Report, site: Path, skipped: bool) -> None:
    seconds = sum(report.seconds.values())
    click.echo(f"审计日志 {report.entries} 条 / audit log: {report.entries} entries")
    click.echo(
        f"检查点 {report.anchors} 个（{site / audit_log.CHECKPOINTS_DIR} 及 --checkpoint）"
        f" / {report.anchors} checkpoint(s) compared"
    )
    click.echo(f"抽取 {report.draws} 次 / {report.draws} draw(s) checked against their results")
    if skipped:
        click.echo("名录库版本：未核验（--skip-registries） / registry versions: skipped")
    else:
        click.echo(
            f"名录库版本 {report.registry_versions} 个 / {report.registry_versions} registry version(s)"
        )
    parts = ", ".join(f"{part} {s:.1f} s" for part, s in report.seconds.items())
    click.echo(f"用时 {seconds:.1f} 秒 / took {seconds:.1f} s ({parts})")
    if report.ok:
        click.echo(
            "完整：记录与其承诺、检查点一致 / Intact: the record agrees with its commitments and checkpoints."
        )


def _instant(value: datetime | None, app: App, *, end_of_day: bool) -> datetime | None:
    """A --since/--until value as an instant: local time in [time] timezone; a bare
    date is the start of that day, or for --until the end of it."""
    if value is None:
        return None
    local = value.replace(tzinfo=app.settings.timezone)
    if end_of_day and (value.hour, value.minute, value.second) == (0, 0, 0):
        local += timedelta(days=1)
    return local.astimezone(UTC)


_WHEN = click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


@audit.command()
@click.option("--plan", help="Entries about this plan: its rules, draws, tasks and steps.")
@click.option("--actor", help="Entries of this actor (exactly, e.g. scheduler@host).")
@click.option("--action", help="Entries whose action starts with this, e.g. draw. or task.state.")
@click.option("--since", type=_WHEN, help="From this local day (or day and time) on.")
@click.option("--until", type=_WHEN, help="Up to the end of this local day (or before this time).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Newest first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, every field whole.")
@pass_app
def log(
    app: App,
    plan: str | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    page: int,
    as_json: bool,
) -> None:
    """List audit-log entries, newest first: who did what, to which subject, when."""
    with app.transaction() as session:
        found = audit_log.entries(
            session,
            plan=plan,
            actor=actor,
            action=action,
            since=_instant(since, app, end_of_day=False),
            until=_instant(until, app, end_of_day=True),
            offset=(page - 1) * limit,
            limit=limit,
        )
        rows = [
            _entry_json(e.seq, e.at, e.actor, e.action, e.subject, e.payload, e.hash)
            for e in found.entries
        ]
    if as_json:
        print_json({"total": found.total, "page": page, "limit": limit, "entries": rows})
        return
    zone = app.settings.timezone
    print_rows(
        ("序号 seq", "时间 at", "操作人 actor", "操作 action", "对象 subject", "详情 payload"),
        (
            (
                str(r["seq"]),
                datetime.fromisoformat(r["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                r["actor"],
                r["action"],
                r["subject"],
                _short(r["payload"]),
            )
            for r in rows
        ),
        f"审计日志 audit log：共 {found.total} 条 entries, 第 {page} 页 page",
    )


def _entry_json(
    seq: int, at: datetime, actor: str, action: str, subject: str, payload: str, hashed: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": timestamp(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": json.loads(payload),
        "hash": hashed,
    }


def _short(payload: Any) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= _PAYLOAD_SHOWN else text[:_PAYLOAD_SHOWN] + "…（--json 见全部 all）"


@audit.command()
@click.option(
    "--from",
    "older",
    type=click.IntRange(1),
    required=True,
    help="Entries in the older checkpoint.",
)
@click.option(
    "--to",
    "newer",
    type=click.IntRange(1),
    help="Entries in the newer one [default: the current checkpoint].",
)
@pass_app
def prove(app: App, older: int, newer: int | None) -> None:
    """Print the RFC 9162 consistency proof that the log's first FROM entries are a
    prefix of its first TO entries, with both checkpoints (JSON)."""
    with app.transaction() as session:
        current = audit_log.current_checkpoint(session)
        size = newer or (current.size if current else 0)
        proof = audit_log.consistency_proof(session, older, size)
        first, second = (
            audit_log.checkpoint_at(session, older),
            audit_log.checkpoint_at(session, size),
        )
    print_json(
        {"from": first.document(), "to": second.document(), "proof": [p.hex() for p in proof]}
    )


@audit.command()
@pass_app
def checkpoint(app: App) -> None:
    """Print the current checkpoint (JSON), to keep somewhere the database cannot reach."""
    with app.transaction() as session:
        current = audit_log.current_checkpoint(session)
    if current is None:
        raise IntegrityError(
            "审计日志为空，没有检查点", "the audit log is empty: there is no checkpoint"
        )
    click.echo(current.to_bytes().decode("utf-8"), nl=False)
