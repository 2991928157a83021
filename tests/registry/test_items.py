"""The item list from a spreadsheet, stored through the rules' save_items."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from dualrandom.app import App
from dualrandom.errors import ValidationError
from dualrandom.registry import ItemsSummary, import_items
from dualrandom.rules.store import load_items
from tests.registry.conftest import TODAY, write_csv, write_xlsx

HEADER = [
    "事项编码",
    "抽查事项",
    "检查依据",
    "检查主体",
    "事项类别",
    "检查方式",
    "抽查比例",
    "年度频次上限",
]
GOOD = [
    "SCJG-01",
    "营业执照规范使用情况的检查",
    "《企业信息公示暂行条例》第十四条",
    "SCJG",
    "一般",
    "现场检查、书面检查",
    "5%",
    "1",
]


def _import(app: App, path: Path) -> ItemsSummary:
    with app.transaction() as session:
        return import_items(session, path, today=TODAY, actor="tester")


def test_items_are_imported_from_csv(with_departments: App, tmp_path: Path) -> None:
    key = ["ZJ-02", "特种设备检查", "《特种设备安全法》", "ZJ", "重点", "现场检查", "0.3", ""]
    summary = _import(with_departments, write_csv(tmp_path / "items.csv", [HEADER, GOOD, key]))
    assert summary.added == ("SCJG-01", "ZJ-02")
    with with_departments.transaction() as session:
        items = load_items(session)
    assert items["SCJG-01"].ratio == Fraction(1, 20)
    assert items["SCJG-01"].methods == ("书面检查", "现场检查")
    assert items["ZJ-02"].max_per_year is None and str(items["ZJ-02"].item_class) == "重点"


def test_items_from_xlsx_and_unchanged_on_reimport(with_departments: App, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "items.xlsx", [HEADER, [*GOOD[:6], 0.05, 1]])
    assert _import(with_departments, path).added == ("SCJG-01",)
    assert _import(with_departments, path).unchanged == ("SCJG-01",)


def test_every_bad_item_row_is_reported(with_departments: App, tmp_path: Path) -> None:
    rows = [
        HEADER,
        GOOD,
        ["X-1", "甲", "依据", "XX", "一般", "现场检查", "5%", ""],  # 3: unknown department
        ["X-2", "乙", "依据", "SCJG", "普通", "现场检查", "5%", ""],  # 4: bad class
        ["X-3", "丙", "依据", "SCJG", "一般", "电话抽查", "5%", ""],  # 5: bad method
        ["X-4", "丁", "依据", "SCJG", "一般", "现场检查", "150%", ""],  # 6: bad ratio
        ["X 5", "戊", "依据", "SCJG", "一般", "现场检查", "0.1", "0"],  # 7: bad code, bad cap
        GOOD,  # 8: repeated code
    ]
    with pytest.raises(ValidationError) as caught:
        _import(with_departments, write_csv(tmp_path / "items.csv", rows))
    problems = caught.value.problems
    assert sorted({p.row for p in problems if p.row}) == [2, 3, 4, 5, 6, 7, 8]
    assert len([p for p in problems if p.row == 7]) == 2
    assert any("电话抽查" in p.reason for p in problems)
    with with_departments.transaction() as session:
        assert load_items(session) == {}
