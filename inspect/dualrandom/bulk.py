"""Bulk inserts through the session's own connection, in its transaction.

A registry version or a provincial draw writes hundreds of thousands of rows.
Building a parameter dictionary per row, or an ORM object, costs more than
the database's own work; so the values go a column at a time through
SQLAlchemy's column types (each distinct value converted once) into the
DBAPI's ``executemany``, or, on PostgreSQL with psycopg 3, into one
``COPY … FROM STDIN`` per batch: no statement and no reply per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from datetime import date
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table, literal
from sqlalchemy.orm import Session

__all__ = ["Stream", "inserter"]


def _scalar_defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """The Python-side defaults of ``table``'s columns not in ``given``: what
    SQLAlchemy's own insert would fill in."""
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    }


def inserter(
    session: Session, table: Table, names: Sequence[str], constants: dict[str, Any]
) -> Callable[[Sequence[list[Any]]], None]:
    """A function that inserts one batch, given as value lists for ``names``, into
    ``table`` in the session's transaction; every row also gets the ``constants``
    and, for the other columns, their scalar Python-side defaults, as
    SQLAlchemy's insert would (both written into the statement)."""
    constants = {**_scalar_defaults(table, [*names, *constants]), **constants}
    connection = session.connection()
    dialect = connection.dialect
    if _copies(dialect):
        return _copy_rows(connection, table, names, constants)
    processors = [_bind_processor(table.c[name], dialect) for name in names]
    # The constants (integers, booleans) are written into the statement, as the
    # dialect writes literals: fewer parameters to bind for every row.
    fixed = [
        str(
            literal(value, table.c[name].type).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for name, value in constants.items()
    ]
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    all_names = [*names, *constants]
    row = f"({', '.join([marker] * len(names) + fixed)})"
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in all_names)}) VALUES "

    caches: list[dict[Any, Any]] = [{} for _ in names]
    # SQLite: several rows a statement, each its own VALUES row, in order (so the
    # rowids are the same), costs less than a statement step and reset per row:
    # 3.0 -> 2.65 s of CPU for a million objects.
    width = max(len(names), 1)
    per = max(1, min(_ROWS_PER_STATEMENT, _MAX_PARAMETERS // width))
    several = sql + ", ".join([row] * per) if dialect.name == "sqlite" else ""

    def insert_rows(columns: Sequence[list[Any]]) -> None:
        converted = list(map(_convert, columns, processors, caches))
        count = len(converted[0]) if converted else 0
        whole = count - count % per if several and names else 0
        if whole:
            flat: list[Any] = [None] * (whole * width)
            for j, values in enumerate(converted):
                flat[j::width] = values[:whole] if whole < count else values
            step, cells = per * width, tuple(flat)  # a tuple's slices are tuples
            connection.exec_driver_sql(
                several, [cells[i : i + step] for i in range(0, len(cells), step)]
            )
        if whole < count:
            rest = [values[whole:] for values in converted] if whole else converted
            connection.exec_driver_sql(sql + row, list(zip(*rest, strict=True)))

    return insert_rows


def _copies(dialect: Dialect) -> bool:
    """Whether batches go in through ``COPY … FROM STDIN`` (PostgreSQL with psycopg 3)."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def _copy_rows(
    connection: Connection, table: Table, names: Sequence[str], constants: dict[str, Any]
) -> Callable[[Sequence[list[Any]]], None]:
    """On PostgreSQL with psycopg 3: each batch is one ``COPY … FROM STDIN`` in the
    session's transaction, the batch turned into COPY's text format a column
    at a time (:func:`_copy_text`): no statement per row, no reply per row."""
    statement, blocks = _copy_format(connection, table, names, constants)
    driver = connection.connection.dbapi_connection
    assert driver is not None

    def copy_rows(columns: Sequence[list[Any]]) -> None:
        data = blocks(columns)
        if not data:
            return
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for block in data:
                copy.write(block)

    return copy_rows


def _copy_format(
    connection: Connection, table: Table, names: Sequence[str], constants: dict[str, Any]
) -> tuple[str, Callable[[Sequence[list[Any]]], list[bytes]]]:
    """The ``COPY … FROM STDIN`` statement into ``table``, and a function that turns
    one batch into blocks of COPY text (none for an empty batch)."""
    processors = [_bind_processor(table.c[name], connection.dialect) for name in names]
    caches: list[dict[Any, Any]] = [{} for _ in names]
    quote = connection.dialect.identifier_preparer.quote
    columns_sql = ", ".join(quote(n) for n in [*names, *constants])
    statement = f"COPY {quote(table.name)} ({columns_sql}) FROM STDIN"
    fixed = [_copy_text([value], {}) for value in constants.values()]
    formatted: list[dict[Any, str]] = [{} for _ in names]

    def blocks(columns: Sequence[list[Any]]) -> list[bytes]:
        converted = list(map(_convert, columns, processors, caches))
        rows = len(converted[0]) if converted else 0
        if not rows:
            return []
        texts = list(map(_copy_text, converted, formatted))
        texts += [value * rows for value in fixed]
        return [
            _copy_lines([column[start : start + _COPY_ROWS] for column in texts]).encode("utf-8")
            for start in range(0, rows, _COPY_ROWS)
        ]

    return statement, blocks


class Stream:
    """Inserts batch after batch into one table, in the session's transaction, as
    :func:`inserter` does; on PostgreSQL with psycopg 3 all of them through one
    ``COPY … FROM STDIN`` that stays open until :meth:`finish`.

    One COPY per batch made the server wait while Python formatted each batch,
    and Python wait while the server read it, 200 times for a million rows;
    in one stream the server reads a batch while the next is formatted.
    While the stream is open the connection runs no other statement: call
    :meth:`finish` (or :meth:`abort`, after a failure) before anything else.
    Errors of the rows may come only from :meth:`finish`.
    """

    def __init__(
        self, session: Session, table: Table, names: Sequence[str], constants: dict[str, Any]
    ) -> None:
        connection = session.connection()
        self._copy: ExitStack | None = None
        self._write: Callable[[bytes], None] | None = None
        if _copies(connection.dialect):
            constants = {**_scalar_defaults(table, [*names, *constants]), **constants}
            self._statement, self._blocks = _copy_format(connection, table, names, constants)
            self._driver = connection.connection.dbapi_connection
            self._insert: Callable[[Sequence[list[Any]]], None] | None = None
        else:
            self._insert = inserter(session, table, names, constants)

    def write(self, columns: Sequence[list[Any]]) -> None:
        """Insert one batch, given as value lists for the names."""
        if self._insert is not None:
            self._insert(columns)
            return
        data = self._blocks(columns)
        if data and self._write is None:
            driver: Any = self._driver  # psycopg's Connection
            stack = ExitStack()
            cursor = stack.enter_context(driver.cursor())
            try:
                self._write = stack.enter_context(cursor.copy(self._statement)).write
            except BaseException:
                stack.close()
                raise
            self._copy = stack
        for block in data:
            assert self._write is not None
            self._write(block)

    def finish(self) -> None:
        """End the COPY: the server has then stored every row, or raises here."""
        copy, self._copy, self._write = self._copy, None, None
        if copy is not None:
            copy.close()

    def abort(self, exc: BaseException) -> None:
        """After ``exc``: end the COPY as failed (the transaction is then in error, and
        only a rollback, to a savepoint or of the whole, goes on from there)."""
        copy, self._copy, self._write = self._copy, None, None
        if copy is not None:
            with suppress(Exception):
                copy.__exit__(type(exc), exc, exc.__traceback__)


_COPY_ROWS = 10_000  # rows joined into one block of COPY text at a time


def _copy_lines(texts: list[list[str]]) -> str:
    """The COPY lines of rows whose fields are ``texts``, column by column: every field,
    tab and newline in one list, joined once, with no tuple and no string per row."""
    width, rows = len(texts), len(texts[0])
    parts = [""] * (2 * width * rows)
    for j, column in enumerate(texts):
        parts[2 * j :: 2 * width] = column
    parts[1::2] = (["\t"] * (width - 1) + ["\n"]) * rows
    return "".join(parts)


def _bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


# COPY's text format: backslash escapes for these, \\N for NULL (PostgreSQL docs, COPY).
_COPY_SPECIAL = ("\\", "\t", "\n", "\r")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(values: list[str]) -> list[str]:
    """Strings escaped for COPY; one scan of the column finds that most need nothing."""
    joined = "\0".join(values)  # NUL: a character no PostgreSQL text value holds
    if not any(special in joined for special in _COPY_SPECIAL):
        return values
    return joined.translate(_COPY_ESCAPES).split("\0")


def _copy_text(values: list[Any], known: dict[Any, str]) -> list[str]:
    """One column's values as COPY text: strings escaped, NULL as ``\\N``, booleans
    ``t``/``f``, dates in ISO form, numbers as Python writes them. Other values
    than strings and integers are formatted once per distinct value (a column
    holds one type), remembering those of earlier batches in ``known``."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return _escaped(values)
    if kinds <= {str, type(None)}:
        escaped = _escaped(["" if v is None else v for v in values])
        return ["\\N" if v is None else e for v, e in zip(values, escaped, strict=True)]
    if kinds <= {int}:
        return list(map(str, values))
    try:
        return _convert(values, _copy_value, known)
    except TypeError:  # a value that cannot be a key
        return list(map(_copy_value, values))


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | date):  # a date's str() is its ISO form
        return str(value)
    return str(value).translate(_COPY_ESCAPES)


# SQLite before 3.32 takes at most 999 parameters a statement.
_MAX_PARAMETERS = 999
_ROWS_PER_STATEMENT = 50

_CONVERTED_LIMIT = 1 << 16  # converted values remembered per column before starting afresh


def _convert(
    values: list[Any], processor: Callable[[Any], Any] | None, known: dict[Any, Any]
) -> list[Any]:
    """Apply a column type's bind conversion (or another ``processor``) once per
    distinct value (dates, booleans), remembering those of earlier batches in ``known``."""
    if processor is None:
        return values
    try:
        return list(map(known.__getitem__, values))
    except KeyError:
        if len(known) > _CONVERTED_LIMIT:
            known.clear()
        known.update({value: processor(value) for value in set(values).difference(known)})
        return list(map(known.__getitem__, values))
