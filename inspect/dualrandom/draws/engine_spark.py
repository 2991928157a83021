"""The selection of a DR-1 draw as an Apache Spark job (docs/SCALE.md, "Spark").

For a registry too large for one machine, Spark computes what the draw
decides about every object: pools, exclusions and the objects outside every
stratum (SPEC §7; the filters decided by the core's own ``ObjectFilter.matches``
once per distinct combination of the columns they read, as ``core.pools``
does, and joined back), the quotas, the tickets (§6: ``sha2`` over ``concat`` of
the binary tag ‖ seed ‖ UTF-8(id)) and, with a window per pool ordered by
(ticket, id bytes), the k selected and the reserve (§8.1). Only those rows
come back to the driver; the teams (§9) are assigned here in Python on the
selected visits, by the very code of the Python draw
(:func:`dualrandom.core.draw.staff_visits`). The result is the same
:class:`~dualrandom.core.DrawResult`, byte for byte
(tests/draws/test_engine_spark.py).

The registry is read from Parquet (:func:`export_objects` writes the object
registry snapshot of a version in the schema :data:`OBJECTS_SCHEMA`) or
straight from PostgreSQL over JDBC (:func:`read_objects_jdbc`). The seed is an input: the job re-runs a draw whose seed is
known (the canonical digests that enter the seed are the Python path's).

pyspark is an optional extra (``pip install 'dual-random[spark]'``) and is
imported only when a function here is called. Only DR-1 is drawn here: a
DR-2 draw also needs its public files (SPEC §21), which this job does not
compute, so it is refused by name.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dualrandom.core import DR1, DrawInputs, DrawResult, Exclusion, Quota, Selected
from dualrandom.core.canonical import ObjectColumns
from dualrandom.core.draw import pool_quota, staff_visits
from dualrandom.core.encoding import TAG_TARGET
from dualrandom.core.model import (
    OBJECT_FIELDS,
    HistoryRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
    Stratum,
    object_record,
)
from dualrandom.core.pools import FILTER_COLUMNS, months_before
from dualrandom.core.seed import Digests
from dualrandom.core.table import ObjectTable
from dualrandom.core.tickets import SEED_LENGTH
from dualrandom.errors import UserError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = [
    "OBJECTS_SCHEMA",
    "SparkMissingError",
    "SparkSelection",
    "draw_with_spark",
    "export_objects",
    "local_session",
    "objects_query",
    "read_objects",
    "read_objects_jdbc",
    "select_with_spark",
]

# The object registry snapshot as Spark reads it: every field of ObjectRecord,
# lists as arrays of strings (sorted, as in the record), dates as DATE.
OBJECTS_SCHEMA = (
    "id STRING NOT NULL, name STRING NOT NULL, type STRING NOT NULL, industry STRING NOT NULL, "
    "district STRING NOT NULL, status STRING NOT NULL, risk_class STRING NOT NULL, "
    "id_type STRING NOT NULL, registration_authority STRING NOT NULL, address STRING NOT NULL, "
    "established DATE, abnormal_list BOOLEAN NOT NULL, serious_illegal_list BOOLEAN NOT NULL, "
    "departments ARRAY<STRING> NOT NULL, tags ARRAY<STRING> NOT NULL, last_inspected DATE"
)
_EXPORT_BATCH = 200_000


class SparkMissingError(UserError):
    """pyspark (the optional extra ``dual-random[spark]``) is not installed."""


def _pyspark() -> tuple[Any, Any, Any]:
    """pyspark.sql, its functions and Window, imported on first use."""
    try:
        sql = importlib.import_module("pyspark.sql")
        functions = importlib.import_module("pyspark.sql.functions")
        window = importlib.import_module("pyspark.sql.window")
    except ImportError as error:
        raise SparkMissingError(
            "Spark 抽取需要可选组件 pyspark：请运行 pip install 'dual-random[spark]'"
            "（并安装 Java 17 或更高版本）",
            "the Spark draw needs the optional extra pyspark: run "
            "pip install 'dual-random[spark]' (and install Java 17 or later)",
        ) from error
    return sql, functions, window.Window


def local_session(
    cores: int = 2, shuffle_partitions: int = 4, jars: Sequence[str] = ()
) -> SparkSession:
    """A Spark session in local mode (tests, benchmarks, a single large machine);
    ``jars`` on its classpath (e.g. the PostgreSQL JDBC driver)."""
    sql, _, _ = _pyspark()
    builder = sql.SparkSession.builder
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    spark: SparkSession = (
        builder.master(f"local[{cores}]")
        .appName("dual-random")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _rows(columns: ObjectColumns) -> Iterator[tuple[Any, ...]]:
    """The rows of ``columns`` as plain tuples in OBJECTS_SCHEMA order (enum members
    as their text values, lists as lists)."""
    for row in zip(*(getattr(columns, name) for name in OBJECT_FIELDS), strict=True):
        yield (
            *(str(value) for value in row[:10]),
            row[10],
            bool(row[11]),
            bool(row[12]),
            list(row[13]),
            list(row[14]),
            row[15],
        )


def export_objects(spark: SparkSession, objects: Sequence[ObjectRecord], path: str | Path) -> None:
    """Write the object registry snapshot ``objects`` (records or an
    :class:`ObjectTable`, e.g. ``registry.object_table_as_of(session, version)``)
    to Parquet at ``path`` in :data:`OBJECTS_SCHEMA`, replacing what is there.
    Spark itself writes it (no pyarrow), a batch of rows at a time."""
    table = objects if isinstance(objects, ObjectTable) else ObjectTable.of(objects)
    columns = table.columns
    mode = "overwrite"
    for start in range(0, max(len(table), 1), _EXPORT_BATCH):
        batch = list(_rows(columns.rows(start, min(start + _EXPORT_BATCH, len(table)))))
        frame = spark.createDataFrame(batch, OBJECTS_SCHEMA, verifySchema=False)
        frame.write.mode(mode).parquet(str(path))
        mode = "append"


def read_objects(spark: SparkSession, path: str | Path) -> DataFrame:
    """The object registry snapshot written by :func:`export_objects`."""
    return spark.read.schema(OBJECTS_SCHEMA).parquet(str(path))


def objects_query(version: int) -> str:
    """The SQL (PostgreSQL) giving registry ``version`` of the objects in
    :data:`OBJECTS_SCHEMA`: the rows that held in that version, personal columns
    left out, the ``;``-joined lists as arrays."""
    return (
        "SELECT object_id AS id, name, type, industry, district, status, risk_class, id_type, "
        "registration_authority, address, established, abnormal_list, serious_illegal_list, "
        "string_to_array(departments, ';') AS departments, string_to_array(tags, ';') AS tags, "
        "last_inspected, pk FROM object_rows "
        f"WHERE version_from <= {int(version)} "
        f"AND (version_to IS NULL OR version_to > {int(version)}) AND NOT gone"
    )


def read_objects_jdbc(
    spark: SparkSession,
    url: str,
    version: int,
    properties: Mapping[str, str],
    partitions: int = 8,
) -> DataFrame:
    """Registry ``version`` of the objects straight from PostgreSQL over JDBC
    (``url`` as ``jdbc:postgresql://host:5432/db``; ``properties`` at least
    ``user``, ``password`` and ``driver`` = ``org.postgresql.Driver``; the
    PostgreSQL JDBC driver jar on the classpath, e.g. ``spark-submit --jars
    postgresql.jar``). Read in ``partitions`` ranges of the row key, in parallel."""
    query = objects_query(version)
    bounds = (
        spark.read.jdbc(url, f"(SELECT min(pk) AS lo, max(pk) AS hi FROM ({query}) q) b",
                        properties=dict(properties))
        .collect()[0]
    )  # fmt: skip
    frame: DataFrame = spark.read.jdbc(
        url,
        f"({query}) objects",
        column="pk",
        lowerBound=int(bounds["lo"] or 0),
        upperBound=int(bounds["hi"] or 0) + 1,
        numPartitions=partitions,
        properties=dict(properties),
    )
    return frame.select(*OBJECT_FIELDS)


@dataclass(frozen=True)
class SparkSelection:
    """What the Spark job decides: quotas, selected and reserve rows (ranked,
    with tickets), exclusions and objects outside every stratum, in the order
    the Python draw gives them, and the records of the selected objects."""

    quotas: tuple[Quota, ...]
    selected: tuple[Selected, ...]
    reserve: tuple[Selected, ...]
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]
    records: Mapping[str, ObjectRecord]


def _verdicts(
    spark: SparkSession,
    F: Any,
    objects: DataFrame,
    plan: Plan,
    items: Mapping[str, ItemRecord],
    codes: Sequence[str],
    strata: Sequence[Stratum],
) -> tuple[list[str], DataFrame]:
    """The filters decided once per distinct combination of the columns they read,
    on a real record of that combination, by the core's own ``ObjectFilter.matches``
    (a registry of millions has a few hundred combinations; core.pools does the
    same): the join columns and a small table of, per combination in the plan's
    scope, its stratum (null: outside every stratum) and per item (``scope_n``)
    whether the item's scope holds it. Two strata matching one object is refused."""
    types = importlib.import_module("pyspark.sql.types")
    filters = [plan.scope, *(s.where for s in strata), *(items[c].scope for c in codes)]
    names = sorted({n for f in filters for key in f.fields() for n in FILTER_COLUMNS[key]})
    keyed = objects.withColumn("_all", F.lit(0))  # a key even when no filter reads a column
    names = ["_all", *names]
    prototypes = keyed.groupBy(*names).agg(
        F.min_by(F.struct(*OBJECT_FIELDS), F.col("id")).alias("first")
    )
    rows = []
    for found in prototypes.collect():
        record = object_record(found["first"].asDict())
        if not plan.scope.matches(record):
            continue
        matched = [s.name for s in strata if s.where.matches(record)]
        if len(matched) > 1:
            raise UserError(
                f"对象 {record.id} 同时属于多个分层（{'、'.join(matched)}）；请修改计划的分层条件",
                f"object {record.id} matches more than one stratum ({', '.join(matched)}); "
                "change the plan's strata",
            )
        flags = [items[code].scope.matches(record) for code in codes]
        rows.append((*(found[n] for n in names), matched[0] if matched else None, *flags))
    fields = [keyed.schema[n] for n in names]
    fields.append(types.StructField("stratum", types.StringType(), True))
    fields += [
        types.StructField(f"scope_{n}", types.BooleanType(), False) for n in range(len(codes))
    ]
    return names, spark.createDataFrame(rows, types.StructType(fields))


