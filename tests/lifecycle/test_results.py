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
        calendar = working_calendar(session, app.settings.lifecycle, now=LATER, actor="tester")
        return import_results(
            session,
            path,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=TODAY,
            now=LATER, actor="tester",
        )


def _tasks(app: App) -> dict[str, InspectionTaskRow]:
    with app.transaction() as session:
        return {t.object_id: t for t in session.scalars(select(InspectionTaskRow))}


def test_a_good_file(drawn: App, objects: list[str], results_csv: Callable[..., Path]) -> None:
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置", "门店已核查"),
            ("2027-Q1", objects[1], "2027/1/29", "发现问题待后续处理", "责令改正", ""),
            ("2027-Q1", "#3", "2027-01-04", "通过登记的住所(经营场所)无法联系", "其他", ""),
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
    # The first day of the window, a Monday: 5–8, 11–15, 18–22, 25–29 January, 1 February.
    third = tasks[objects[2]]
    assert (third.checked_on, third.deadline, third.deadline_provisional) == (
        date(2027, 1, 4),
        date(2027, 2, 1),
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
    found = [(p.row, p.column, p.reason_en) for p in failure.value.problems]
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
    chinese = {p.row: p.reason for p in failure.value.problems}
    assert chinese[3].startswith("'91000000MA0000000X' 不是计划 2027-Q1（第 1 次抽取）的任务")
    assert chinese[4] == "是将来的日期（今天是 2027-02-01）"
    assert chinese[5] == "早于计划 2027-Q1 的抽取日期 2026-12-20"
    assert chinese[7] == "检查结果“未发现问题”的后续处置应为“无需后续处置”"
    assert chinese[8] == "与第 2 行是同一个任务：一个文件中每个任务只能有一条结果"
    assert chinese[9] == "任务 2027-Q1#1/5 不能录入结果：任务已取消（cancelled），已是最终状态"
    assert chinese[10] == "计划 2027-Q2 尚未抽取，没有检查任务"
    assert all(t.state in ("drawn", "cancelled") for t in _tasks(drawn).values())


def test_a_check_before_the_window_opens_is_refused(
    drawn: App, objects: list[str], results_csv: Callable[..., Path]
) -> None:
    """2027-Q1 was drawn on 20 December 2026; its checks run from 4 January 2027."""
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-04", "未发现问题", "无需后续处置"),  # the first day
            ("2027-Q1", objects[1], "2027-01-03", "未发现问题", "无需后续处置"),
            ("2027-Q1", objects[2], "2026-12-20", "未发现问题", "无需后续处置"),  # drawn that day
        ]
    )
    with pytest.raises(ValidationError) as failure:
        _import(drawn, path)
    assert [(p.row, p.column, p.value) for p in failure.value.problems] == [
        (3, "检查完成日期", "2027-01-03"),
        (4, "检查完成日期", "2026-12-20"),
    ]
    problem = failure.value.problems[0]
    assert problem.reason == "早于计划 2027-Q1 检查时段的开始日 2027-01-04：检查在检查时段内进行"
    assert problem.reason_en.startswith("is before the check window of 2027-Q1 opens on 2027-01-04")
    assert all(t.state == "drawn" for t in _tasks(drawn).values())
    with drawn.transaction() as session, pytest.raises(ValidationError) as one:
        set_result(
            session,
            ResultEntry("2027-Q1", "#2", date(2027, 1, 3), "未发现问题", "无需后续处置"),
            calendar=working_calendar(session, drawn.settings.lifecycle, now=LATER, actor="tester"),
            settings=drawn.settings.lifecycle,
            today=TODAY,
            now=LATER, actor="tester",
        )
    assert one.value.problems[0].column == "checked_on" and "2027-01-04" in one.value.problems[0].reason


def test_set_one_result_and_correct_it(drawn: App, objects: list[str]) -> None:
    entry = ResultEntry("2027-Q1", objects[0], date(2027, 1, 8), "发现问题经责令已改正", "责令改正")
    with drawn.transaction() as session:
        calendar = working_calendar(session, drawn.settings.lifecycle, now=LATER, actor="tester")
        assert set_result(
            session,
            entry,
            calendar=calendar,
            settings=drawn.settings.lifecycle,
            today=TODAY,
            now=LATER, actor="tester",
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
            now=LATER, actor="tester",
        )
        bad = ResultEntry("2027-Q1", "#2", date(2027, 1, 7), "未发现问题", "其他")
        with pytest.raises(ValidationError) as failure:
            set_result(
                session,
                bad,
                calendar=calendar,
                settings=drawn.settings.lifecycle,
                today=TODAY,
                now=LATER, actor="tester",
            )
    assert str(failure.value.problems[0]) == (
        "results set [follow_up] '其他': 检查结果“未发现问题”的后续处置应为“无需后续处置” "
        "(the result 未发现问题 needs the follow-up 无需后续处置)"
    )
    task = _tasks(drawn)[objects[0]]
    assert (task.state, task.checked_on, task.deadline) == (
        "result_entered",
        date(2027, 1, 7),
        date(2027, 2, 4),
    )


def test_a_control_character_in_a_result_is_refused(
    drawn: App, objects: list[str], results_csv: Callable[..., Path]
) -> None:
    """NUL (which PostgreSQL cannot store) and bidirectional controls, on every engine."""
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置", "门店\x00已核查"),
            ("2027-Q1", objects[1], "2027-01-08", "未发现问题", "无需后续处置", "\u2067备注"),
        ]
    )
    with pytest.raises(ValidationError) as failure:
        _import(drawn, path)
    assert [(p.row, p.column, p.value) for p in failure.value.problems] == [
        (2, "备注", "门店<U+0000>已核查"),
        (3, "备注", "<U+2067>备注"),
    ]
    assert all("不可见的控制字符" in p.reason for p in failure.value.problems)
    assert all(t.state == "drawn" for t in _tasks(drawn).values())
