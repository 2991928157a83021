"""The DR-1 draw with its pass over the object registry inside PostgreSQL.

``--engine postgresql`` (``draw prepare`` and ``draw run``): the registry
never becomes Python records. PostgreSQL

- writes the two parts of the object snapshot (SPEC §3.1: escaping, sorted
  de-duplicated lists, dates, booleans) in id order (``COLLATE "C"``, code
  points) with ``COPY … TO STDOUT``, and Python only feeds the streamed
  bytes to SHA-256 (DR-1's digest is one SHA-256 over the whole file);
- decides scope, stratum, item scopes and the exclusion reasons of §7.2
  (status, look-back, annual cap, item cap; events from the history and
  ``last_inspected``) and returns only pool sizes, exclusions and the
  objects outside every stratum;
- at the draw, computes each pool member's ticket with ``sha256()`` over
  ``T_TARGET ‖ seed ‖ UTF-8(id)`` (§6) and keeps, per pool, the k + R
  smallest by (ticket, id bytes) with ``row_number()`` (§8.1), numbering
  only the tickets under a bound per pool (exact: a pool left short is
  numbered again whole).

Only the selected and reserve objects come back as records; teams are
assigned by the core exactly as in the Python engine (``draw_selected``),
so the result is byte-identical (tests/draws/test_engine_pg.py draws the
same plans both ways). DR-2 is refused: its risk-class commitment and
public files still need the whole table in Python.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from dualrandom.core import (
    DR1,
    DrawInputs,
    DrawResult,
    Exclusion,
    Preparation,
    draw_selected,
    months_before,
)
from dualrandom.core.canonical import (
    OBJECT_INTERNAL_FIELDS,
    OBJECT_PUBLIC_FIELDS,
    ObjectSnapshot,
    combine_object_digests,
    history_snapshot,
    inspectors_snapshot,
)
from dualrandom.core.conflicts import conflict_snapshot
from dualrandom.core.draw import pool_quota
from dualrandom.core.encoding import TAG_TARGET, sha256_hex
from dualrandom.core.model import (
    HistoryRecord,
    ObjectFilter,
    ObjectRecord,
    Plan,
    object_record,
)
from dualrandom.core.plan_json import plan_canonical
from dualrandom.core.pools import FILTER_COLUMNS, REASONS
from dualrandom.core.result import Selected
from dualrandom.core.seed import Digests
from dualrandom.core.table import ObjectTable
from dualrandom.errors import DrawStateError

__all__ = ["ENGINES", "check_engine", "draw_pg", "prepare_pg"]

ENGINES = ("python", "postgresql")
_FETCH = 20_000  # snapshot lines fetched (and hashed) at a time


def check_engine(session: Session, engine: str, algorithm: str) -> str:
    """``engine`` if it can draw here: "postgresql" needs a PostgreSQL database and DR-1."""
    if engine not in ENGINES:
        raise DrawStateError(
            f"抽取引擎 {engine!r} 不是 {'、'.join(ENGINES)} 之一",
            f"draw engine {engine!r} is not one of {', '.join(ENGINES)}",
        )
    if engine == "postgresql":
        dialect = session.get_bind().dialect.name
        if dialect != "postgresql":
            raise DrawStateError(
                f"--engine postgresql 需要 PostgreSQL 数据库，当前数据库是 {dialect}",
                f"--engine postgresql needs a PostgreSQL database; this one is {dialect}",
            )
        if algorithm != DR1:
            raise DrawStateError(
                f"PostgreSQL 引擎目前只做 DR-1 抽取；{algorithm} 计划（信标）请用 --engine python："
                "其风险分类承诺与公开文件仍需在 Python 中计算",
                f"the PostgreSQL engine draws DR-1 only for now; draw {algorithm} (beacon) plans "
                "with --engine python: their risk-class commitment and public files are still "
                "computed in Python",
            )
    return engine


# --- SQL building blocks ---------------------------------------------------------

_AS_OF = (
    "o.version_from <= :version AND (o.version_to IS NULL OR o.version_to > :version) "
    "AND o.gone IS FALSE"
)


def _esc(expr: str) -> str:
    """SPEC §2.1 scalar escaping: backslash first, then TAB, LF, CR."""
    return (
        f"replace(replace(replace(replace({expr}, E'\\\\', E'\\\\\\\\'), "
        f"E'\\t', E'\\\\t'), E'\\n', E'\\\\n'), E'\\r', E'\\\\r')"
    )


def _day(expr: str) -> str:
    return f"coalesce(to_char({expr}, 'YYYY-MM-DD'), '')"


def _flag(expr: str) -> str:
    return f"CASE WHEN {expr} THEN '1' ELSE '0' END"


# A list field as the canonical line writes it (SPEC §2.1): the stored ';'-joined
# elements, each NFC (as ObjectRecord holds them), de-duplicated, sorted by code
# point, escaped, joined with ';'. Worked out once per distinct stored value.
_LIST = (
    "coalesce((SELECT string_agg({esc}, ';' ORDER BY e COLLATE \"C\") FROM "
    "(SELECT DISTINCT normalize(x, NFC) AS e FROM unnest(string_to_array(raw, ';')) AS x) AS s), '')"
).format(esc=_esc("e"))

# Free text may hold a backslash, TAB, LF or CR and is escaped; the other fields
# cannot (enumerations and industry codes are checked first: _INVALID).
_FREE_TEXT = ("id", "name", "district", "registration_authority", "address")
_FIELD_SQL = {
    "id": "o.object_id",
    "id_type": "o.id_type",
    "name": "o.name",
    "type": "o.type",
    "industry": "o.industry",
    "district": "o.district",
    "registration_authority": "o.registration_authority",
    "address": "o.address",
    "status": "o.status",
    "established": _day("o.established"),
    "abnormal_list": _flag("o.abnormal_list"),
    "serious_illegal_list": _flag("o.serious_illegal_list"),
    "departments": "dl.canon",
    "tags": "tl.canon",
    "last_inspected": _day("o.last_inspected"),
    "risk_class": "o.risk_class",
}
# Whether a row's free text needs escaping at all: one regular expression per row
# instead of four replace() per field (almost no registry text does).
_NEEDS_ESCAPE = "(" + " || ".join(_FIELD_SQL[n] for n in _FREE_TEXT) + r") ~ E'[\\\\\t\n\r]'"


def _line(names: Sequence[str]) -> str:
    def joined(escaped: bool) -> str:
        fields = (
            _esc(_FIELD_SQL[n]) if escaped and n in _FREE_TEXT else _FIELD_SQL[n] for n in names
        )
        return r" || E'\t' || ".join(fields) + r" || E'\n'"

    return f"CASE WHEN {_NEEDS_ESCAPE} THEN {joined(True)} ELSE {joined(False)} END"


# The first object (in id order) holding a value ObjectRecord (or escape_list) would
# refuse — such a registry is not drawn here; the Python engine names the exact
# problem — and whether any holds a control character COPY writes differently
# from SPEC §2.1 (see _COPY_PUBLIC).
_INVALID = f"""
SELECT min(CASE WHEN NOT (
  o.object_id <> '' AND (o.object_id || o.name || o.industry || o.district
    || o.registration_authority || o.address) IS NFC NORMALIZED
  AND o.id_type IN ('uscc', 'other')
  AND o.industry ~ '^[A-T][0-9]{{0,4}}$'
  AND o.type IN ('企业', '个体工商户', '农民专业合作社', '外国企业常驻代表机构', '其他')
  AND o.status IN ('存续', '在业', '注销', '吊销', '迁出', '撤销')
  AND o.risk_class IN ('A', 'B', 'C', 'D')
  AND o.departments !~ '(^;|;;|;$)' AND o.tags !~ '(^;|;;|;$)') THEN o.object_id END
  COLLATE "C"),
  coalesce(bool_or((o.object_id || o.name || o.district || o.registration_authority
    || o.address || o.departments || o.tags) ~ E'[\\x08\\x0b\\x0c]'), FALSE)
