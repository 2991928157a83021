"""Table files read a chunk of rows at a time (core.encoding.row_chunks): the same
rows and the same errors as reading them whole (row_lines)."""

from __future__ import annotations

import pytest

from dualrandom.core import encoding
from dualrandom.core.encoding import row_chunks, row_lines

HEADER = ("id", "name")


def _file(*rows: str) -> bytes:
    return "\n".join(["id\tname", *rows, ""]).encode("utf-8")


@pytest.mark.parametrize("rows", [1, 2, 3, 100])
@pytest.mark.parametrize("checked_at_once", [1, 2, 5, 1 << 24])
def test_chunks_hold_the_rows_in_order(
    rows: int, checked_at_once: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any chunk size, and the encoding checked in pieces that cut characters in two."""
    monkeypatch.setattr(encoding, "_CHECKED_AT_ONCE", checked_at_once)
    data = _file("a\t盘锦", "b\t", "c\té\\t", "", "d\t𝕏")
    chunks = list(row_chunks(data, HEADER, "objects", rows))
    assert [line for chunk in chunks for line in chunk] == row_lines(data, HEADER, "objects")
    assert [len(chunk) for chunk in chunks][:-1] == [rows] * (len(chunks) - 1)
    assert list(row_chunks(_file(), HEADER, "objects", rows)) == []


@pytest.mark.parametrize(
    "data",
    [
        _file("a\tb")[:-1],  # no LF at the end
        b"id\tnom\na\tb\n",  # another header
        _file("a\tb") + b"\xff\n",  # not UTF-8 after the first chunk
        b"id\tname\n\xe7\x9b\n",  # a character cut short
        b"",
    ],
)
def test_a_bad_file_is_refused_before_the_first_chunk_as_when_read_whole(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoding, "_CHECKED_AT_ONCE", 4)
    with pytest.raises(ValueError) as whole:
        row_lines(data, HEADER, "objects")
    chunks = row_chunks(data, HEADER, "objects", 1)
    with pytest.raises(ValueError) as chunked:
        next(chunks)
    assert str(chunked.value) == str(whole.value)
