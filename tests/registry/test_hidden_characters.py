"""Names that cannot deceive: NUL and bidirectional controls in no text field, zero-width
characters in no name; each row named, on every engine (issue 9, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.errors import Problem, ValidationError
from dualrandom.registry import import_items
from dualrandom.tables import ObjectRow
from tests.registry.conftest import (
    DEPARTMENTS,
    INSPECTORS,
    OBJECT_HEADER,
    TODAY,
    object_row,
    run_import,
    write_csv,
    write_xlsx,
)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "abc\u202egpj.exe" shows as "abcexe.jpg"


def _problems(app: App, kind: str, path: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        run_import(app, kind, path)
    return caught.value.problems


def _objects(app: App) -> int:
    with app.transaction() as session:
        return session.scalar(select(func.count()).select_from(ObjectRow)) or 0


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "NULL"),
        ("\u202a", "LEFT-TO-RIGHT EMBEDDING"),
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
        ("\u2069", "POP DIRECTIONAL ISOLATE"),
    ],
)
def test_a_control_character_in_any_text_field_is_refused(
    with_departments: App, tmp_path: Path, char: str, name: str
) -> None:
    """In a name, an address (free text), a district (each distinct text parsed once)
    and a list (tags), on SQLite and PostgreSQL alike (PostgreSQL cannot store NUL)."""
    header = [*OBJECT_HEADER, "address", "tags"]
    rows = [
        header,
        [*object_row(0), "兴隆台区xx路1号", "食品"],
        [*object_row(1, name=f"盘锦{char}商贸"), "", ""],  # 3
        [*object_row(2), f"xx路{char}2号", ""],  # 4
        [*object_row(3, district=f"兴隆台区{char}"), "", ""],  # 5
        [*object_row(4), "", f"食品;药{char}品"],  # 6
    ]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert [(p.row, p.column) for p in problems] == [
        (3, "name"),
        (4, "address"),
        (5, "district"),
        (6, "tags"),
    ]
    code_point = f"U+{ord(char):04X} {name}"
    for problem in problems:
        assert problem.reason.startswith(f"含有不可见的控制字符 {code_point}")
        assert problem.reason_en.startswith(f"holds the invisible control character {code_point}")
        # The value is shown with the character written out, never as it would act.
        assert char not in problem.value and f"<U+{ord(char):04X}>" in problem.value
    assert _objects(with_departments) == 0


def test_nul_in_a_column_of_ascii_text_is_refused(with_departments: App, tmp_path: Path) -> None:
    """A column whose cells are all ASCII (phones, here) is searched for NUL alone, the
    one character of both sets that ASCII holds; it is found and named as anywhere."""
    header = [*OBJECT_HEADER, "phone"]
    rows = [
        header,
        [*object_row(0), "13300000000"],
        [*object_row(1), "1330000\x000001"],  # 3
        [*object_row(2), "13300000002"],
    ]
    problems = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "phone", "1330000<U+0000>0001")]
    assert problems[0].reason.startswith("含有不可见的控制字符 U+0000 NULL")
    assert _objects(with_departments) == 0


def test_a_text_is_searched_for_exactly_what_the_patterns_find() -> None:
    from dualrandom.sheets import _fields

    texts = ["", "abc", "a\x00", "\x7f\x1f~", "é", "中\u202a", "\u200b", "x\ufeff", "\u2066"]
    texts += ["中文\x00", "\u2069名", "名\u2060", "\u200d", "\u202b", "\u200e\u2065\u206a"]
    for suspects, pattern in [
        (_fields._TEXT_SUSPECTS, _fields._CONTROLS),
        (_fields._NAME_SUSPECTS, _fields._IN_NAMES),
    ]:
        for text in texts:
            assert _fields._may_hide(suspects, text) == (pattern.search(text) is not None)


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_a_zero_width_character_in_a_name_is_flagged(
    with_departments: App, tmp_path: Path, char: str
) -> None:
    header = [*OBJECT_HEADER]
    rows = [header, object_row(0), object_row(1, name=f"盘锦{char}第1号商贸有限公司")]
    [problem] = _problems(with_departments, "objects", write_csv(tmp_path / "o.csv", rows))
    assert (problem.row, problem.column) == (3, "name")
    assert problem.reason.startswith(f"名称中含有零宽字符 U+{ord(char):04X}")
    assert "zero-width character" in problem.reason_en


def test_a_zero_width_character_outside_names_is_kept(
    with_departments: App, tmp_path: Path
) -> None:
    """A joiner inside an address harms no comparison of names; only names are flagged."""
    rows = [[*OBJECT_HEADER, "address"], [*object_row(0), "兴隆台区\u200dxx路"]]
    assert run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", rows)).added == 1


def test_names_of_inspectors_departments_and_legal_representatives(
    app: App, tmp_path: Path
) -> None:
    departments = [*DEPARTMENTS, ["X", f"某{RLO}局", "市"]]
    [problem] = _problems(app, "departments", write_csv(tmp_path / "d.csv", departments))
    assert (problem.row, problem.column) == (5, "name")
    run_import(app, "departments", write_csv(tmp_path / "d.csv", DEPARTMENTS))
    header, good, *_ = INSPECTORS
    bad = [*good[:1], "马\u200b文阳", *good[2:]]
    bad[0] = "21110020239999"
    [problem] = _problems(app, "inspectors", write_csv(tmp_path / "i.csv", [header, good, bad]))
    assert (problem.row, problem.column) == (3, "name")
    rows = [OBJECT_HEADER, object_row(0, legal_representative="张\ufeff三")]
    [problem] = _problems(app, "objects", write_csv(tmp_path / "o.csv", rows))
    assert (problem.row, problem.column) == (2, "legal_representative")


def test_a_workbook_is_checked_the_same_way(with_departments: App, tmp_path: Path) -> None:
    rows = [OBJECT_HEADER, object_row(0, name=f"盘锦{RLO}商贸")]
    [problem] = _problems(with_departments, "objects", write_xlsx(tmp_path / "o.xlsx", rows))
    assert (problem.row, problem.column, problem.value) == (2, "name", "盘锦<U+202E>商贸")


def test_the_item_list_too(with_departments: App, tmp_path: Path) -> None:
    header = ["事项编码", "抽查事项", "检查依据", "检查主体", "事项类别", "检查方式", "抽查比例"]
    rows = [header, ["A-1", f"营业执照{RLO}检查", "条例\x00", "SCJG", "一般", "现场检查", "5%"]]
    with with_departments.transaction() as session, pytest.raises(ValidationError) as caught:
        import_items(session, write_csv(tmp_path / "items.csv", rows), today=TODAY, actor="tester")
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "抽查事项"), (2, "检查依据")]