FROM object_rows o WHERE {_AS_OF}
"""

# Each list column's few distinct values are canonicalised once (a DISTINCT the
# planner sizes from the column's statistics, so the joins are hash joins).
_LINES = f"""
WITH dl AS MATERIALIZED (
  SELECT raw, {_LIST} AS canon
  FROM (SELECT DISTINCT o.departments AS raw FROM object_rows o WHERE {_AS_OF}) AS r),
tl AS MATERIALIZED (
  SELECT raw, {_LIST} AS canon
  FROM (SELECT DISTINCT o.tags AS raw FROM object_rows o WHERE {_AS_OF}) AS r)
SELECT {_line(OBJECT_PUBLIC_FIELDS)}, {_line(OBJECT_INTERNAL_FIELDS)}
FROM object_rows o
JOIN dl ON dl.raw = o.departments
JOIN tl ON tl.raw = o.tags
WHERE {_AS_OF}
ORDER BY o.object_id COLLATE "C"
"""


# The same lines as COPY's text format writes them: fields separated by TAB, rows
# ended by LF, and in each field backslash, TAB, LF and CR written \\ \t \n \r —
# exactly SPEC §2.1's escaping, and a list's elements, joined with ';', escaped
# as one field are escaped element by element. COPY also writes backspace, form
# feed and vertical tab as \b \f \v, which SPEC leaves as they are: a registry
# with any of them is hashed from _LINES instead. No field is NULL (dates as '').
_RAW_LIST = (
    "coalesce((SELECT string_agg(e, ';' ORDER BY e COLLATE \"C\") FROM "
    "(SELECT DISTINCT normalize(x, NFC) AS e FROM unnest(string_to_array(raw, ';')) AS x) AS s), '')"
)
_AS_OF_COPY = _AS_OF.replace(":version", "{version}")
_COPY_PUBLIC = f"""COPY (
WITH dl AS MATERIALIZED (
  SELECT raw, {_RAW_LIST} AS plain
  FROM (SELECT DISTINCT o.departments AS raw FROM object_rows o WHERE {_AS_OF_COPY}) AS r),
tl AS MATERIALIZED (
  SELECT raw, {_RAW_LIST} AS plain
  FROM (SELECT DISTINCT o.tags AS raw FROM object_rows o WHERE {_AS_OF_COPY}) AS r)
SELECT o.object_id, o.id_type, o.name, o.type, o.industry, o.district,
  o.registration_authority, o.address, o.status, {_day("o.established")},
  {_flag("o.abnormal_list")}, {_flag("o.serious_illegal_list")}, dl.plain, tl.plain,
  {_day("o.last_inspected")}
FROM object_rows o
JOIN dl ON dl.raw = o.departments
JOIN tl ON tl.raw = o.tags
WHERE {_AS_OF_COPY}
ORDER BY o.object_id COLLATE "C") TO STDOUT"""
_COPY_INTERNAL = f"""COPY (
SELECT o.object_id, o.risk_class FROM object_rows o WHERE {_AS_OF_COPY}
ORDER BY o.object_id COLLATE "C") TO STDOUT"""


class _Params:
    """Bound parameters of one generated query, named p0, p1, …"""

    def __init__(self, **fixed: Any) -> None:
        self.values: dict[str, Any] = dict(fixed)

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"


def _filter_sql(where: ObjectFilter, bind: _Params) -> str:
    """The SQL condition of a filter (docs/FORMATS.md, SPEC §4), on the row ``o``."""
    parts = []
    for key, values in where.clauses:
        if key in ("type", "district", "risk_class", "status"):
            parts.append(f"o.{key} = ANY(CAST({bind(list(values))} AS text[]))")
        elif key == "industry":
            parts.append(
                "(" + " OR ".join(f"starts_with(o.industry, {bind(v)})" for v in values) + ")"
            )
        elif key in ("department", "tag"):
            column = "departments" if key == "department" else "tags"
            parts.append(
                f"string_to_array(o.{column}, ';') && CAST({bind(list(values))} AS text[])"
            )
        elif key == "list":
            on = [f"o.{name}_list" for name in ("abnormal", "serious_illegal") if name in values]
            parts.append("(" + " OR ".join(on) + ")" if on else "FALSE")
        else:  # pragma: no cover - ObjectFilter admits no other key
            raise ValueError(f"filter key {key!r}")
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _classified(
    plan: Plan, items: Mapping[str, Any], history: Sequence[HistoryRecord], bind: _Params
) -> str:
    """The SQL of every (object, item) of the plan's pools with its reason mask
    (bit n: REASONS[n]; 0: a pool member), and the objects outside every stratum
    (item_no = -1) and those in more than one (item_no = -2, an error). Columns: id,
    item_no, stratum_no, strata_matched, mask."""
    codes = sorted(plan.items)
    strata = sorted(plan.strata, key=lambda s: s.name)
    rules = plan.exclusions
    lookback = rules.lookback_months
    cutoff = months_before(plan.window_start, lookback) if lookback > 0 else None
    stratum_case = " ".join(
        f"WHEN {_filter_sql(s.where, bind)} THEN {n}" for n, s in enumerate(strata)
    )
    stratum_count = " + ".join(
        f"(CASE WHEN {_filter_sql(s.where, bind)} THEN 1 ELSE 0 END)" for s in strata
    )
    item_flags = ", ".join(
        f"{_filter_sql(items[c].scope, bind)} AS i{n}" for n, c in enumerate(codes)
    )
    # Millions of objects share a few hundred combinations of the values the filters
    # read: each combination is judged once, and the objects joined to their verdict.
    filters = [plan.scope, *(s.where for s in strata), *(items[c].scope for c in codes)]
    columns = sorted(
        {"status", *(n for f in filters for k in f.fields() for n in FILTER_COLUMNS[k])}
    )
    keys = ", ".join(f"o.{name}" for name in columns)
    join = " AND ".join(f"c.{name} = o.{name}" for name in columns)
    year = bind(plan.year)
    this_year = f"EXTRACT(YEAR FROM h.day) = {year}"
    li_this_year = f"(CASE WHEN EXTRACT(YEAR FROM o.last_inspected) = {year} THEN 1 ELSE 0 END)"
    item_rows = " UNION ALL ".join(
        f"SELECT {n} AS item_no, CAST({bind(c)} AS text) AS code, "
        f"CAST({bind(items[c].max_per_year)} AS integer) AS max_per_year"
        for n, c in enumerate(codes)
    )
    item_match = "CASE it.item_no " + " ".join(f"WHEN {n} THEN o.i{n}" for n in range(len(codes)))
    item_match += " END" if codes else "ELSE FALSE END"
    cutoff_sql = f"CAST({bind(cutoff)} AS date)"
    cap = f"CAST({bind(rules.annual_cap)} AS integer)"
    statuses = f"CAST({bind(list(rules.statuses))} AS text[])"
    h_ids = bind([r.object_id for r in history])
    h_codes = bind([r.item_code for r in history])
    h_days = bind([r.date for r in history])
    return f"""
