"""Every bad row is reported, with the file's own row numbers, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.errors import Problem, ValidationError
from dualrandom.tables import AuditEntryRow, ObjectRow, RegistryVersionRow
from tests.registry.conftest import (
    CONFLICT_HEADER,
    INSPECTORS,
    code,
    object_row,
    objects,
    run_import,
    write_csv,
)

HEADER = [
    "id",
    "name",
    "type",
    "industry",
    "district",
    "status",
    "risk_class",
    "established",
    "abnormal_list",
    "departments",
]


def _row(n: int, **changes: str) -> list[str]:
    values = {
        "id": code(n),
        "name": f"第{n}号公司",
        "type": "企业",
        "industry": "F5211",
        "district": "兴隆台区",
        "status": "存续",
        "risk_class": "B",
        "established": "2015-03-12",
        "abnormal_list": "否",
        "departments": "SCJG",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _problems(app: App, kind: str, path: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        run_import(app, kind, path)
    return caught.value.problems


def _by_row(problems: list[Problem]) -> dict[int | None, list[Problem]]:
    grouped: dict[int | None, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.row, []).append(problem)
    return grouped


def _nothing_written(app: App) -> None:
    with app.transaction() as session:
        for model in (ObjectRow, RegistryVersionRow, AuditEntryRow):
            count = session.scalar(select(func.count()).select_from(model))
            expected = 1 if model is not ObjectRow else 0  # the departments import
            assert count == expected, model.__name__


def test_every_bad_object_row_is_reported_and_nothing_written(
    with_departments: App, tmp_path: Path
) -> None:
    bad_check = code(2)[:-1] + ("0" if code(2)[-1] != "0" else "1")
    rows = [
        HEADER,
        _row(1),  # row 2
        _row(2, id=bad_check),  # 3
        _row(3, established="2027-02-30"),  # 4: impossible date
        _row(4, established="2027-06-01"),  # 5: after today
        _row(5, type="公司"),  # 6
        _row(6, name=""),  # 7
        _row(7, name="长" * 201),  # 8
        _row(8, abnormal_list="maybe"),  # 9
        _row(9, departments="SCJG;XX"),  # 10
        _row(1),  # 11: duplicate of row 2
        _row(11, industry="5211"),  # 12
        _row(12, established="1900-01-01"),  # 13
        _row(13, risk_class="E"),  # 14
    ]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "objects.csv", rows))
    found = _by_row(problems)
    assert sorted(r for r in found if r is not None) == list(range(2, 15))
    reasons = {row: " ".join(p.reason_en for p in found[row]) for row in found if row is not None}
    assert "is repeated on row 11" in reasons[2]
    assert "check character" in reasons[3]
    assert "not a real calendar date" in reasons[4]
    assert "in the future" in reasons[5]
    assert "个体工商户" in reasons[6]  # the allowed values are listed
    assert "required" in reasons[7]
    assert "at most 200" in reasons[8]
    assert "yes/no" in reasons[9]
    assert "XX" in reasons[10]
    assert "repeats the id of row 2" in reasons[11]
    assert "GB/T 4754" in reasons[12]
    assert "1949-10-01" in reasons[13]
    assert "A / B / C / D" in reasons[14]
    assert found[6][0].column == "type" and found[6][0].value == "公司"
    # Every reason is in Chinese first, for the clerk, with the English beside it.
    assert all(_chinese(p.reason) and p.reason_en and p.reason != p.reason_en for p in problems)
    chinese = {row: " ".join(p.reason for p in found[row]) for row in found if row is not None}
    assert "在第 11 行重复出现" in chinese[2]
    assert "校验码错误" in chinese[3]
    assert "将来的日期" in chinese[5]
    assert "必填" in chinese[7]
    assert "部门 XX 不存在" in chinese[10]
    assert "与第 2 行的id重复" in chinese[11]  # the header as the file writes it
    _nothing_written(with_departments)


def test_many_bad_rows_across_batches_are_all_reported(
    with_departments: App, tmp_path: Path
) -> None:
    rows = [HEADER] + [_row(n, status="营业") if n % 3 == 0 else _row(n) for n in range(12_000)]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert len(problems) == 4000
    assert {p.row for p in problems} == {n + 2 for n in range(0, 12_000, 3)}
    _nothing_written(with_departments)


def test_header_problems(with_departments: App, tmp_path: Path) -> None:
    header = [
        "统一社会信用代码",
        "nmae",
        "类型",
        "行业代码",
        "片区",
        "登记状态",
        "名称",
        "企业名称",
        "",
    ]
    row = [code(1), "x", "企业", "F", "兴隆台区", "存续", "甲", "乙", "stray"]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", [header, row]))
    reasons = [(p.row, p.column, p.reason_en) for p in problems]
    assert (1, "nmae", "is not a known column; did you mean 名称 (name)?") in reasons
    assert any(c == "企业名称" and "repeats column 名称 (name)" in r for _, c, r in reasons)
    assert (
        1,
        "信用风险分类",
        "the required column 信用风险分类 (risk_class) is missing",
    ) in reasons
    assert (2, "第 9 列 (column 9)", "has no header") in reasons
    chinese = [p.reason for p in problems]
    assert "不是可识别的列名；您是否要写 名称 (name)？" in chinese
    assert "缺少必填的列 信用风险分类 (risk_class)" in chinese


def test_headers_in_any_language_case_and_order(with_departments: App, tmp_path: Path) -> None:
    header = ["Risk_Class", "企业名称", "ID", "主体类型", "国民经济行业分类", "所属区域", "状态"]
    rows = [header, ["A", "甲公司", code(1), "企业", "F", "兴隆台区", "存续"]]
    summary = run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert summary.added == 1


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(
    with_departments: App, tmp_path: Path
) -> None:
    rows = [HEADER, _row(1), [""] * len(HEADER), [], _row(2, type="x"), [" "] * 3]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert [p.row for p in problems] == [5]


def test_other_ids_need_no_check_character(with_departments: App, tmp_path: Path) -> None:
    header = ["id", "id_type", "name", "type", "industry", "district", "status", "risk_class"]
    rows = [header, ["摊位-017", "其他", "农贸市场17号摊位", "其他", "F", "兴隆台区", "存续", "C"]]
    summary = run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert summary.added == 1


def test_inspector_problems(with_departments: App, tmp_path: Path) -> None:
    header, good, *_ = INSPECTORS
    rows = [
        header,
        good,
        ["2", "甲", "XX", "", "", "2028-01-01", "在岗", "", ""],  # 3: unknown department
        ["3", "乙", "SCJG", "", "Y", "2028-13-01", "在岗", "", ""],  # 4: bad date
        ["4", "丙", "SCJG", "", "", "2028-01-01", "出差", "", ""],  # 5: bad status
        ["5", "丁", "SCJG", "", "", "2028-01-01", "在岗", "2027-01-20..2027-01-10", ""],  # 6
        ["6", "戊", "SCJG", "", "", "2028-01-01", "在岗", "", "211103198501028792"],  # 7: bad ID
        ["7", "己", "SCJG", "", "", "2028-01-01", "在岗", "2027-01-10;2027-02-01..2027-02-03", ""],
    ]
    problems = _problems(with_departments, "inspectors", write_csv(tmp_path / "i.csv", rows))
    reasons = {p.row: p.reason_en for p in problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "unknown department XX" in reasons[3]
    assert "calendar date" in reasons[4]
    assert "在岗 / 休假 / 借调 / 离岗" in reasons[5] or "休假" in reasons[5]
    assert "ends before it starts" in reasons[6]
    assert "resident ID" in reasons[7]


def test_conflict_problems(with_departments: App, tmp_path: Path) -> None:
    run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(3)))
    run_import(with_departments, "inspectors", write_csv(tmp_path / "i.csv", INSPECTORS))
    cert = INSPECTORS[1][0]
    rows = [
        CONFLICT_HEADER,
        [cert, code(0), "kin", "", "", "岳父"],  # 2: fine, English relation word
        [cert, code(99), "亲属", "", "", ""],  # 3: unknown object
        ["999", code(1), "亲属", "", "", ""],  # 4: unknown inspector
        [cert, code(1), "朋友", "", "", ""],  # 5: bad relation
        [cert, code(2), "持股", "2027-05-01", "2027-04-01", ""],  # 6: range ends first
        [cert, code(0), "亲属", "", "", ""],  # 7: same triple as row 2
    ]
    problems = _problems(with_departments, "conflicts", write_csv(tmp_path / "c.csv", rows))
    reasons = {p.row: p.reason_en for p in problems}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7]
    assert "not in the objects registry" in reasons[3]
    assert "not in the inspectors registry" in reasons[4]
    assert "kin" in reasons[5] and "亲属" in reasons[5]
    assert "is before 起始日期 2027-05-01" in reasons[6] or "is before" in reasons[6]
    assert "repeats the key of row 2" in reasons[7]


def test_conflicts_may_name_objects_imported_in_the_same_transaction(
    with_departments: App, tmp_path: Path
) -> None:
    from dualrandom.registry import import_registry
    from tests.registry.conftest import TODAY

    objects_file = write_csv(tmp_path / "o.csv", objects(2))
    inspectors_file = write_csv(tmp_path / "i.csv", INSPECTORS)
    conflicts_file = write_csv(
        tmp_path / "c.csv", [CONFLICT_HEADER, [INSPECTORS[1][0], code(1), "原单位", "", "", ""]]
    )
    with with_departments.transaction() as session:
        for kind, path in (("objects", objects_file), ("inspectors", inspectors_file)):
            import_registry(session, kind, path, today=TODAY, actor="tester")
        summary = import_registry(session, "conflicts", conflicts_file, today=TODAY, actor="tester")
    assert summary.total == 1


def test_unknown_departments_before_departments_are_imported(app: App, tmp_path: Path) -> None:
    problems = _problems(app, "objects", write_csv(tmp_path / "o.csv", [HEADER, _row(1)]))
    assert "import departments.csv first" in problems[0].reason_en
    assert "请先导入 departments.csv" in problems[0].reason


def test_department_problems(app: App, tmp_path: Path) -> None:
    rows = [
        ["code", "name", "level"],
        ["SC JG", "x", "市"],
        ["A", "", "省"],
        ["B", "y", "村"],
        ["A", "z", "市"],
    ]
    problems = _problems(app, "departments", write_csv(tmp_path / "d.csv", rows))
    assert [p.row for p in problems] == [2, 3, 3, 4, 5]


def test_empty_file(app: App, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    problems = _problems(app, "departments", tmp_path / "empty.csv")
    assert "no header row" in problems[0].reason_en
    assert problems[0].reason == "是空文件：没有表头行"


def test_a_row_longer_than_the_header(with_departments: App, tmp_path: Path) -> None:
    rows = [HEADER, [*_row(1), "extra"]]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert problems[0].row == 2 and "beyond the last column" in problems[0].reason_en
    assert "超出最后一列" in problems[0].reason


def test_problem_rendering_names_file_row_column_and_value() -> None:
    problem = Problem("objects.csv", 4, "成立日期", "2027-02-30", "is not a real calendar date")
    assert str(problem) == "objects.csv:4 [成立日期] '2027-02-30': is not a real calendar date"


def test_object_row_helper_is_valid(with_departments: App, tmp_path: Path) -> None:
    rows = [objects(1)[0], object_row(5, departments="SYJ")]
    assert run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", rows)).total == 1


def test_objects_from_xlsx_with_date_cells(with_departments: App, tmp_path: Path) -> None:
    from datetime import datetime

    from tests.registry.conftest import write_xlsx

    rows = [
        [*HEADER, None],
        [*_row(1)[:7], datetime(2015, 3, 12), "否", "SCJG", None],
        [*_row(2)[:7], datetime(2030, 1, 1), "否", "SCJG", None],
    ]
    problems = _problems(with_departments, "objects", write_xlsx(tmp_path / "o.xlsx", rows))
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "established", "2030-01-01")]
