"""Spreadsheets in: reading a CSV or XLSX file a clerk wrote, row by row, every problem named.

    source      find a file's encoding (UTF-8, GB18030) or workbook, hash it, read its rows
    csv         CSV rows as NFC text; plain files split a block at a time
    workbook    XLSX: refused unread when it unpacks too large; the first sheet's rows
    reason      a problem's reason in Chinese and English; values with controls written out
    columns     a column's headers (English and Chinese) and its cell parser
    fields      cell parsers: text, codes, choices, yes/no, dates, lists, ratios, ID numbers
    batches     the header matched to the columns, data rows parsed in batches of columns
    sheet       all of these at once: :func:`read_sheet`
    problems    every problem of a failed import as a CSV file for Excel

This is the layer every importer reads its files with — the registries (两库)
and the item list in :mod:`dualrandom.registry`, inspection results in
:mod:`dualrandom.lifecycle` — so a file is read, and a bad cell reported, the
same way everywhere: a :class:`~dualrandom.errors.Problem` with file, row
(header = 1), column as written, value and reason. Which columns a file has
is the importer's business, not this package's. Formats: docs/FORMATS.md.
"""

from __future__ import annotations

from dualrandom.sheets._batches import Batch, Header, batches, read_header
from dualrandom.sheets._columns import Column, header_lookup
from dualrandom.sheets._csv import Chunk, Columns
from dualrandom.sheets._fields import (
    CONTROL_CHARACTERS,
    ZERO_WIDTH_CHARACTERS,
    Choice,
    Code,
    DateRanges,
    Day,
    Field,
    Flag,
    Industry,
    Invalid,
    Parsed,
    PositiveInt,
    Ratio,
    ResidentId,
    Text,
    TextList,
    in_the_future,
)
from dualrandom.sheets._problems import PROBLEM_HEADERS, write_problems_csv
from dualrandom.sheets._reason import Reason, shown
from dualrandom.sheets._sheet import Sheet, read_sheet
from dualrandom.sheets._source import (
    Source,
    guess_source,
    hashed,
    open_source,
    read_chunks,
    read_table,
)
from dualrandom.sheets._workbook import MAX_UNPACKED_BYTES, LostDigits

__all__ = [
    "CONTROL_CHARACTERS",
    "MAX_UNPACKED_BYTES",
    "PROBLEM_HEADERS",
    "ZERO_WIDTH_CHARACTERS",
    "Batch",
    "Choice",
    "Chunk",
    "Code",
    "Column",
    "Columns",
    "DateRanges",
    "Day",
    "Field",
    "Flag",
    "Header",
    "Industry",
    "Invalid",
    "LostDigits",
    "Parsed",
    "PositiveInt",
    "Ratio",
    "Reason",
    "ResidentId",
    "Sheet",
    "Source",
    "Text",
    "TextList",
    "batches",
    "guess_source",
    "hashed",
    "header_lookup",
    "in_the_future",
    "open_source",
    "read_chunks",
    "read_header",
    "read_sheet",
    "read_table",
    "shown",
    "write_problems_csv",
]
