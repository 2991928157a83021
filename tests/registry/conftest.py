"""Small registry files written into tmp_path, and a helper to import them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from stdnum.cn import uscc

from dualrandom.app import App
from dualrandom.registry import ImportSummary, import_registry

TODAY = date(2027, 1, 4)

DEPARTMENTS = [
    ["code", "name", "level"],
    ["SCJG", "盘锦市市场监督管理局", "市"],
    ["ZJ", "盘锦市质监局", "市"],
    ["SYJ", "盘锦市食药监局", "市"],
]
OBJECT_HEADER = [
    "id",
    "name",
    "type",
    "industry",
    "district",
    "status",
    "risk_class",
    "established",
    "departments",
    "legal_representative",
]
INSPECTOR_HEADER = [
    "cert_no",
    "name",
    "department",
    "specialties",
    "leader",
    "cert_valid_until",
    "status",
    "unavailable",
    "id_number",
]
INSPECTORS = [
    INSPECTOR_HEADER,
    ["21110020230001", "马文阳", "SCJG", "食品;药品", "是", "2028-10-16", "在岗", "", ""],
    [
        "21110020230008",
        "刘霞静",
        "SCJG",
        "食品",
        "否",
        "2028-12-22",
        "在岗",
        "2027-01-10..2027-01-20",
        "211103198501028791",
    ],
    ["21110020230017", "王艳", "SYJ", "", "", "2026-08-15", "休假", "", ""],
]
CONFLICT_HEADER = ["cert_no", "object_id", "relation", "valid_from", "valid_until", "note"]


def code(n: int, prefix: str = "91211100MA") -> str:
    """A valid unified social credit code, different for each ``n``."""
    body = f"{prefix}{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def object_row(n: int, **changes: str) -> list[str]:
    row = {
        "id": code(n),
        "name": f"盘锦第{n}号商贸有限公司",
        "type": "企业",
        "industry": "F5211",
        "district": ["兴隆台区", "大洼区"][n % 2],
        "status": "存续",
        "risk_class": "ABCD"[n % 4],
        "established": "2015-03-12",
        "departments": "SCJG;ZJ",
        "legal_representative": "张三",
    }
    row.update(changes)
    return [row[column] for column in OBJECT_HEADER]


def objects(count: int, start: int = 0) -> list[list[str]]:
    return [OBJECT_HEADER, *(object_row(n) for n in range(start, start + count))]


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def run_import(app: App, kind: str, path: Path, **options: Any) -> ImportSummary:
    options.setdefault("today", TODAY)
    options.setdefault("actor", "tester")
    with app.transaction() as session:
        return import_registry(session, kind, path, **options)


@pytest.fixture
def with_departments(app: App, tmp_path: Path) -> App:
    """The app with three departments imported."""
    run_import(app, "departments", write_csv(tmp_path / "departments.csv", DEPARTMENTS))
    return app