def _history_counts(
    spark: SparkSession, F: Any, plan: Plan, codes: Sequence[str], history: Iterable[HistoryRecord]
) -> DataFrame | None:
    """Per object with history: the latest date per plan item (h_last_n), the number
    of inspections in the plan's year per plan item (h_year_n) and in all (h_year)."""
    rows = [(h.object_id, h.item_code, h.date) for h in history]
    if not rows:
        return None
    frame = spark.createDataFrame(rows, "hist_id STRING, item STRING, day DATE")
    this_year = F.year("day") == plan.year
    aggregates = [F.sum(F.when(this_year, 1).otherwise(0)).alias("h_year")]
    for n, code in enumerate(codes):
        same = F.col("item") == code
        aggregates.append(F.max(F.when(same, F.col("day"))).alias(f"h_last_{n}"))
        aggregates.append(F.sum(F.when(same & this_year, 1).otherwise(0)).alias(f"h_year_{n}"))
    return frame.groupBy("hist_id").agg(*aggregates)


def _reasons(F: Any, plan: Plan, item: ItemRecord, n: int, with_history: bool) -> Column:
    """The exclusion reasons of SPEC §7.2 for item number ``n``, in their order."""
    rules = plan.exclusions
    inspected = F.col("last_inspected")
    inspected_this_year = F.when(F.year(inspected) == plan.year, 1).otherwise(0)

    def history(name: str, default: Any) -> Column:
        value: Column = F.coalesce(F.col(name), F.lit(default)) if with_history else F.lit(default)
        return value

    statuses = sorted(str(s) for s in rules.statuses)
    status = F.col("status").isin(statuses) if statuses else F.lit(False)
    if rules.lookback_months > 0:
        cutoff = F.lit(months_before(plan.window_start, rules.lookback_months))
        lookback = F.coalesce(inspected >= cutoff, F.lit(False))
        if with_history:
            lookback = lookback | F.coalesce(F.col(f"h_last_{n}") >= cutoff, F.lit(False))
    else:
        lookback = F.lit(False)
    if rules.annual_cap is not None:
        annual = history("h_year", 0) + inspected_this_year >= rules.annual_cap
    else:
        annual = F.lit(False)
    if item.max_per_year is not None:
        item_cap = history(f"h_year_{n}", 0) + inspected_this_year >= item.max_per_year
    else:
        item_cap = F.lit(False)
    found = [
        F.when(status, F.lit("status")),
        F.when(lookback, F.lit("lookback")),
        F.when(annual, F.lit("annual_cap")),
        F.when(item_cap, F.lit("item_cap")),
    ]
    reasons: Column = F.array_compact(F.array(*found))
    return reasons


