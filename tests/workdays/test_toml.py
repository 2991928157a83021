"""rules/calendar.toml is read strictly: every problem, with its line and key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dualrandom.errors import NotFoundError, ValidationError
from dualrandom.workdays import read_calendar_file
from tests.workdays.conftest import TEST_2027


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as failure:
        read_calendar_file(path)
    return [str(p) for p in failure.value.problems]


def test_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(TEST_2027, encoding="utf-8")
    [year] = read_calendar_file(path)
    assert year.notice == "test data, not a real notice"
    assert year.days.days[date(2027, 1, 1)].kind == "holiday"
    assert year.days.days[date(2027, 9, 26)].kind == "makeup"
    assert year.days.earlier[date(2026, 12, 31)].name == "元旦"


def test_every_problem_is_reported(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """\
[[year]]
year = 2027
notes = "typo"

[[year.holiday]]
name = "春节"
start = 2027-02-10
end = 2027-02-06
workdays = [2027-02-15]

[[year.holiday]]
name = "劳动节"
start = "2027-05-01"
end = 2027-05-05

[[year.holiday]]
name = "国庆节"
start = 2027-10-01
end = 2027-10-07
workdays = [2027-10-08, 2027-10-02, "2027-10-09"]

[[year]]
year = 2027
""",
    )
    text = "\n".join(problems)
    # Chinese first for the clerk, English beside it: "中文 (English)".
    assert (
        "[year[1].holiday[1].end] '2027-02-06': 早于开始日期 2027-02-10 "
        "(is before start 2027-02-10)" in text
    )
    assert "year[1].holiday[2].start" in text and "不加引号" in text and "without quotes" in text
    assert (
        "未知的键 'notes'；是否应为 'notice'？ (unknown key 'notes'; did you mean 'notice'?)"
        in problems[0]
    )
    assert "'2027-10-08': 是工作日：调休上班日应是需要上班的星期六或星期日 (is a weekday" in text
    assert "'2027-10-02': 同时是国庆节的假日 (is also a day of 国庆节)" in text
    assert (
        "'2027-10-09': 应为不加引号的日期，例如 2027-02-06 "
        "(must be a date without quotes, e.g. 2027-02-06)" in text
    )
    assert (
        "calendar.toml:23 [year[2].year] '2027': 在本文件中出现了两次 "
        "(is given twice in this file)" in text
    )


def test_no_year_and_no_file(tmp_path: Path) -> None:
    assert _problems(tmp_path, "# nothing yet\n") == [
        "calendar.toml [year] 没有 [[year]] 表 (has no [[year]] table)"
    ]
    with pytest.raises(NotFoundError):
        read_calendar_file(tmp_path / "missing.toml")