WITH combos AS MATERIALIZED (
  SELECT {keys}, CASE {stratum_case} END AS stratum_no, {stratum_count} AS strata_matched
    {", " + item_flags if item_flags else ""}
  FROM (SELECT DISTINCT {keys} FROM object_rows o WHERE {_AS_OF}) AS o
  WHERE {_filter_sql(plan.scope, bind)}),
o AS (
  SELECT o.object_id AS id, o.status, o.last_inspected, c.stratum_no, c.strata_matched
    {"".join(f", c.i{n}" for n in range(len(codes)))}
  FROM object_rows o JOIN combos c ON {join}
  WHERE {_AS_OF}),
h AS (SELECT * FROM unnest(CAST({h_ids} AS text[]), CAST({h_codes} AS text[]),
                           CAST({h_days} AS date[])) AS h(object_id, item_code, day)),
ha AS (SELECT h.object_id, count(*) FILTER (WHERE {this_year}) AS year_n
       FROM h GROUP BY h.object_id),
hi AS (SELECT h.object_id, h.item_code, max(h.day) AS last,
              count(*) FILTER (WHERE {this_year}) AS year_n
       FROM h GROUP BY h.object_id, h.item_code),
it AS ({item_rows if codes else "SELECT 0 AS item_no, '' AS code, 0 AS max_per_year WHERE FALSE"})
SELECT o.id, it.item_no, o.stratum_no, o.strata_matched,
  (CASE WHEN o.status = ANY({statuses}) THEN 1 ELSE 0 END)
  + (CASE WHEN {cutoff_sql} IS NOT NULL AND (hi.last >= {cutoff_sql}
          OR o.last_inspected >= {cutoff_sql}) THEN 2 ELSE 0 END)
  + (CASE WHEN {cap} IS NOT NULL
          AND coalesce(ha.year_n, 0) + {li_this_year} >= {cap} THEN 4 ELSE 0 END)
  + (CASE WHEN it.max_per_year IS NOT NULL
          AND coalesce(hi.year_n, 0) + {li_this_year} >= it.max_per_year THEN 8 ELSE 0 END)
  AS mask