def select_with_spark(
    spark: SparkSession,
    objects: DataFrame,
    plan: Plan,
    items: Mapping[str, ItemRecord],
    history: Sequence[HistoryRecord],
    seed: bytes,
) -> SparkSelection:
    """Pools, exclusions, quotas, selection and reserve of a DR-1 draw (SPEC §6–§8.1)
    over ``objects`` (a DataFrame in :data:`OBJECTS_SCHEMA`, one row per object)."""
    _, F, Window = _pyspark()
    if len(seed) != SEED_LENGTH:
        raise ValueError(f"a seed is {SEED_LENGTH} bytes, not {len(seed)}")
    codes = sorted(plan.items)
    strata = sorted(plan.strata, key=lambda s: s.name)
    counts = _history_counts(spark, F, plan, codes, history)
    names, verdicts = _verdicts(spark, F, objects, plan, items, codes, strata)
    frame = objects.withColumn("_all", F.lit(0)).join(F.broadcast(verdicts), names).drop("_all")
    if counts is not None:
        frame = frame.join(F.broadcast(counts), frame["id"] == counts["hist_id"], "left")
    frame = frame.select(
        *OBJECT_FIELDS,
        "stratum",
        F.filter(
            F.array(
                *(
                    F.struct(
                        F.lit(code).alias("item"),
                        F.col(f"scope_{n}").alias("in_scope"),
                        _reasons(F, plan, items[code], n, counts is not None).alias("reasons"),
                    )
                    for n, code in enumerate(codes)
                )
            ),
            lambda entry: entry["in_scope"],
        ).alias("entries"),
    )
    frame = frame.persist()
    try:
        return _select(spark, F, Window, frame, plan, items, codes, strata, seed)
    finally:
        frame.unpersist()


