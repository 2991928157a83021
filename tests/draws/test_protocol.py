"""The commit–reveal protocol: prepare, run, supersede, refusals, audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dualrandom import audit
from dualrandom.app import App
from dualrandom.core import secret_commitment
from dualrandom.draws import SecretStore, get_draw, prepare_draw, run_draw
from dualrandom.errors import DrawStateError, IntegrityError
from dualrandom.registry import import_registry
from dualrandom.tables import AuditEntryRow, DrawMemberRow, DrawRow, DrawVisitRow, InspectionTaskRow
from tests.conftest import REPO
from tests.draws.conftest import NOW, TODAY

PLAN = "2027-Q1"
EARLIER = NOW - timedelta(days=1)


def _prepare(app: App, secrets: SecretStore, **kwargs: str) -> DrawRow:
    with app.transaction() as session:
        return prepare_draw(session, PLAN, secrets=secrets, now=NOW, actor="tester", **kwargs).draw


def _run(app: App, secrets: SecretStore, entropy: str = "3141592653") -> DrawRow:
    with app.transaction() as session:
        row, _ = run_draw(session, PLAN, entropy, secrets=secrets, now=NOW, actor="tester")
        return row


def test_prepare_commits_before_any_randomness(dr1_app: App, secrets: SecretStore) -> None:
    row = _prepare(dr1_app, secrets)
    commitment = json.loads(row.commitment)
    assert row.state == "prepared" and row.seed is None and row.secret is None
    assert commitment["secret_commitment"] == secret_commitment(bytes([7]) * 32)
    assert commitment["digests"]["objects"] == row.objects_digest
    assert {q["item"] for q in commitment["quotas"]} == {"SCJG-01", "SYJ-01", "SYJ-02"}
    assert all(
        not q["publicly_verifiable"] for q in commitment["quotas"]
    )  # strata are risk classes


def test_run_draws_and_records_everything(dr1_app: App, secrets: SecretStore) -> None:
    _prepare(dr1_app, secrets)
    row = _run(dr1_app, secrets)
    with dr1_app.transaction() as session:
        visits = session.scalars(select(DrawVisitRow).where(DrawVisitRow.draw_id == row.id)).all()
        members = session.scalars(select(DrawMemberRow).where(DrawMemberRow.draw_id == row.id)).all()
        actions = [e.action for e in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))]
        assert audit.verify(session).ok
    assert row.state == "drawn" and row.secret == "07" * 32 and row.entropy == "3141592653"
    assert len(visits) > 0 and len(members) >= 2 * len(visits)
    assert all(len(v.ticket) == 16 for v in visits)
    assert actions[-2:] == ["draw.prepare", "draw.run"]


def test_same_inputs_secret_and_entropy_give_the_same_draw(
    app: App, dr1_app: App, secrets: SecretStore
) -> None:
    _prepare(dr1_app, secrets)
    first = _run(dr1_app, secrets)
    _prepare(dr1_app, secrets, supersede_reason="repeat to show reproducibility")
    second = _run(dr1_app, secrets)
    assert (second.seed, second.result_digest) == (first.seed, first.result_digest)
    assert second.attempt == 2


def test_run_without_prepare_is_refused(dr1_app: App, secrets: SecretStore) -> None:
    with pytest.raises(DrawStateError, match="draw prepare 2027-Q1"):
        _run(dr1_app, secrets)


def test_second_draw_needs_supersede_with_reason(dr1_app: App, secrets: SecretStore) -> None:
    _prepare(dr1_app, secrets)
    first = _run(dr1_app, secrets)
    with pytest.raises(DrawStateError, match="--supersede --reason"):
        _prepare(dr1_app, secrets)
    _prepare(dr1_app, secrets, supersede_reason="wrong item list")
    with dr1_app.transaction() as session:
        assert session.get(DrawRow, first.id).state == "drawn"  # stands until the new draw runs
    _run(dr1_app, secrets, entropy="999")
    with dr1_app.transaction() as session:
        assert session.get(DrawRow, first.id).state == "superseded"
        latest = get_draw(session, PLAN)
        assert (latest.attempt, latest.supersedes_id, latest.supersede_reason) == (
            2,
            first.id,
            "wrong item list",
        )


def test_run_refuses_when_a_registry_changed_since_prepare(
    dr1_app: App, secrets: SecretStore, tmp_path: Path
) -> None:
    _prepare(dr1_app, secrets)
    source = tmp_path / "one.csv"
    lines = (REPO / "registries" / "objects.csv").read_text(encoding="utf-8").splitlines()
    source.write_text(
        lines[0] + "\n" + lines[1].replace(",存续,", ",吊销,", 1) + "\n", encoding="utf-8"
    )
    with dr1_app.transaction() as session:
        import_registry(session, "objects", source, today=TODAY, partial=True, at=NOW, actor="tester")
    with pytest.raises(DrawStateError, match="objects changed since 'draw prepare'"):
        _run(dr1_app, secrets)
    with dr1_app.transaction() as session:
        assert get_draw(session, PLAN).state == "prepared"  # nothing was written


def test_a_secret_that_does_not_match_its_commitment_is_refused(
    dr1_app: App, secrets: SecretStore
) -> None:
    row = _prepare(dr1_app, secrets)
    secrets.path(PLAN, row.attempt).write_text("00" * 32, encoding="ascii")
    with pytest.raises(IntegrityError, match="does not match the commitment"):
        _run(dr1_app, secrets)


def test_empty_entropy_is_refused(dr1_app: App, secrets: SecretStore) -> None:
    _prepare(dr1_app, secrets)
    with pytest.raises(DrawStateError, match="entropy is empty"):
        _run(dr1_app, secrets, entropy="  ")


def _aware(moment: datetime) -> datetime:
    """A stored time as an aware one (SQLite gives UTC without its zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def test_a_draw_opens_one_task_per_visit_and_supersede_cancels_them(
    dr1_app: App, secrets: SecretStore
) -> None:
    _prepare(dr1_app, secrets)
    first = _run(dr1_app, secrets)
    with dr1_app.transaction() as session:
        visits = session.scalars(select(DrawVisitRow).where(DrawVisitRow.draw_id == first.id)).all()
        tasks = session.scalars(
            select(InspectionTaskRow).where(InspectionTaskRow.draw_id == first.id)
        ).all()
        assert sorted(t.visit for t in tasks) == sorted(v.number for v in visits)
        assert {t.state for t in tasks} == {"drawn"}
        # A published result is final, and a task cancelled earlier keeps its reason.
        published, cancelled = tasks[0], tasks[1]
        published.state, published.updated_at = "published", EARLIER
        cancelled.state, cancelled.reason, cancelled.updated_at = "cancelled", "已迁出", EARLIER
    _prepare(dr1_app, secrets, supersede_reason="registry was stale")
    _run(dr1_app, secrets, entropy="42")
    with dr1_app.transaction() as session:
        tasks = session.scalars(
            select(InspectionTaskRow)
            .where(InspectionTaskRow.draw_id == first.id)
            .order_by(InspectionTaskRow.visit)
        ).all()
        kept = {t.visit: (t.state, t.reason, _aware(t.updated_at)) for t in tasks[:2]}
        assert kept == {
            published.visit: ("published", "", EARLIER),
            cancelled.visit: ("cancelled", "已迁出", EARLIER),
        }
        rest = tasks[2:]
        assert len(rest) == len(visits) - 2 and {t.state for t in rest} == {"cancelled"}
        assert all("registry was stale" in t.reason and _aware(t.updated_at) == NOW for t in rest)