FROM o JOIN it ON o.stratum_no IS NOT NULL AND ({item_match})
LEFT JOIN ha ON ha.object_id = o.id
LEFT JOIN hi ON hi.object_id = o.id AND hi.item_code = it.code
UNION ALL
SELECT o.id, -1, -1, o.strata_matched, 0 FROM o WHERE o.stratum_no IS NULL
UNION ALL
SELECT o.id, -2, -2, o.strata_matched, 0 FROM o WHERE o.strata_matched > 1
"""


def _pool_table(
    session: Session,
    plan: Plan,
    items: Mapping[str, Any],
    history: Sequence[HistoryRecord],
    version: int,
) -> str:
    """A temporary table (dropped at commit) of _classified's rows for these inputs,
    made once per transaction: ``draw run`` prepares and draws in one transaction,
    and the draw ranks the pools the preparation counted."""
    bind = _Params(version=version)
    query = _classified(plan, items, history, bind)
    key = hashlib.sha256(repr((query, sorted(bind.values.items()))).encode("utf-8"))
    name = f"dualrandom_pools_{key.hexdigest()[:20]}"
    if session.execute(text("SELECT to_regclass(:n)"), {"n": f"pg_temp.{name}"}).scalar() is None:
        session.execute(
            text(
                f"CREATE TEMPORARY TABLE {name} (id text, item_no integer, stratum_no integer, "
                "strata_matched integer, mask integer) ON COMMIT DROP"
            )
        )
        session.execute(text(f"INSERT INTO {name} {query}"), bind.values)
        session.execute(text(f"ANALYZE {name}"))
    return name


# --- prepare -------------------------------------------------------------------


# The engine's queries are generated (a condition per stratum, CTEs) and the
# planner's row estimates for them are far off: it would JIT-compile them (seconds
# for queries that run in less) and pick nested loops or merge joins for what are
# a million rows: every join here is an equality, made a hash join. Sorts of a
# registry's lines get more memory than 4 MB.
_SETTINGS = {
    "jit": "off",
    "enable_nestloop": "off",
    "enable_mergejoin": "off",  # a merge join sorts a million rows by text in a locale
    "work_mem": "64MB",
}


@contextmanager
def _planner(session: Session) -> Iterator[None]:
    """The engine's planner settings, for the queries in the block only (SET LOCAL;
    on an error the caller's transaction is rolled back, and they with it)."""
    before = {
        name: session.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one()
        for name in _SETTINGS
    }
    for name, value in _SETTINGS.items():
        session.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    for name, value in before.items():
        session.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})