def _select(
    spark: SparkSession,
    F: Any,
    Window: Any,
    frame: DataFrame,
    plan: Plan,
    items: Mapping[str, ItemRecord],
    codes: Sequence[str],
    strata: Sequence[Any],
    seed: bytes,
) -> SparkSelection:
    outside = sorted(r["id"] for r in frame.where("stratum IS NULL").select("id").collect())
    entries = (
        frame.where("stratum IS NOT NULL")
        .select(*OBJECT_FIELDS, "stratum", F.explode("entries").alias("entry"))
        .select(*OBJECT_FIELDS, "stratum", "entry.item", "entry.reasons")
    )
    excluded = entries.where(F.size("reasons") > 0).select("item", "stratum", "id", "reasons")
    exclusions = sorted(
        (
            Exclusion(r["item"], r["stratum"], r["id"], tuple(r["reasons"]))
            for r in excluded.collect()
        ),
        key=lambda e: (e.item, e.stratum, e.object_id),
    )
    members = entries.where(F.size("reasons") == 0).drop("reasons")
    sizes = {
        (r["item"], r["stratum"]): r["count"]
        for r in members.groupBy("item", "stratum").count().collect()
    }
    quotas = tuple(
        pool_quota(plan, items[code], stratum.name, sizes.get((code, stratum.name), 0))
        for code in codes
        for stratum in strata
    )
    limits = [(q.item, q.stratum, q.k, q.k + q.reserve) for q in quotas if q.k + q.reserve > 0]
    selected: list[Selected] = []
    reserve: list[Selected] = []
    records: dict[str, ObjectRecord] = {}
    if limits:
        bounds = spark.createDataFrame(limits, "item STRING, stratum STRING, k INT, upto INT")
        key = F.concat(F.lit(bytearray(TAG_TARGET + seed)), F.encode(F.col("id"), "UTF-8"))
        ticket = F.substring(F.sha2(key, 256), 1, 16)  # 16 hex digits: ordered as the u64
        order = Window.partitionBy("item", "stratum").orderBy(
            F.col("ticket"), F.encode(F.col("id"), "UTF-8")
        )
        most = max(upto for *_, upto in limits)
        ranked = (
            members.join(F.broadcast(bounds), ["item", "stratum"])
            .withColumn("ticket", ticket)
            .withColumn("rank", F.row_number().over(order))
            # A literal bound first: Spark keeps only the top rows of each pool while
            # sorting (a window group limit) instead of ranking every member.
            .where(F.col("rank") <= most)
            .where(F.col("rank") <= F.col("upto"))
        )
        rows: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for r in ranked.collect():
            rows[(r["item"], r["stratum"])].append(r)
        for quota in quotas:
            for r in sorted(rows[(quota.item, quota.stratum)], key=lambda r: r["rank"]):
                row = Selected(quota.stratum, quota.item, r["rank"], r["id"], int(r["ticket"], 16))
                (selected if row.rank <= quota.k else reserve).append(row)
                if row.rank <= quota.k and row.object_id not in records:
                    records[row.object_id] = object_record(r.asDict())
    return SparkSelection(
        quotas=quotas,
        selected=tuple(selected),
        reserve=tuple(reserve),
        exclusions=tuple(exclusions),
        outside=tuple(outside),
        records=records,
    )


