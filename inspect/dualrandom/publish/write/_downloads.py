"""The files beside the notices: CSV for Excel, JSON for programs, the bundle zip.

* CSV is UTF-8 with a BOM (so Excel on Chinese Windows opens it as UTF-8)
  and CRLF line ends; a cell that starts with ``=``, ``+``, ``-``, ``@`` or a
  control character gets a leading ``'`` so that a spreadsheet shows it and
  never runs it as a formula (a registry name is outside text).
* JSON is UTF-8, keys sorted, one space indent: stable for ``diff``.
* The bundle zip holds the public bundle (docs/BUNDLE.md) in one folder;
  entries are sorted by name and carry the draw's own time, fixed
  permissions and no extra fields, so the same draw always zips to the same
  bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["compact_json_bytes", "csv_bytes", "json_bytes", "write_csv", "write_json", "zip_folder"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_csv(out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Stream a CSV (BOM, CRLF) of any length into ``out``."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    text.flush()
    text.detach()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def write_json(out: IO[bytes], meta: Mapping[str, Any], key: str, rows: Iterable[Any]) -> None:
    """Stream ``{**meta, key: [rows…]}`` as JSON, one row a line, keys sorted."""
    members = [f"{_json(k)}: {_json(v)}" for k, v in sorted(meta.items())]
    out.write(("{\n " + ",\n ".join([*members, f"{_json(key)}: ["])).encode("utf-8"))
    for index, row in enumerate(rows):
        out.write((("\n  " if index == 0 else ",\n  ") + _json(row)).encode("utf-8"))
    out.write(b"\n ]\n}\n")


def compact_json_bytes(value: Any) -> bytes:
    """JSON without spaces, for the search index that browsers download."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def json_bytes(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    return (text + "\n").encode("utf-8")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's local time (zip stores no zone); the format starts in 1980."""
    year = max(moment.year, 1980)
    return (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def zip_folder(folder: Path, out: IO[bytes], *, prefix: str, moment: datetime) -> None:
    """Zip every file of ``folder`` under ``prefix/``, deterministically."""
    stamp = _zip_time(moment)
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            info = zipfile.ZipInfo(f"{prefix}/{path.name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system builds the site
            mode = 0o755 if path.suffix == ".py" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            size = path.stat().st_size
            with (
                path.open("rb") as source,
                archive.open(info, "w", force_zip64=size > 2**31) as sink,
            ):
                shutil.copyfileobj(source, sink, 1 << 20)
