"""Reading the log (audit log), its checkpoints and proofs (audit checkpoint, audit prove),
and the anchor every bundle carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from dualrandom import audit
from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.core.auditlog import inclusion_problem, inconsistency, read_checkpoint
from dualrandom.draws import export_bundle
from dualrandom.tables import AuditEntryRow
from tests.audit.conftest import ACTOR, draw_row

DAYS = [datetime(2027, 1, d, 1, 0, tzinfo=UTC) for d in (4, 5, 6)]  # 09:00 in Beijing


def _run(config: Path, *args: str) -> Result:
    return CliRunner(env={"DUALRANDOM_OPERATOR": ""}).invoke(cli, ["--config", str(config), *args])


def _entries(app: App) -> None:
    with app.transaction() as session:
        for at, action, subject, actor in (
            (DAYS[0], "rules.plan", "2027-Q1", "op"),
            (DAYS[0], "draw.prepare", "2027-Q1#1", "op"),
            (DAYS[1], "draw.run", "2027-Q1#1", "op"),
            (DAYS[1], "task.state", "2027-Q1#1/3", "检查员"),
            (DAYS[1], "schedule.step", "2027-Q1/publish", "scheduler@host"),
            (DAYS[2], "draw.prepare", "2027-Q10#1", "admin_x"),
            (DAYS[2], "publish.site", "/srv/site", "op"),
        ):
            audit.append(session, action, subject, {"说明": subject}, actor=actor, at=at)


def test_entries_by_plan_actor_action_and_time(app: App) -> None:
    _entries(app)
    with app.transaction() as session:
        seqs = lambda **f: [e.seq for e in audit.entries(session, **f).entries]  # noqa: E731
        assert seqs() == [7, 6, 5, 4, 3, 2, 1]
        assert seqs(plan="2027-Q1") == [5, 4, 3, 2, 1]  # not 2027-Q10
        assert seqs(plan="2027-Q1", actor="op") == [3, 2, 1]
        assert seqs(action="draw.") == [6, 3, 2]
        assert seqs(since=DAYS[1], until=DAYS[2]) == [5, 4, 3]
        page = audit.entries(session, plan="2027-Q1", offset=1, limit=2)
        assert page.total == 5 and [e.seq for e in page.entries] == [4, 3]
        assert audit.distinct_values(session, "actor") == ["admin_x", "op", "scheduler@host", "检查员"]


def test_audit_log_lists_filters_and_pages(app: App, config_file: Path) -> None:
    _entries(app)
    result = _run(config_file, "audit", "log", "--plan", "2027-Q1", "--until", "2027-01-05", "--json")
    listed = json.loads(result.output)
    assert result.exit_code == 0 and listed["total"] == 5
    assert [e["seq"] for e in listed["entries"]] == [5, 4, 3, 2, 1]
    assert listed["entries"][1] | {"hash": ""} == {
        "seq": 4, "at": "2027-01-05T01:00:00.000000Z", "actor": "检查员", "action": "task.state",
        "subject": "2027-Q1#1/3", "payload": {"说明": "2027-Q1#1/3"}, "hash": "",
    }  # fmt: skip
    result = _run(config_file, "audit", "log", "--since", "2027-01-05", "--action", "draw", "--limit", "1", "--page", "2")
    assert result.exit_code == 0, result.output
    assert "2027-Q1#1" in result.output and "2027-Q10#1" not in result.output
    assert "2027-01-05" in result.output and "09:00:00" in result.output  # Beijing, not UTC
    assert "共 2 条" in result.output


def test_the_current_checkpoint_leaves_out_the_publications_at_the_end(app: App) -> None:
    """Publishing again with nothing new carries the same checkpoint (the same site bytes)."""
    _entries(app)
    with app.transaction() as session:
        checkpoint = audit.current_checkpoint(session)
        sixth = audit.checkpoint_at(session, 6)
        log_id = session.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.seq == 1))
        assert checkpoint == sixth and checkpoint.log == log_id
        assert checkpoint.at == "2027-01-06T01:00:00.000000Z"
        audit.append(session, "publish.site", "/srv/other", {}, actor="op", at=DAYS[2])
        assert audit.current_checkpoint(session) == checkpoint
        audit.append(session, "task.state", "2027-Q1#1/4", {}, actor="op", at=DAYS[2])
        assert audit.current_checkpoint(session).size == 9  # type: ignore[union-attr]


def test_audit_prove_prints_a_proof_an_outsider_can_check(app: App, config_file: Path) -> None:
    _entries(app)
    kept = _run(config_file, "audit", "checkpoint")
    assert kept.exit_code == 0 and read_checkpoint(kept.output.encode()).size == 6
    with app.transaction() as session:
        for n in range(8, 20):
            audit.append(session, "task.state", f"2027-Q1#1/{n}", {}, actor="op", at=DAYS[2])
    result = _run(config_file, "audit", "prove", "--from", "6")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    older, newer = read_checkpoint(json.dumps(shown["from"]).encode()), read_checkpoint(json.dumps(shown["to"]).encode())
    assert older == read_checkpoint(kept.output.encode()) and newer.size == 19
    proof = [bytes.fromhex(p) for p in shown["proof"]]
    assert proof and inconsistency(older, newer, proof) is None
    result = _run(config_file, "audit", "prove", "--from", "7", "--to", "30")
    assert result.exit_code == 1 and "1 <= from <= to <= 19" in result.output


def test_a_bundle_proves_its_draw_is_in_the_log(history: App, tmp_path: Path) -> None:
    with history.transaction() as session:
        bundle = export_bundle(session, "2027-Q2", tmp_path / "bundle", tier="public").path
        run_seq = session.scalar(
            select(AuditEntryRow.seq).where(
                AuditEntryRow.action == "draw.run", AuditEntryRow.subject == "2027-Q2#1"
            )
        )
        size = session.scalar(select(func.count()).select_from(AuditEntryRow))
        digest = draw_row(session, "2027-Q2", 1).result_digest
    checkpoint = read_checkpoint((bundle / "checkpoint.json").read_bytes())
    inclusion = json.loads((bundle / "inclusion.json").read_bytes())
    assert checkpoint.size == size and inclusion["entry"]["seq"] == run_seq
    assert inclusion_problem(checkpoint, inclusion) is None
    logged = json.loads(inclusion["entry"]["payload"])
    assert logged["result_digest"] == digest and inclusion["entry"]["actor"] == ACTOR
    manifest = (bundle / "MANIFEST.sha256").read_text(encoding="utf-8")
    assert "  checkpoint.json\n" in manifest and "  inclusion.json\n" in manifest


def test_a_bundle_lists_the_substitution_chained_to_the_logged_head(
    history: App, tmp_path: Path
) -> None:
    """2027-Q2 had one object found 注销 (tests/audit/conftest.py): both tiers carry
    it in substitutions.tsv, both verifiers replay it, and the addendum's last chain
    value is the head its draw.substitute entry recorded (SPEC §26)."""
    import subprocess
    import sys

    from dualrandom.draws import verify_bundle

    with history.transaction() as session:
        folders = {
            tier: export_bundle(session, "2027-Q2", tmp_path / tier, tier=tier).path
            for tier in ("public", "auditor")
        }
        entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "draw.substitute")
        ).one()
    head = json.loads(entry.payload)["chain"]
    for tier, folder in folders.items():
        lines = (folder / "substitutions.tsv").read_text(encoding="utf-8").splitlines()
        assert len(lines) >= 2 and all(line.split("\t")[8] == "注销" for line in lines[1:])
        assert lines[-1].split("\t")[10] == head
        assert (ACTOR in "\n".join(lines)) == (tier == "auditor")
        report = verify_bundle(folder)
        assert report.verdict.startswith("MATCH") and "substitutions in 1 rounds" in report.verdict
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:]
        assert done.stdout.splitlines()[-1].startswith(report.verdict.removesuffix("checked"))