def draw_with_spark(
    spark: SparkSession,
    objects: DataFrame,
    inputs: DrawInputs,
    seed: bytes,
    digests: Digests,
    algorithm: str = DR1,
) -> DrawResult:
    """A DR-1 draw with the selection computed by Spark over ``objects`` and the
    teams assigned here on the selected visits. ``inputs.objects`` is not read
    (pass ``()``); ``digests`` are the draw's recorded input digests (they enter
    the seed, which is given, and the result carries them)."""
    if algorithm != DR1:
        raise UserError(
            f"Spark 抽取只支持 DR-1 算法，不支持 {algorithm}：DR-2 的公开文件（规范第 21 节）"
            "不由 Spark 计算；请用 dualrandom draw run 抽取",
            f"the Spark draw supports algorithm DR-1 only, not {algorithm}: DR-2's public files "
            "(SPEC §21) are not computed by Spark; draw it with 'dualrandom draw run'",
        )
    chosen_by = select_with_spark(spark, objects, inputs.plan, inputs.items, inputs.history, seed)
    chosen: dict[str, set[str]] = defaultdict(set)
    for row in chosen_by.selected:
        chosen[row.object_id].add(row.item)
    ticket_of = {row.object_id: row.ticket for row in chosen_by.selected}
    inspectors = sorted(inputs.inspectors, key=lambda o: o.cert_no)
    visits = staff_visits(inputs, inspectors, seed, chosen, chosen_by.records, ticket_of)
    return DrawResult(
        seed=seed,
        digests=digests,
        quotas=chosen_by.quotas,
        selected=chosen_by.selected,
        reserve=chosen_by.reserve,
        visits=visits,
        exclusions=chosen_by.exclusions,
        outside=chosen_by.outside,
        algorithm=DR1,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """spark-submit entry (docs/SCALE.md): ``export`` writes a registry version to
    Parquet; ``draw`` re-runs a stored DR-1 draw over a Parquet snapshot and writes
    its six result files, saying whether the result digest is the recorded one."""
    parser = argparse.ArgumentParser(prog="engine_spark")
    parser.add_argument("command", choices=["export", "draw"])
    parser.add_argument("--config", required=True, help="dual-random config.toml")
    parser.add_argument("--objects", required=True, help="Parquet path of the object snapshot")
    parser.add_argument("--version", type=int, help="export: objects registry version")
    parser.add_argument("--draw", type=int, help="draw: the stored draw's number")
    parser.add_argument("--out", help="draw: folder for the six result files")
    args = parser.parse_args(argv)
    from dualrandom.app import App  # the application, only for this entry point
    from dualrandom.core import parse_history, parse_plan
    from dualrandom.draws._inputs import draw_files
    from dualrandom.registry.snapshot import conflicts_as_of, inspectors_as_of, object_table_as_of
    from dualrandom.tables import DrawRow

    sql, _, _ = _pyspark()
    running = sql.SparkSession.getActiveSession()  # a notebook's or a test's: not ours to stop
    spark = running or sql.SparkSession.builder.appName("dual-random").getOrCreate()
    app = App.from_config(Path(args.config))
    try:
        with app.transaction() as session:
            if args.command == "export":
                export_objects(spark, object_table_as_of(session, args.version), args.objects)
                return 0
            row = session.get(DrawRow, args.draw)
            if row is None or row.seed is None:
                raise UserError(
                    f"没有已抽取的抽取记录 {args.draw}", f"no drawn draw number {args.draw}"
                )
            files = draw_files(session, row.id, ["plan.json", "history.tsv"])
            plan, items = parse_plan(files["plan.json"], row.algorithm)
            inputs = DrawInputs(
                plan=plan,
                items=items,
                objects=(),
                inspectors=inspectors_as_of(session, row.inspectors_version),
                conflicts=conflicts_as_of(session, row.conflicts_version)
                if row.conflicts_version
                else [],
                history=parse_history(files["history.tsv"]),
            )
            digests = Digests(
                plan=row.plan_digest,
                objects=row.objects_digest,
                inspectors=row.inspectors_digest,
                conflicts=row.conflicts_digest,
                history=row.history_digest,
            )
            result = draw_with_spark(
                spark,
                read_objects(spark, args.objects),
                inputs,
                bytes.fromhex(row.seed),
                digests,
                row.algorithm,
            )
            recorded = row.result_digest
    finally:
        app.close()
        if running is None:
            spark.stop()
    out = Path(args.out or f"draw-{args.draw}-spark")
    out.mkdir(parents=True, exist_ok=True)
    for name, content in result.files().items():
        (out / name).write_bytes(content)
    same = result.digest == recorded
    print(
        f"{result.digest} {'与记录一致 matches the record' if same else '与记录不符 differs from the record'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