def _object_digests(session: Session, version: int) -> tuple[str, str]:
    """SHA-256 of the public and the internal part (SPEC §3.1): PostgreSQL writes
    the lines in id order, Python hashes them as they stream in."""
    bad, controls = session.execute(text(_INVALID), {"version": version}).one()
    if bad is not None:
        raise DrawStateError(
            f"名录中对象 {bad!r} 的取值不符合规范（非 NFC、空列表元素或非法枚举），"
            "PostgreSQL 引擎不予抽取；请用 --engine python 查看具体原因",
            f"object {bad!r} of the registry holds a value that is not canonical (not NFC, an "
            "empty list element or an unknown enumeration value); the PostgreSQL engine does "
            "not draw it. Use --engine python to see the exact problem",
        )
    public = hashlib.sha256(("\t".join(OBJECT_PUBLIC_FIELDS) + "\n").encode("utf-8"))
    internal = hashlib.sha256(("\t".join(OBJECT_INTERNAL_FIELDS) + "\n").encode("utf-8"))
    connection: Any = session.connection().connection.driver_connection
    if not controls and type(connection).__module__.partition(".")[0] == "psycopg":
        for part, query in ((public, _COPY_PUBLIC), (internal, _COPY_INTERNAL)):
            with connection.cursor().copy(query.format(version=int(version))) as copy:
                for block in copy:
                    part.update(block)
        return public.hexdigest(), internal.hexdigest()
    with connection.cursor(name="dualrandom_object_lines") as cursor:
        cursor.itersize = _FETCH
        cursor.execute(_LINES.replace(":version", "%(version)s"), {"version": version})
        while rows := cursor.fetchmany(_FETCH):
            public.update("".join([row[0] for row in rows]).encode("utf-8"))
            internal.update("".join([row[1] for row in rows]).encode("utf-8"))
    return public.hexdigest(), internal.hexdigest()


