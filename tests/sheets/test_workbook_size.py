"""A workbook that would unpack to more than the limit is refused before it is read."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from dualrandom.cli._main import cli
from dualrandom.config import load_settings
from dualrandom.errors import ValidationError
from dualrandom.sheets import MAX_UNPACKED_BYTES, open_source, read_chunks

MB = 1 << 20


def _bomb(path: Path, unpacked: int) -> Path:
    """A valid workbook whose first sheet is padded with ``unpacked`` bytes of blanks
    (which XML allows between elements): a small file that inflates a thousandfold."""
    small = path.with_suffix(".small.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["部门代码", "部门名称", "层级"])
    book.save(small)
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename != "xl/worksheets/sheet1.xml":
                out.writestr(member, data)
                continue
            head, _, tail = data.partition(b"</worksheet>")
            with out.open(member.filename, "w", force_zip64=True) as sheet_xml:
                sheet_xml.write(head)
                blank = b" " * MB
                for _ in range(unpacked // MB):
                    sheet_xml.write(blank)
                sheet_xml.write(b"</worksheet>" + tail)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Just over the default limit of 200 MB, in well under 1 MB."""
    return _bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", MAX_UNPACKED_BYTES + MB)


def _never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def load_workbook(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sheet of the workbook was read")

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)


def test_the_fixture_is_a_bomb(bomb: Path) -> None:
    with zipfile.ZipFile(bomb) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    assert unpacked > MAX_UNPACKED_BYTES and bomb.stat().st_size * 500 < unpacked


def test_the_default_limit_refuses_it_quickly_and_unread(
    bomb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_read(monkeypatch)
    started = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        open_source(bomb)
    assert time.monotonic() - started < 2  # the central directory only; reading took minutes
    [problem] = caught.value.problems
    assert (problem.file, problem.row) == ("bomb.xlsx", None)
    assert problem.reason.startswith("工作簿解压后有 201.0 MB，超过 200.0 MB 的上限，未读取")
    assert problem.reason_en.startswith(
        "the workbook unpacks to 201.0 MB, over the limit of 200.0 MB, and was not read"
    )


def test_the_limit_is_the_callers(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "b.xlsx", 3 * MB)
    with pytest.raises(ValidationError):
        open_source(path, max_unpacked=2 * MB)
    source = open_source(path, max_unpacked=4 * MB)
    assert [row for chunk in read_chunks(source, 10) for row in chunk] == [
        ["部门代码", "部门名称", "层级"]
    ]


def test_a_file_that_is_no_zip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK not really")
    with pytest.raises(ValidationError) as caught:
        open_source(path)
    assert caught.value.problems[0].reason.startswith("不是可读取的 .xlsx 工作簿")


def test_the_limit_comes_from_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n'
        "[import]\nmax_xlsx_unpacked_mb = 2\n",
        encoding="utf-8",
    )
    assert load_settings(config, environ={}).imports.max_unpacked_bytes == 2 * MB
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    assert load_settings(tmp_path / "empty.toml", environ={}).imports.max_unpacked_bytes == (
        MAX_UNPACKED_BYTES
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(config), "init"]).exit_code == 0
    _never_read(monkeypatch)
    path = _bomb(tmp_path / "departments.xlsx", 3 * MB)
    for command in (["registry", "import", "departments"], ["items", "import"]):
        result = runner.invoke(cli, ["--config", str(config), *command, str(path), "--json"])
        assert result.exit_code == 1
        [problem] = json.loads(result.stdout)["problems"]
        assert problem["reason"].startswith("工作簿解压后有 3.0 MB，超过 2.0 MB 的上限")
        assert "over the limit of 2.0 MB" in problem["reason_en"]
