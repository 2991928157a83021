"""Reading CSV in every encoding a clerk's computer writes, and XLSX."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dualrandom.errors import NotFoundError, ValidationError
from dualrandom.sheets import open_source, read_chunks
from tests.registry.conftest import write_csv, write_xlsx

ROWS = [["部门代码", "部门名称", "层级"], ["SCJG", "盘锦市市场监督管理局", "市"]]


def _rows(path: Path) -> list[list[str]]:
    return [row for chunk in read_chunks(open_source(path), 100) for row in chunk]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write_csv(tmp_path / "d.csv", ROWS, encoding)
    assert open_source(path).encoding == detected
    assert _rows(path) == ROWS


def test_a_gbk_file_from_python_encode(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("部门代码,部门名称,层级\r\nSCJG,盘锦市市场监督管理局,市\r\n".encode("gbk"))
    assert _rows(path) == ROWS


def test_bytes_that_are_neither_utf8_nor_gb18030_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\r\n" + b"\xff\xfe,x\r\n")
    with pytest.raises(ValidationError) as caught:
        open_source(path)
    (problem,) = caught.value.problems
    assert problem.row == 2 and "neither UTF-8 nor GB18030" in problem.reason_en
    assert "既不是 UTF-8 也不是 GB18030" in problem.reason


def test_the_hash_is_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write_csv(tmp_path / "d.csv", ROWS)
    assert open_source(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_is_normalised_to_nfc(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301"
    path = write_csv(tmp_path / "d.csv", [["name"], [decomposed]])
    assert _rows(path)[1] == ["Caf\u00e9"]


def test_xlsx_cells_read_as_the_clerk_sees_them(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "d.xlsx",
        [
            ["a", "b", "c", "d", "e"],
            [datetime(2027, 1, 4), date(2026, 5, 1), 13800000000.0, True, None],
        ],
    )
    assert open_source(path).encoding == "xlsx"
    assert _rows(path) == [
        ["a", "b", "c", "d", "e"],
        ["2027-01-04", "2026-05-01", "13800000000", "true", ""],
    ]


def test_missing_file_and_old_xls(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        open_source(tmp_path / "nope.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ValidationError, match="problem"):
        open_source(tmp_path / "old.xls")


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('a,b\n1,"x"y\n', encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        _rows(path)
    assert caught.value.problems[0].row == 2


def test_chunks_are_consecutive_rows(tmp_path: Path) -> None:
    rows = [["n"], *([str(i)] for i in range(10))]
    chunks = list(read_chunks(open_source(write_csv(tmp_path / "n.csv", rows)), 4))
    assert [len(chunk) for chunk in chunks] == [4, 4, 3]
    assert [row for chunk in chunks for row in chunk] == rows


TRICKY = [
    "a,b\r\n1,2\r\n3,4\r\n",  # CRLF, as Excel and csv.writer write
    "a,b\n1,2\n3,4",  # no LF at the end
    'a,b\n1,"x,y"\n"multi\nline",2\n5,6\n',  # quotes, a cell over two lines
    "a,b\n1,2\n\n,\n3\n4,5,6\n",  # blank lines, short and long rows
    "a,b,c\n1,2,3\n4\n5,6,7,8,9\n7,8,9\n",  # a short and a long row, as many cells
    "a,b\r1,2\r3,4\r",  # lone CR line ends
    "a,b\n1,2\r\n3,4\r5,6\n",  # mixed line ends
    "a,b\ne\u0301,2\n",  # not NFC
    '"a",b\n1,2\n',  # a quoted header
    "a\n1\n\n2\n",  # one column, with a blank line
    "\n1,2\n",  # an empty header line
    'a,b\n1,2\n3,"bad"x\n5,6\n',  # malformed: the line is named
]


@pytest.mark.parametrize("content", TRICKY)
@pytest.mark.parametrize("block", [1, 3, 1 << 20])
def test_read_table_cuts_and_reads_as_read_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, block: int
) -> None:
    """The fast CSV path gives the rows, chunks and errors of the csv module."""
    from dualrandom.sheets import Columns, _csv, read_table

    monkeypatch.setattr(_csv, "_BLOCK_CHARS", block)
    path = tmp_path / "t.csv"
    path.write_bytes(content.encode("utf-8"))
    source = open_source(path)

    def outcome(read: Any) -> Any:
        try:
            return ("rows", read())
        except ValidationError as exc:
            return ("problems", [(p.row, p.reason, p.reason_en) for p in exc.problems])

    def table() -> list[list[list[str]]]:
        found = read_table(source, 2)
        if found is None:
            return []
        header, chunks = found
        rows = [c.rows() if isinstance(c, Columns) else c for c in chunks]
        return [[header, *rows[0]], *rows[1:]] if rows else [[header]]

    assert outcome(table) == outcome(lambda: list(read_chunks(source, 2)))