def _not_held(*_: object) -> tuple[bytes, bytes]:
    raise RuntimeError(
        "the PostgreSQL engine streams the object snapshot into its digests and keeps no bytes"
    )


def prepare_pg(session: Session, inputs: DrawInputs, objects_version: int) -> Preparation:
    """The DR-1 preparation (core ``prepare``) with the object registry as of
    ``objects_version`` read inside PostgreSQL; ``inputs.objects`` is not read.
    Byte for byte the same digests, quotas, exclusions and outside list."""
    with _planner(session):
        return _prepare_pg(session, inputs, objects_version)


def _prepare_pg(session: Session, inputs: DrawInputs, objects_version: int) -> Preparation:
    plan, items = inputs.plan, inputs.items
    plan_bytes = plan_canonical(plan, items, DR1)
    public_digest, internal_digest = _object_digests(session, objects_version)
    objects = ObjectSnapshot(
        None,
        None,
        public_digest,
        internal_digest,
        combine_object_digests(public_digest, internal_digest),
        DR1,
        make=_not_held,
    )
    inspectors = tuple(sorted(inputs.inspectors, key=lambda o: o.cert_no))
    inspector_snapshot = inspectors_snapshot(inspectors)
    conflicts = conflict_snapshot(inputs.conflicts, DR1)
    history = history_snapshot(inputs.history)
    digests = Digests(
        plan=sha256_hex(plan_bytes),
        objects=objects.digest,
        inspectors=inspector_snapshot.digest,
        conflicts=conflicts.digest,
        history=history.digest,
    )
    codes = sorted(plan.items)
    strata = sorted(s.name for s in plan.strata)
    pools = _pool_table(session, plan, items, inputs.history, objects_version)
    rows = session.execute(
        text(
            f"""SELECT item_no, stratum_no, NULL AS id, 0 AS mask, count(*) FROM {pools}
                WHERE mask = 0 AND item_no >= 0 GROUP BY item_no, stratum_no
                UNION ALL
                SELECT item_no, stratum_no, id, mask, 1 FROM {pools}
                WHERE mask <> 0 OR item_no < 0"""
        )
    ).all()
    _check_strata(session, plan, objects_version, rows)
    sizes = {(c, s): 0 for c in codes for s in strata}
    exclusions: list[Exclusion] = []
    outside: list[str] = []
    for item_no, stratum_no, object_id, mask, count in rows:
        if item_no == -1:
            outside.append(object_id)
        elif mask == 0:
            sizes[(codes[item_no], strata[stratum_no])] = count
        else:
            reasons = tuple(r for n, r in enumerate(REASONS) if mask & (1 << n))
            exclusions.append(Exclusion(codes[item_no], strata[stratum_no], object_id, reasons))
    exclusions.sort(key=lambda e: (e.item, e.stratum, e.object_id))
    outside.sort()
    quotas = tuple(pool_quota(plan, items[c], s, n) for (c, s), n in sorted(sizes.items()))
    return Preparation(
        inputs=inputs,
        plan_bytes=plan_bytes,
        objects=objects,
        inspectors=inspector_snapshot,
        conflicts=conflicts,
        history=history,
        digests=digests,
        quotas=quotas,
        pools={},  # the members stay in the database; pool sizes are in the quotas
        exclusions=tuple(exclusions),
        outside=tuple(outside),
        sorted_objects=ObjectTable.of(()),
        sorted_inspectors=inspectors,
        algorithm=DR1,
    )


