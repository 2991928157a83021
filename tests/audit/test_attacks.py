"""The attacks of issue 8, done as an operator with database access would do them.

Each one ends in a named failure — ``audit verify``, ``publish`` and ``draw
export`` all refuse, saying where — never in a MATCH or a publication.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from dualrandom.app import App
from dualrandom.core.auditlog import entry_hash, timestamp
from dualrandom.tables import AuditEntryRow, DrawRow, DrawVisitRow, ObjectRow
from tests.draws.conftest import load_sample, store_dr1_plans

OPERATOR = "操作员甲"


def dualrandom(config: Path, *args: str) -> Result:
    return CliRunner(env={"DUALRANDOM_OPERATOR": OPERATOR}).invoke(
        cli_group(), ["--config", str(config), *args]
    )


def cli_group():  # type: ignore[no-untyped-def]
    from dualrandom.cli._main import cli

    return cli


def ok(config: Path, *args: str) -> str:
    result = dualrandom(config, *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(config: Path, *args: str) -> str:
    result = dualrandom(config, *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def site_of(config: Path) -> Path:
    return config.parent / "var" / "site"


def snapshot(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture
def published(app: App, config_file: Path) -> Path:
    """2027-Q1 drawn at the ceremony and published, the way the regulator did it before
    DR-2 (a DR-1 draw: these attacks are on the stored record, whatever drew it)."""
    load_sample(app)
    store_dr1_plans(app, "2027-Q1")
    ok(config_file, "draw", "prepare", "2027-Q1")
    ok(config_file, "draw", "run", "2027-Q1", "--entropy", "3 1 4 1 5 9 2 6", "--yes")
    ok(config_file, "publish")
    assert "Intact" in ok(config_file, "audit", "verify")
    return config_file


def sql(app: App, statement: str, **values: object) -> None:
    with app.transaction() as session:
        session.execute(text(statement), values)


def draw_id(app: App, attempt: int = 1) -> int:
    with app.transaction() as session:
        found = session.scalar(
            select(DrawRow.id).where(DrawRow.plan_id == "2027-Q1", DrawRow.attempt == attempt)
        )
        assert found is not None
        return found


def findings(config: Path, *options: str) -> list[dict[str, str]]:
    """What ``audit verify --json`` found (it fails: exit 1, 错误 then Error last)."""
    result = dualrandom(config, "audit", "verify", "--json", *options)
    assert result.exit_code == 1, result.output
    document, error = result.output.split("\n错误：")
    assert error.startswith("审计核验未通过") and "Error: the audit check failed" in error
    found: list[dict[str, str]] = json.loads(document)["findings"]
    return found


def codes(config: Path, *options: str) -> set[str]:
    return {f["code"] for f in findings(config, *options)}


def named(found: list[dict[str, str]], code: str) -> dict[str, str]:
    return next(f for f in found if f["code"] == code)


def test_a_swapped_visit_is_named_and_nothing_is_published_or_exported(
    app: App, published: Path, tmp_path: Path
) -> None:
    """UPDATE of one drawn visit's business: the notice would name it, the bundle the original."""
    with app.transaction() as session:
        drawn = set(session.scalars(select(DrawVisitRow.object_id)))
        other = next(o for o in session.scalars(select(ObjectRow.object_id)) if o not in drawn)
    site, before = site_of(published), snapshot(site_of(published))
    sql(app, "UPDATE draw_visits SET object_id = :o WHERE draw_id = :d AND number = 2",
        o=other, d=draw_id(app))  # fmt: skip
    visit = named(findings(published), "draw.visit")
    assert (visit["table"], visit["row"], visit["column"]) == ("draw_visits", "2027-Q1#1 visit 2", "object_id")
    assert visit["found"] == other and visit["expected"] != other and "result.tsv" in visit["reason"]
    assert "审计核验未通过" in refused(published, "audit", "verify")
    out = refused(published, "publish")
    assert out.startswith("错误：发布被拒绝") and "draw_visits 2027-Q1#1 visit 2" in out
    assert "Error: publish refused" in out
    assert snapshot(site) == before
    out = refused(published, "draw", "export", "2027-Q1", str(tmp_path / "bundle"), "--tier", "auditor")
    assert out.startswith("错误：导出数据包被拒绝") and "draw_visits 2027-Q1#1 visit 2" in out
    assert not (tmp_path / "bundle").exists()


def test_a_reset_and_rerun_is_a_second_draw_run_of_the_same_attempt(
    app: App, published: Path
) -> None:
    """Set the drawn plan back to prepared, delete what it drew, run it again with other dice."""
    draw = draw_id(app)
    with app.transaction() as session:
        secret = session.scalar(select(DrawRow.secret).where(DrawRow.id == draw))
    for table in ("inspection_tasks", "draw_members"):
        sql(app, f"DELETE FROM {table} WHERE draw_id = :d", d=draw)
    sql(app, "DELETE FROM draw_visits WHERE draw_id = :d", d=draw)
    sql(app, "DELETE FROM draw_files WHERE draw_id = :d AND name NOT IN "
        "('commitment.json', 'plan.json', 'history.tsv')", d=draw)  # fmt: skip
    sql(app, "UPDATE draws SET state = 'prepared', secret = NULL, entropy = NULL, seed = NULL, "
        "result_digest = NULL, drawn_at = NULL WHERE id = :d", d=draw)  # fmt: skip
    secrets = published.parent / "var" / "secrets"
    (secrets / "2027-Q1.1.secret").write_text(str(secret), encoding="utf-8")  # kept by the operator
    ok(published, "draw", "run", "2027-Q1", "--entropy", "6 6 6 6 6 6", "--yes")
    twice = named(findings(published), "draw.run-twice")
    assert (twice["table"], twice["row"]) == ("draws", "2027-Q1#1") and "#" in twice["found"]
    out = refused(published, "publish")
    assert out.startswith("错误：发布被拒绝") and "draws 2027-Q1#1" in out


