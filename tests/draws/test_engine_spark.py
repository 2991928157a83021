"""The DR-1 selection as a Spark job gives the Python draw's result, byte for byte.

Spark runs in local mode (local[2], two shuffle partitions, no UI) on the DR-1
known-answer vectors (tests/core/vectors/dr1.json: TAB, backslash and ``;`` in
values, history exclusions of every kind) and on the sample registries with
every plan of rules/plans, the objects exported to Parquet and read back, and
history from an earlier draw. Slow (a Spark session takes ~20 s to start):
run by .ci/run, which installs the extra (``pip install '.[spark]'``).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.engine import make_url

from dualrandom.app import App
from dualrandom.core import DR2, FILE_NAMES, DrawInputs, draw, prepare
from dualrandom.core.model import HistoryRecord
from dualrandom.draws import SecretStore, engine_spark, prepare_draw, run_draw
from dualrandom.draws._inputs import draw_files, gather
from dualrandom.draws.engine_spark import (
    SparkMissingError,
    draw_with_spark,
    export_objects,
    read_objects,
)
from dualrandom.tables import DrawRow
from tests.core.test_dr1_vectors import VECTORS, _inputs
from tests.draws.conftest import NOW

HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None
needs_pyspark = pytest.mark.skipif(
    not HAVE_PYSPARK, reason="pyspark is not installed: pip install '.[spark]'"
)
SEED = bytes.fromhex("5eed" * 16)
PLANS = ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
# Debian's PostgreSQL JDBC driver (apt-get install libpostgresql-jdbc-java).
JDBC_JAR = Path("/usr/share/java/postgresql.jar")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    jars = [str(JDBC_JAR)] if JDBC_JAR.exists() else []
    session = engine_spark.local_session(cores=2, shuffle_partitions=2, jars=jars)
    yield session
    session.stop()


@pytest.fixture
def on_sqlite(database_url: str) -> None:
    """The Spark job reads the same values from either database: its tests that do
    not read PostgreSQL itself run once, on SQLite (each start of a local Spark
    costs CI about 20 s). Listed first, so that it skips before the data is loaded."""
    if database_url.startswith("postgresql"):
        pytest.skip("the Spark job reads the registry as values: run on SQLite only")


def _without_objects(inputs: DrawInputs) -> DrawInputs:
    """The inputs as the Spark path gets them: the objects come from Spark."""
    return DrawInputs(
        inputs.plan, inputs.items, (), inputs.inspectors, inputs.conflicts, inputs.history
    )


def test_without_pyspark_the_spark_draw_is_refused_chinese_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes an import fail as if the package were absent.
    for name in ("pyspark", "pyspark.sql", "pyspark.sql.functions", "pyspark.sql.window"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SparkMissingError) as caught:
        engine_spark.local_session()
    assert caught.value.message.startswith("Spark 抽取需要可选组件 pyspark")
    assert "pip install 'dual-random[spark]'" in caught.value.english


def test_a_dr2_draw_is_refused_by_name() -> None:
    inputs = _inputs()
    with pytest.raises(engine_spark.UserError) as caught:
        draw_with_spark(
            cast(Any, None), cast(Any, None), inputs, SEED, prepare(inputs).digests, DR2
        )
    assert "只支持 DR-1" in caught.value.message
    assert "DR-1 only, not DR-2" in caught.value.english


@pytest.mark.slow
@needs_pyspark
def test_spark_reproduces_the_dr1_vectors(spark: Any, tmp_path: Path) -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    inputs = _inputs()
    seed = bytes.fromhex(vectors["seed"])
    prep = prepare(inputs)
    export_objects(spark, inputs.objects, tmp_path / "objects.parquet")
    result = draw_with_spark(
        spark,
        read_objects(spark, tmp_path / "objects.parquet"),
        _without_objects(inputs),
        seed,
        prep.digests,
    )
    expected = {name: text.encode("utf-8") for name, text in vectors["files"].items()}
    assert result.files() == expected
    assert result.files() == draw(prep, seed).files()
    assert result.digest == vectors["result_digest"]


@pytest.mark.slow
@needs_pyspark
def test_spark_draws_every_sample_plan_as_python_does(
    on_sqlite: None, spark: Any, dr1_app: App, tmp_path: Path
) -> None:
    with dr1_app.transaction() as session:
        gathered = {plan_id: gather(session, plan_id).inputs for plan_id in PLANS}
    first = gathered["2027-Q1"]
    # An earlier draw's visits as history, so look-back and caps exclude objects.
    earlier = draw(first, SEED)
    history = tuple(
        HistoryRecord(v.object_id, item, first.plan.window_start, tuple(m.officer for m in v.team))
        for v in earlier.visits
        for item in v.items
    )
    export_objects(spark, first.objects, tmp_path / "objects.parquet")
    objects = read_objects(spark, tmp_path / "objects.parquet")
    assert objects.count() == len(first.objects) == 5000
    reasons: set[str] = set()
    for plan_id, inputs in gathered.items():
        if plan_id != "2027-Q1":
            inputs = DrawInputs(
                inputs.plan,
                inputs.items,
                inputs.objects,
                inputs.inspectors,
                inputs.conflicts,
                history,
            )
        prep = prepare(inputs)
        in_python = draw(prep, SEED)
        in_spark = draw_with_spark(spark, objects, _without_objects(inputs), SEED, prep.digests)
        assert in_spark.files() == in_python.files(), plan_id
        assert in_spark.digest == in_python.digest
        assert in_python.visits, plan_id
        reasons.update(r for e in in_python.exclusions for r in e.reasons)
    # The comparison covered exclusions for history and for status, not just pools.
    assert {"status", "lookback", "annual_cap"} <= reasons


def _drawn(app: App, secrets: SecretStore, plan_id: str) -> int:
    with app.transaction() as session:
        prepare_draw(session, plan_id, secrets=secrets, now=NOW, actor="tester")
    with app.transaction() as session:
        row, _ = run_draw(session, plan_id, "2718281828", secrets=secrets, now=NOW, actor="tester")
        return row.id


@pytest.mark.slow
@needs_pyspark
def test_the_spark_submit_entry_re_runs_stored_dr1_draws(
    on_sqlite: None,
    spark: Any,
    dr1_app: App,
    config_file: Path,
    secrets: SecretStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DUALRANDOM_DATABASE_URL", raising=False)
    # Q2 after Q1: its history holds Q1's visits.
    numbers = [_drawn(dr1_app, secrets, plan_id) for plan_id in ("2027-Q1", "2027-Q2")]
    parquet = str(tmp_path / "objects.parquet")
    assert engine_spark.main(["export", "--config", str(config_file), "--objects", parquet]) == 0
    for number in numbers:
        out = tmp_path / f"draw-{number}"
        argv = ["draw", "--config", str(config_file), "--draw", str(number), "--objects", parquet]
        assert engine_spark.main([*argv, "--out", str(out)]) == 0
        with dr1_app.transaction() as session:
            row = session.get(DrawRow, number)
            assert row is not None
            stored = draw_files(session, number, list(FILE_NAMES))
        assert {name: (out / name).read_bytes() for name in FILE_NAMES} == stored
        assert capsys.readouterr().out == f"{row.result_digest} 与记录一致 matches the record\n"


@pytest.mark.slow
@needs_pyspark
@pytest.mark.skipif(not JDBC_JAR.exists(), reason=f"no PostgreSQL JDBC driver at {JDBC_JAR}")
def test_spark_reads_the_registry_from_postgresql_over_jdbc(
    spark: Any, dr1_app: App, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("JDBC reads PostgreSQL")
    url = make_url(database_url)
    schema = str(url.query["options"]).removeprefix("-csearch_path=")
    jdbc = f"jdbc:postgresql://{url.host}:{url.port or 5432}/{url.database}?currentSchema={schema}"
    properties = {"user": url.username or "", "driver": "org.postgresql.Driver"}
    if url.password:
        properties["password"] = url.password
    with dr1_app.transaction() as session:
        gathered = gather(session, "2027-Q1")
    inputs = gathered.inputs
    prep = prepare(inputs)
    objects = engine_spark.read_objects_jdbc(
        spark, jdbc, gathered.versions["objects"], properties, partitions=3
    )
    assert objects.count() == 5000
    in_spark = draw_with_spark(spark, objects, _without_objects(inputs), SEED, prep.digests)
    assert in_spark.files() == draw(prep, SEED).files()
