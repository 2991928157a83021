"""The terminal's list of problems: Chinese and English, and never a value cut short."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dualrandom.cli import _output
from dualrandom.errors import Problem

PROBLEMS = [
    Problem(
        "merged-title.xlsx",
        2,
        "统一社会信用代码",
        "91211100102767553X",
        "校验码错误（按前 17 位，最后一位应为 7）；代码是否录入有误？",
        "has a wrong check character (the last one would be 7); is the code mistyped?",
    ),
    Problem(
        "a-very-long-file-name-of-the-registry-as-exported-2027.csv",
        1234567,
        "[bold]名称[/bold]",
        "盘锦\u202e商贸",
        "含有不可见的控制字符",
        "holds an invisible control character",
    ),
]


def _render(width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    out = io.StringIO()
    monkeypatch.setattr(_output, "err_console", Console(file=out, width=width, highlight=False))
    _output.print_problems(PROBLEMS)
    return out.getvalue()


def _columns(text: str) -> list[str]:
    """Each column of a rendered table, its cells' lines joined top to bottom."""
    body = [line for line in text.splitlines() if line.startswith("│")]
    cells = [[cell.strip() for cell in line.strip("│").split("│")] for line in body]
    return ["".join(column).replace(" ", "") for column in zip(*cells, strict=True)]


def _whole(value: str) -> str:
    return value.replace(" ", "")


@pytest.mark.parametrize("width", [60, 80, 100, 160, 240])
def test_the_table_wraps_and_never_cuts(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _render(width, monkeypatch)
    assert "…" not in text
    columns = _columns(text)
    assert len(columns) == 6
    for problem in PROBLEMS:
        value = problem.value.replace("\u202e", "<U+202E>")
        cells = (problem.file, str(problem.row), problem.column, value)
        for column, cell in zip(columns, (*cells, problem.reason, problem.reason_en), strict=True):
            assert _whole(cell) in column, (width, cell)
    if width >= 160:  # narrower, the headers wrap too
        assert "文件 file" in text and "原因" in text and "reason" in text


@pytest.mark.parametrize("width", [10, 20, 40, 59])
def test_a_narrow_terminal_lists_each_problem(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too narrow for six columns: one line per field, which the terminal wraps."""
    text = _render(width, monkeypatch)
    assert "…" not in text
    for problem in PROBLEMS:
        assert f"  文件 file: {problem.file}" in text
        assert f"  原因: {problem.reason}" in text and f"  reason: {problem.reason_en}" in text
    assert "  值 value: 91211100102767553X" in text
    assert "  值 value: 盘锦<U+202E>商贸" in text


def test_cells_are_text_not_markup_and_show_control_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _render(120, monkeypatch)
    assert "\u202e" not in text and "<U+202E>" in text
    assert _whole("[bold]名称[/bold]") in _columns(text)[2]


def test_more_problems_than_shown_says_how_to_get_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(_output, "err_console", Console(file=out, width=100))
    _output.print_problems(PROBLEMS * 3, limit=4)
    assert "……另有 2 处问题（用 --errors-csv FILE 可得到全部）" in out.getvalue()
    assert "… and 2 more (use --errors-csv FILE to get them all)" in out.getvalue()