def _rehash_from(app: App, seq: int, payload: str) -> None:
    """Edit entry ``seq`` and re-hash it and every entry after it: a perfect chain."""
    with app.transaction() as session:
        entries = list(session.scalars(select(AuditEntryRow).where(AuditEntryRow.seq >= seq).order_by(AuditEntryRow.seq)))
        prev = session.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.seq == seq - 1))
        entries[0].payload = payload
        for entry in entries:
            entry.prev_hash = str(prev)
            entry.hash = prev = entry_hash(
                entry.seq, timestamp(entry.at), entry.actor, entry.action, entry.subject,
                entry.payload, entry.prev_hash,
            )  # fmt: skip
            session.flush()


def test_an_entry_edited_and_everything_after_it_rehashed_fails_against_the_published_checkpoint(
    app: App, published: Path
) -> None:
    with app.transaction() as session:
        prepare = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "draw.prepare")
        ).one()
    forged = json.loads(prepare.payload) | {"note": "nothing happened here"}
    _rehash_from(app, prepare.seq, json.dumps(forged, sort_keys=True, separators=(",", ":")))
    assert ok(published, "audit", "verify", "--site", str(published.parent / "nowhere"))  # the chain alone: intact
    found = findings(published)
    assert {f["code"] for f in found} == {"checkpoint.rewritten"}  # the chain itself is perfect
    sources = {f["table"] for f in found}
    site = site_of(published)
    assert str(site / "audit" / "checkpoint.json") in sources
    assert any(s.startswith(str(site / "audit" / "checkpoints")) for s in sources)
    assert "日志被改写" in found[0]["reason"] and "rewritten" in found[0]["reason_en"]
    out = refused(published, "publish")
    assert out.startswith("错误：发布被拒绝") and "日志被改写" in out


def test_the_last_entries_deleted_fail_against_a_checkpoint_kept_elsewhere(
    app: App, published: Path, tmp_path: Path
) -> None:
    """The attacker also wipes the site; a checkpoint someone kept from a bundle remains.
    The deleted entries are the tasks' notifications after the draw: nothing but a
    checkpoint can miss them."""
    ok(published, "tasks", "notify", "2027-Q1")
    ok(published, "draw", "export", "2027-Q1", str(tmp_path / "bundle"), "--tier", "auditor")
    kept = tmp_path / "kept-checkpoint.json"
    shutil.copy(tmp_path / "bundle" / "checkpoint.json", kept)
    size = json.loads(kept.read_bytes())["size"]
    shutil.rmtree(site_of(published))
    sql(app, "DELETE FROM audit_log WHERE seq > :n", n=size - 3)
    ok(published, "audit", "verify")  # nothing published left to compare with: intact
    rewound = named(findings(published, "--checkpoint", str(kept)), "checkpoint.rewound")
    assert rewound["table"] == str(kept) and rewound["column"] == "size"
    assert (rewound["expected"], rewound["found"]) == (str(size), str(size - 3))
    assert "日志被回退" in rewound["reason"] and "rewound" in rewound["reason_en"]


def test_the_last_entries_deleted_fail_against_the_published_site(
    app: App, published: Path
) -> None:
    ok(published, "tasks", "notify", "2027-Q1")
    ok(published, "publish")
    checkpoint = json.loads((site_of(published) / "audit" / "checkpoint.json").read_bytes())
    sql(app, "DELETE FROM audit_log WHERE seq > :n", n=checkpoint["size"] - 2)
    assert codes(published) == {"checkpoint.rewound"}
    assert refused(published, "publish").startswith("错误：发布被拒绝")


def test_publishing_across_a_forged_team_is_refused(app: App, published: Path) -> None:
    """A colleague put on a team instead of the drawn officer: the notice must not show it."""
    site, before = site_of(published), snapshot(site_of(published))
    with app.transaction() as session:
        officers = sorted(set(session.scalars(text("SELECT cert_no FROM inspector_rows"))))
    sql(app, "UPDATE draw_members SET cert_no = :c WHERE draw_id = :d AND visit = 1 AND slot = 1",
        c=officers[-1], d=draw_id(app))  # fmt: skip
    out = refused(published, "publish")
    assert out.startswith("错误：发布被拒绝") and "draw_members 2027-Q1#1 visit 1 slot 1" in out
    assert snapshot(site) == before
    member = named(findings(published), "draw.member")
    assert (member["table"], member["row"]) == ("draw_members", "2027-Q1#1 visit 1 slot 1")
    assert officers[-1] in member["found"] and "teams.tsv" in member["reason"]
