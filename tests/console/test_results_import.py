"""Results entered in bulk from a file (结果批量导入): every bad row shown, nothing
written; a good file entered under the operator's name; results of another
department's plan refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from dualrandom.tables import AuditEntryRow, DrawRow, InspectionTaskRow
from tests.console.conftest import Console, csrf_token

HEADER = "计划编号,统一社会信用代码,检查完成日期,检查结果,后续处置,备注"


def _objects(console: Console) -> list[str]:
    with console.app.transaction() as session:
        draw_id = session.scalar(select(DrawRow.id).where(DrawRow.plan_id == "2027-Q1"))
        return list(
            session.scalars(
                select(InspectionTaskRow.object_id)
                .where(InspectionTaskRow.draw_id == draw_id)
                .order_by(InspectionTaskRow.visit)
                .limit(3)
            )
        )


def _states(console: Console) -> dict[str, str]:
    with console.app.transaction() as session:
        return {t.object_id: t.state for t in session.scalars(select(InspectionTaskRow))}


def _upload(client: FlaskClient, rows: list[str]) -> tuple[int, str]:
    body = ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8-sig")
    response = client.post(
        "/results/import",
        data={
            "csrf_token": csrf_token(client, "/results/import"),
            "file": (io.BytesIO(body), "results.csv"),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_results_are_imported_all_or_none(console: Console) -> None:
    console.clock.now = datetime(2027, 2, 15, 2, 0, tzinfo=UTC)  # after the checks
    first, second, third = _objects(console)
    before = _states(console)
    client = console.client("op")
    status, page = _upload(
        client,
        [
            f"2027-Q1,{first},2027-02-08,未发现问题,无需后续处置,",
            f"2027-Q1,{second},2027-02-09,查无此结果,无需后续处置,",
            f"2027-Q1,{third},2027-13-40,未发现问题,无需后续处置,",
        ],
    )
    assert status == 422
    assert "查无此结果" in page and "2027-13-40" in page  # both bad rows, in the table
    assert _states(console) == before  # the good row was not entered either

    status, _ = _upload(
        client,
        [
            f"2027-Q1,{first},2027-02-08,未发现问题,无需后续处置,",
            f"2027-Q1,{second},2027-02-09,发现问题待后续处理,责令改正,",
        ],
    )
    assert status == 302
    after = _states(console)
    assert (after[first], after[second], after[third]) == (
        "result_entered",
        "result_entered",
        before[third],
    )
    with console.app.transaction() as session:
        entries = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "task.state")
        ).all()
    moved = [(e.actor, json.loads(e.payload)["to"]) for e in entries]
    assert moved.count(("op", "result_entered")) == 2


def test_results_of_another_departments_plan_are_refused(console: Console) -> None:
    console.clock.now = datetime(2027, 2, 15, 2, 0, tzinfo=UTC)
    *_, third = _objects(console)
    before = _states(console)
    status, page = _upload(
        console.client("op.cz"), [f"2027-Q1,{third},2027-02-08,未发现问题,无需后续处置,"]
    )
    assert status == 422 and "不属于本部门计划" in page and "2027-Q1" in page
    assert _states(console) == before