def _check_strata(session: Session, plan: Plan, version: int, rows: Sequence[Any]) -> None:
    """An object in more than one stratum is an error, as in the core (the same
    ValueError, naming the first such object in id order and its strata)."""
    overlapping = [row[2] for row in rows if row[0] == -2]
    if not overlapping:
        return
    first = min(overlapping)
    found = (
        session.execute(
            text(f"SELECT o.* FROM object_rows o WHERE {_AS_OF} AND o.object_id = :oid"),
            {"version": version, "oid": first},
        )
        .mappings()
        .one()
    )
    record = _record(found)
    names = ", ".join(
        s.name for s in sorted(plan.strata, key=lambda s: s.name) if s.where.matches(record)
    )
    raise ValueError(f"object {first!r} matches more than one stratum: {names}")


# --- draw ----------------------------------------------------------------------


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split(";")) if value else ()


def _record(row: RowMapping) -> ObjectRecord:
    """The record of an object_rows row (lists stored joined by ';')."""
    return object_record(
        {**row, "id": row["object_id"], "departments": _split(row["departments"]),
         "tags": _split(row["tags"])}
    )  # fmt: skip


def draw_pg(session: Session, prep: Preparation, objects_version: int, seed: bytes) -> DrawResult:
    """The seeded part (core ``draw``): tickets and the k + R smallest per pool in
    PostgreSQL, then visits and teams in the core, from the few objects drawn."""
    if len(seed) != 32:
        raise ValueError(f"a seed is 32 bytes, not {len(seed)}")
    with _planner(session):
        selected, reserve = _select(session, prep, objects_version, seed)
    table = _objects(session, objects_version, sorted({r.object_id for r in (*selected, *reserve)}))
    return draw_selected(replace(prep, sorted_objects=table), seed, selected, reserve)


_TOP = (1 << 64) - 1  # the largest ticket


