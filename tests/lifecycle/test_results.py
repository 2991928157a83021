"""Results in by file (CSV, GB18030, XLSX) and one at a time; any bad row, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.errors import ValidationError
from dualrandom.lifecycle import (
    ResultEntry,
    ResultsSummary,
    cancel,
    import_results,
    move_many,
    set_result,
    working_calendar,
)
from dualrandom.tables import AuditEntryRow, InspectionTaskRow
from tests.lifecycle.conftest import LATER, TODAY


def _import(app: App, path: Path) -> ResultsSummary:
    with app.transaction() as session:
        calendar = working_calendar(session, app.settings.lifecycle, now=LATER)
        return import_results(
            session,
            path,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=TODAY,
            now=LATER,
        )


def _tasks(app: App) -> dict[str, InspectionTaskRow]:
    with app.transaction() as session:
        return {t.object_id: t for t in session.scalars(select(InspectionTaskRow))}


def test_a_good_file(drawn: App, objects: list[str], results_csv: Callable[..., Path]) -> None:
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置", "门店已核查"),
            ("2027-Q1", objects[1], "2027/1/29", "发现问题待后续处理", "责令改正", ""),
            ("2027-Q1", "#3", "2026-12-31", "通过登记的住所(经营场所)无法联系", "其他", ""),
        ]
    )
    summary = _import(drawn, path)
    tasks = _tasks(drawn)
    first = tasks[objects[0]]
    assert (first.state, first.result_code, first.follow_up, first.result_note) == (
        "result_entered",
        "未发现问题",
        "无需后续处置",
        "门店已核查",
    )
    # 20 working days after 8 January 2027, provisional: 除夕 5 February to 补假 10 February
    # are the 春节 holiday of the 办法, so the 20th is Thursday 11 February.
    assert (first.deadline, first.deadline_provisional) == (date(2027, 2, 11), True)
    third = tasks[objects[2]]  # 31 Dec 2026 is known; the count runs into 2027
    assert (third.checked_on, third.deadline, third.deadline_provisional) == (
        date(2026, 12, 31),
        date(2027, 1, 29),
        True,
    )
    assert len(summary.entered) == 3 and summary.by_result["未发现问题"] == 1
    with drawn.transaction() as session:
        entries = [
            json.loads(e.payload)
            for e in session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "task.state"))
        ]
    assert [(e["from"], e["to"]) for e in entries] == [("drawn", "result_entered")] * 3
    assert entries[0]["deadline"] == "2027-02-11" and "门店" not in json.dumps(entries)


def test_gb18030_with_english_headers_and_xlsx(
    drawn: App, objects: list[str], results_csv: Callable[..., Path], tmp_path: Path
) -> None:
    gbk = results_csv(
        [("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置")],
        encoding="gb18030",
        header="PLAN,Object_ID,checked_on,result,follow_up",
    )
    _import(drawn, gbk)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["计划编号", "统一社会信用代码", "检查完成日期", "检查结果", "后续处置"])
    sheet.append(["2027-Q1", objects[1], date(2027, 1, 12), "注销", "无需后续处置"])
    book.save(tmp_path / "results.xlsx")
    _import(drawn, tmp_path / "results.xlsx")
    tasks = _tasks(drawn)
    assert tasks[objects[0]].state == tasks[objects[1]].state == "result_entered"
    assert tasks[objects[1]].checked_on == date(2027, 1, 12)


def test_every_bad_row_is_listed_and_nothing_is_written(
    drawn: App, objects: list[str], results_csv: Callable[..., Path]
) -> None:
    with drawn.transaction() as session:
        cancel(session, "2027-Q1", objects[4], "企业已迁出", now=LATER, actor="test")
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置"),  # fine
            ("2027-Q1", "91000000MA0000000X", "2027-01-08", "未发现问题", "无需后续处置"),
            ("2027-Q1", objects[1], "2027-03-01", "未发现问题", "无需后续处置"),
            ("2027-Q1", objects[2], "2026-12-01", "未发现问题", "无需后续处置"),
            ("2027-Q1", objects[3], "2027-01-08", "没问题", "无需后续处置"),
            ("2027-Q1", objects[5], "2027-01-08", "未发现问题", "责令改正"),
            ("2027-Q1", "#1", "2027-01-09", "未发现问题", "无需后续处置"),
            ("2027-Q1", objects[4], "2027-01-08", "未发现问题", "无需后续处置"),
            ("2027-Q2", objects[0], "2027-01-08", "未发现问题", "无需后续处置"),
        ]
    )
    with pytest.raises(ValidationError) as failure:
        _import(drawn, path)
    found = [(p.row, p.column, p.reason) for p in failure.value.problems]
    assert [row for row, _, _ in found] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = " | ".join(f"{row} {column}: {reason}" for row, column, reason in found)
    assert "3 统一社会信用代码: '91000000MA0000000X' is not a task of 2027-Q1" in reasons
    assert "4 检查完成日期: is in the future (today is 2027-02-01)" in reasons
    assert "5 检查完成日期: is before the draw of 2027-Q1 on 2026-12-20" in reasons
    assert "6 检查结果: is not one of: 未发现问题 / 发现问题待后续处理" in reasons
    assert "7 后续处置: the result 未发现问题 needs the follow-up 无需后续处置" in reasons
    assert "8 统一社会信用代码: repeats row 2" in reasons
    assert (
        "9 统一社会信用代码: task 2027-Q1#1/5 cannot take a result: it is cancelled, which is final"
        in reasons
    )
    assert "10 计划编号: plan '2027-Q2' has not been drawn" in reasons
    assert all(t.state in ("drawn", "cancelled") for t in _tasks(drawn).values())


def test_set_one_result_and_correct_it(drawn: App, objects: list[str]) -> None:
    entry = ResultEntry("2027-Q1", objects[0], date(2027, 1, 8), "发现问题经责令已改正", "责令改正")
    with drawn.transaction() as session:
        calendar = working_calendar(session, drawn.settings.lifecycle, now=LATER)
        assert set_result(
            session,
            entry,
            calendar=calendar,
            settings=drawn.settings.lifecycle,
            today=TODAY,
            now=LATER,
        ) == ("2027-Q1#1/1", date(2027, 2, 11), True)
        move_many(
            session, "2027-Q1", [objects[0]], "reviewed", from_states=(), now=LATER, actor="t"
        )
        fixed = ResultEntry("2027-Q1", "#1", date(2027, 1, 7), "未发现问题", "无需后续处置")
        set_result(
            session,
            fixed,
            calendar=calendar,
            settings=drawn.settings.lifecycle,
            today=TODAY,
            now=LATER,
        )
        bad = ResultEntry("2027-Q1", "#2", date(2027, 1, 7), "未发现问题", "其他")
        with pytest.raises(ValidationError) as failure:
            set_result(
                session,
                bad,
                calendar=calendar,
                settings=drawn.settings.lifecycle,
                today=TODAY,
                now=LATER,
            )
    assert (
        str(failure.value.problems[0])
        == "results set [follow_up] '其他': the result 未发现问题 needs the follow-up 无需后续处置"
    )
    task = _tasks(drawn)[objects[0]]
    assert (task.state, task.checked_on, task.deadline) == (
        "result_entered",
        date(2027, 1, 7),
        date(2027, 2, 4),
    )
