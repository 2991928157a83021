"""Reading a workbook (XLSX): its size checked first, then the first sheet's rows as text.

A workbook is a zip archive, and a small one may unpack to gigabytes. Before
any sheet is read, the sizes its central directory declares are added up and
a workbook over the limit is refused. The declared sizes bind: Python's
zipfile stops inflating a member at its declared size.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from dualrandom.config import ImportSettings
from dualrandom.errors import ValidationError
from dualrandom.sheets._reason import Reason, file_problem

if TYPE_CHECKING:
    from dualrandom.sheets._source import Source

__all__ = ["MAX_UNPACKED_BYTES", "LostDigits", "check_unpacked_size", "workbook_chunks"]

_MB = 1 << 20
# What a workbook may unpack to unless the caller says otherwise ([import] in config.toml).
MAX_UNPACKED_BYTES = ImportSettings().max_unpacked_bytes


def check_unpacked_size(path: Path, limit: int) -> None:
    """Refuse a workbook whose members add up to more than ``limit`` bytes, from the
    zip's central directory alone: nothing is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(path, exc) from None
    if unpacked > limit:
        size, most = _megabytes(unpacked), _megabytes(limit)
        raise file_problem(
            path,
            Reason(
                f"工作簿解压后有 {size} MB，超过 {most} MB 的上限，未读取；请拆分文件或另存为 CSV"
                "（上限在 config.toml 的 [import] max_xlsx_unpacked_mb 中设置）",
                f"the workbook unpacks to {size} MB, over the limit of {most} MB, and was not "
                "read; split it or save it as CSV (the limit is [import] max_xlsx_unpacked_mb "
                "in config.toml)",
            ),
        )


def _megabytes(size: int) -> str:
    return f"{size / _MB:,.1f}"


def _unreadable(path: Path, exc: Exception) -> ValidationError:
    return file_problem(
        path,
        Reason(
            f"不是可读取的 .xlsx 工作簿（{exc}）",
            f"is not a readable .xlsx workbook ({exc})",
        ),
    )


def workbook_chunks(
    source: Source, size: int, progress: Callable[[int], None] | None
) -> Iterator[list[list[str]]]:
    import openpyxl  # here: only a workbook needs it (0.45 s of imports)

    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors...
        raise _unreadable(source.path, exc) from None
    try:
        sheet = book.worksheets[0]
        total, done = sheet.max_row or 0, 0
        rows = _sheet_rows(sheet)
        first = _first_filled(rows)
        if not first:
            _refuse_data_elsewhere(source.path, sheet.title, book.worksheets[1:])
        rows = chain(first, rows)
        while chunk := list(islice(rows, size)):
            done += len(chunk)
            if progress is not None and total:
                progress(source.size * min(done, total) // total)
            yield chunk
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[list[str]]:
    return ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))


def _first_filled(rows: Iterator[list[str]]) -> list[list[str]]:
    """The rows up to the first one with any text, taken from ``rows``; none if all are blank."""
    taken = []
    for row in rows:
        taken.append(row)
        if "".join(row).strip():
            return taken
    return []


def _refuse_data_elsewhere(path: Path, title: str, others: list[Any]) -> None:
    """The first sheet is blank: if another one has data, say which (only the first
    sheet is read)."""
    for other in others:
        if _first_filled(_sheet_rows(other)):
            raise file_problem(
                path,
                Reason(
                    f"工作簿的第一个工作表“{title}”是空的，数据在工作表“{other.title}”中；"
                    "只读取第一个工作表：请把数据移到第一个工作表（或删除空的工作表）后重新导入",
                    f"the first sheet of the workbook, '{title}', is empty; the data is in "
                    f"sheet '{other.title}', and only the first sheet is read: move the data "
                    "to the first sheet (or delete the empty one) and import again",
                ),
                value=title,
            )


class LostDigits(str):
    """The text of a workbook cell that holds a number of more than 15 digits.

    Excel keeps 15 significant digits of a number: an 18-digit code typed into
    a cell of number format comes back with its last digits changed
    (912111001105025920). Such a cell is a problem of its own, whatever its
    column (:func:`~dualrandom.sheets.batches`), and no other check sees it: a
    check character that makes the damaged code valid must not be suggested."""

    REASON = Reason(
        "此单元格是数字格式，Excel 只保留 15 位有效数字，其后的数位已丢失；"
        "请将该列设置为文本格式后重新录入",
        "this cell is a number; format the column as text and re-enter it "
        "(Excel keeps only 15 significant digits of a number, the rest are lost)",
    )

    __slots__ = ()


_EXCEL_DIGITS = 15


def _lost_digits(value: object) -> bool:
    """A whole number of more digits than Excel keeps."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) >= 10**_EXCEL_DIGITS and float(value).is_integer()


def _cell_text(value: object) -> str:
    """A cell as the text a clerk sees: dates as ISO dates, whole numbers without '.0'
    (:class:`LostDigits` when too long for Excel to have kept)."""
    if value is None:
        return ""
    if _lost_digits(value):
        return LostDigits(str(int(cast(float, value))))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value))
