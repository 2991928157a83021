"""Problems whose cause is the spreadsheet, not the data: named so a clerk can fix them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from stdnum.cn import uscc

from dualrandom.app import App
from dualrandom.errors import Problem, ValidationError
from tests.registry.conftest import (
    OBJECT_HEADER,
    object_row,
    objects,
    run_import,
    write_csv,
    write_xlsx,
)

# A valid code of digits only, as a clerk types it into a cell of number format:
# Excel keeps 15 significant digits, so the cell holds 912111001105025920.
TYPED = "912111001105025905"
STORED = 912111001105025920


def _problems(app: App, path: Path) -> list[Problem]:
    try:
        run_import(app, "objects", path)
    except ValidationError as exc:
        return exc.problems
    raise AssertionError("the import succeeded")


def test_the_fixture_is_what_excel_does() -> None:
    assert uscc.is_valid(TYPED) and float(TYPED) == STORED and str(STORED) != TYPED
    # The check character a naive check would suggest makes the damaged code valid:
    assert uscc.is_valid(str(STORED)[:17] + uscc.calc_check_digit(str(STORED)[:17]))


def test_an_18_digit_code_stored_as_a_number_says_so(with_departments: App, tmp_path: Path) -> None:
    row: list[object] = list(object_row(1))
    row[0] = float(STORED)  # what Excel writes for the number
    path = write_xlsx(tmp_path / "objects.xlsx", [OBJECT_HEADER, object_row(0), row])
    [problem] = _problems(with_departments, path)
    assert (problem.row, problem.column, problem.value) == (3, "id", "912111001105025920")
    assert problem.reason.startswith("此单元格是数字格式")
    assert problem.reason.endswith("请将该列设置为文本格式后重新录入")
    assert problem.reason_en.startswith(
        "this cell is a number; format the column as text and re-enter it"
    )
    # No check character is suggested: it would make the damaged code valid.
    suggested = uscc.calc_check_digit(str(STORED)[:17])
    assert "校验" not in problem.reason and "check character" not in problem.reason_en
    assert f"would be {suggested}" not in problem.reason_en


def test_any_long_number_cell_is_named_whatever_its_column(
    with_departments: App, tmp_path: Path
) -> None:
    """A phone number of 16 digits in number format is damaged just the same; 15 are kept."""
    header = [*OBJECT_HEADER, "phone"]
    rows = [header, [*object_row(0), 1234567890123456], [*object_row(1), 123456789012345]]
    [problem] = _problems(with_departments, write_xlsx(tmp_path / "o.xlsx", rows))
    assert (problem.row, problem.column, problem.value) == (2, "phone", "1234567890123456")
    assert problem.reason_en.startswith("this cell is a number")


def test_a_merged_title_row_above_the_header_says_the_header_must_be_first(
    with_departments: App, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2027年盘锦市检查对象名录"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(OBJECT_HEADER))
    for row in objects(3):
        sheet.append(row)
    book.save(tmp_path / "merged-title.xlsx")
    [problem] = _problems(with_departments, tmp_path / "merged-title.xlsx")
    assert (problem.file, problem.row, problem.value) == (
        "merged-title.xlsx",
        1,
        "2027年盘锦市检查对象名录",
    )
    assert problem.reason.startswith("表头必须是第一行：第 2 行才是表头")
    assert problem.reason_en.startswith("the header must be the first row: row 2 is the header")


def test_a_title_and_a_blank_row_above_a_csv_header(with_departments: App, tmp_path: Path) -> None:
    rows = [["检查对象名录", "", ""], [], *objects(2)]
    [problem] = _problems(with_departments, write_csv(tmp_path / "o.csv", rows))
    assert problem.row == 1 and "第 3 行才是表头" in problem.reason
    assert "row 3 is the header" in problem.reason_en and "row 1–2" in problem.reason_en


def test_an_unknown_header_without_a_header_below_is_reported_as_before(
    with_departments: App, tmp_path: Path
) -> None:
    rows = [["编号", "称呼"], ["1", "x"], ["2", "y"]]
    problems = _problems(with_departments, write_csv(tmp_path / "o.csv", rows))
    assert "不是可识别的列名" in problems[0].reason and len(problems) > 1


def test_an_empty_first_sheet_names_it_and_the_sheet_with_the_data(
    with_departments: App, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Sheet1"
    data = book.create_sheet("检查对象")
    for row in objects(2):
        data.append(row)
    book.save(tmp_path / "two-sheets.xlsx")
    [problem] = _problems(with_departments, tmp_path / "two-sheets.xlsx")
    assert (problem.row, problem.value) == (None, "Sheet1")
    assert "第一个工作表“Sheet1”是空的，数据在工作表“检查对象”中" in problem.reason
    assert "'Sheet1', is empty; the data is in sheet '检查对象'" in problem.reason_en


def test_a_workbook_with_no_data_at_all_is_empty(with_departments: App, tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "blank.xlsx")
    [problem] = _problems(with_departments, tmp_path / "blank.xlsx")
    assert (problem.reason, problem.reason_en) == ("是空文件：没有表头行", "is empty: no header row")


def test_blank_rows_above_the_data_of_the_first_sheet_are_not_a_missing_sheet(
    with_departments: App, tmp_path: Path
) -> None:
    """Blank rows before the header are what they always were: a blank header row."""
    path = write_xlsx(tmp_path / "o.xlsx", [[None], *objects(1)])
    problems = _problems(with_departments, path)
    assert all("工作表" not in p.reason for p in problems)