def _bound(n: int, pool_size: int) -> int:
    """A ticket bound that about n + 6·√n + 20 of ``pool_size`` uniform tickets stay
    under: the n smallest are then almost always among them (and if not, the
    pool is ranked again without a bound, so the selection is exact either way)."""
    if n >= pool_size:
        return _TOP
    return min(_TOP, ((n + 6 * math.isqrt(n) + 20) << 64) // pool_size)


def _select(
    session: Session, prep: Preparation, objects_version: int, seed: bytes
) -> tuple[list[Selected], list[Selected]]:
    """The selection and the reserve (SPEC §8.1), each in (item, stratum, rank) order.

    Tickets are computed for every pool member; only those under their pool's
    bound (_bound) are sorted and numbered with row_number(). A pool that keeps
    fewer than its k + R under the bound is ranked again, whole."""
    plan = prep.inputs.plan
    codes = sorted(plan.items)
    strata = sorted(s.name for s in plan.strata)
    pools = {
        (codes.index(q.item), strata.index(q.stratum)): (q.k + q.reserve, q.pool_size)
        for q in prep.quotas
        if q.k + q.reserve > 0
    }
    bounds = {key: _bound(n, size) for key, (n, size) in pools.items()}
    rows = list(_ranked(session, prep, objects_version, seed, bounds))
    found: dict[tuple[int, int], int] = {}
    for row in rows:
        found[(row[0], row[1])] = found.get((row[0], row[1]), 0) + 1
    short = {key: _TOP for key, (n, _) in pools.items() if found.get(key, 0) < n}
    if short:
        rows = [row for row in rows if (row[0], row[1]) not in short]
        rows += _ranked(session, prep, objects_version, seed, short)
    k_of = {(codes.index(q.item), strata.index(q.stratum)): q.k for q in prep.quotas}
    selected: list[Selected] = []
    reserve: list[Selected] = []
    for item_no, stratum_no, rank, object_id, ticket in sorted(rows, key=lambda r: r[:3]):
        row = Selected(
            strata[stratum_no], codes[item_no], rank, object_id, int.from_bytes(ticket, "big")
        )
        (selected if rank <= k_of[(item_no, stratum_no)] else reserve).append(row)
    return selected, reserve


def _ranked(
    session: Session,
    prep: Preparation,
    objects_version: int,
    seed: bytes,
    bounds: Mapping[tuple[int, int], int],
) -> Sequence[Any]:
    """(item_no, stratum_no, rank, id, ticket) of the k + R smallest members by
    (ticket, id bytes) of each pool in ``bounds``, among those with a ticket ≤ its bound."""
    if not bounds:
        return []
    plan = prep.inputs.plan
    codes = sorted(plan.items)
    strata = sorted(s.name for s in plan.strata)
    wanted = {(codes.index(q.item), strata.index(q.stratum)): q.k + q.reserve for q in prep.quotas}
    keys = sorted(bounds)
    pools = _pool_table(session, plan, prep.inputs.items, prep.inputs.history, objects_version)
    bind = _Params()
    prefix = bind(TAG_TARGET + seed)
    limits = (
        f"unnest(CAST({bind([k[0] for k in keys])} AS integer[]), "
        f"CAST({bind([k[1] for k in keys])} AS integer[]), "
        f"CAST({bind([wanted[k] for k in keys])} AS integer[]), "
        f"CAST({bind([bounds[k].to_bytes(8, 'big') for k in keys])} AS bytea[])) "
        "AS l(item_no, stratum_no, n, bound)"
    )
    return session.execute(
        text(
            f"""WITH members AS (
                  SELECT id, item_no, stratum_no FROM {pools} AS c
                  WHERE mask = 0 AND item_no >= 0),
                tickets AS (
                  SELECT m.id, m.item_no, m.stratum_no, l.n, substr(sha256(
                      CAST({prefix} AS bytea) || convert_to(m.id, 'UTF8')), 1, 8) AS ticket,
                    l.bound
                  FROM members m JOIN {limits}
                    ON l.item_no = m.item_no AND l.stratum_no = m.stratum_no),
                ranked AS (
                  SELECT t.*, row_number() OVER (PARTITION BY t.item_no, t.stratum_no
                                                 ORDER BY t.ticket, t.id COLLATE "C") AS rank
                  FROM tickets t WHERE t.ticket <= t.bound)
                SELECT item_no, stratum_no, rank, id, ticket FROM ranked WHERE rank <= n"""
        ),
        bind.values,
    ).all()


def _objects(session: Session, version: int, ids: list[str]) -> ObjectTable:
    """The records of ``ids`` as of ``version``, in id order."""
    if not ids:
        return ObjectTable.of(())
    found = session.execute(
        text(f"SELECT o.* FROM object_rows o WHERE {_AS_OF} AND o.object_id = ANY(:ids)"),
        {"version": version, "ids": ids},
    ).mappings()
    records = sorted((_record(row) for row in found), key=lambda r: r.id)
    return ObjectTable.of(records)
