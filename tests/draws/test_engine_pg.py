"""The in-database engine (draws.engine_pg) draws byte for byte what the core draws.

Each test draws the same plans twice on PostgreSQL, once with the Python
engine and once with ``engine="postgresql"``, in two schemas loaded alike, and
compares what is stored: commitments, result files, seeds and digests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.config import load_settings
from dualrandom.core import draw, prepare
from dualrandom.core.model import ObjectFilter, Stratum
from dualrandom.draws import SecretStore, engine_pg, prepare_draw, run_draw
from dualrandom.draws._inputs import gather
from dualrandom.draws.engine_pg import draw_pg, prepare_pg
from dualrandom.errors import DrawStateError
from dualrandom.rules.store import load_plan, save_plans
from dualrandom.tables import DrawFileRow, DrawRow
from tests.conftest import PG_URL
from tests.draws.conftest import NOW, RULES_LOADED_AT, fixed_token, load_sample, store_dr1_plans

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="set DUALRANDOM_TEST_DATABASE_URL to draw in PostgreSQL"
)
PLANS = ("2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
SEED = bytes.fromhex("5eed" * 16)


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    """Two throwaway PostgreSQL schemas (URLs), dropped afterwards."""
    names = [f"e_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield [f"{PG_URL}{separator}options=-csearch_path%3D{name}" for name in names]
    finally:
        with admin.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _app(url: str, tmp_path: Path) -> App:
    config = tmp_path / f"{uuid.uuid4().hex}.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    app = App.from_settings(load_settings(config, environ={}))
    app.upgrade()
    load_sample(app)
    store_dr1_plans(app, *PLANS)
    return app


def _draw_all(app: App, secrets: SecretStore, engine: str) -> dict[str, object]:
    """Draw the plans in order (each one's history is the draws before it); what is stored."""
    stored: dict[str, object] = {}
    for plan_id in PLANS:
        with app.transaction() as session:
            prepare_draw(session, plan_id, secrets=secrets, now=NOW, actor="t", engine=engine)
        with app.transaction() as session:
            row, _ = run_draw(
                session, plan_id, "123456", secrets=secrets, now=NOW, actor="t", engine=engine
            )
            files = session.execute(
                select(DrawFileRow.name, DrawFileRow.content).where(DrawFileRow.draw_id == row.id)
            )
            stored[plan_id] = (
                row.commitment,
                row.objects_digest,
                row.seed,
                row.result_digest,
                dict(sorted((name, content) for name, content in files)),
            )
    return stored


def _modify(app: App, plan_id: str) -> None:
    """A plan whose strata leave objects outside, with department, tag, list and
    industry filters, stored as a DR-1 plan."""
    with app.transaction() as session, time_machine.travel(RULES_LOADED_AT, tick=False):
        plan = load_plan(session, plan_id)
        strata = (
            Stratum(
                "名单",
                ObjectFilter.of({"list": ["abnormal", "serious_illegal"], "risk_class": ["D"]}),
                min_count=1,
            ),
            Stratum("B类", ObjectFilter.of({"risk_class": ["B"]}), min_count=2),
            Stratum("特种", ObjectFilter.of({"tag": ["特种设备使用单位"], "risk_class": ["C"]})),
            Stratum(
                "批发",
                ObjectFilter.of(
                    {
                        "industry": ["F51", "G5", "C"],
                        "risk_class": ["A"],
                        "district": ["兴隆台区", "盘山县"],
                    }
                ),
            ),
        )
        changed = replace(
            plan,
            strata=strata,
            scope=ObjectFilter.of(
                {"department": ["SCJG", "ZJ"], "status": ["存续", "在业", "注销"]}
            ),
        )
        save_plans(session, [changed], "engine test", actor="tester")


@needs_postgres
def test_both_engines_store_the_same_draws(tmp_path: Path, schemas: list[str]) -> None:
    stored = []
    for url, engine in zip(schemas, ("python", "postgresql"), strict=True):
        app = _app(url, tmp_path)
        secrets = SecretStore(tmp_path / engine, token=fixed_token(5))
        stored.append(_draw_all(app, secrets, engine))
        app.close()
    python, postgresql = stored
    assert list(postgresql) == list(PLANS)
    for plan_id in PLANS:
        assert postgresql[plan_id] == python[plan_id], plan_id
    # The draws exercise what the SQL decides: every reason code, strata, reserves.
    files = [entry[4] for entry in python.values()]  # type: ignore[index]
    exclusions = b"".join(f["exclusions.tsv"] for f in files)
    for reason in (b"status", b"lookback", b"annual_cap", b"item_cap"):
        assert reason in exclusions
    assert all(f["reserve.tsv"].count(b"\n") > 1 for f in files)


@needs_postgres
def test_outside_strata_and_list_filters(tmp_path: Path, schemas: list[str]) -> None:
    stored = []
    for url, engine in zip(schemas, ("python", "postgresql"), strict=True):
        app = _app(url, tmp_path)
        _modify(app, "2027-Q1")
        store_dr1_plans(app, "2027-Q1")
        secrets = SecretStore(tmp_path / engine, token=fixed_token(6))
        with app.transaction() as session:
            prepare_draw(session, "2027-Q1", secrets=secrets, now=NOW, actor="t", engine=engine)
        with app.transaction() as session:
            row, result = run_draw(
                session, "2027-Q1", "42", secrets=secrets, now=NOW, actor="t", engine=engine
            )
            stored.append((row.commitment, row.result_digest, result.files()))
        app.close()
    assert stored[0] == stored[1]
    files = stored[0][2]
    assert files["outside.tsv"].count(b"\n") > 10
    for stratum in ("名单", "B类", "特种", "批发"):
        assert stratum.encode() in files["result.tsv"]


# Values whose canonical bytes need care: escapes, lists unsorted or repeated,
# non-ASCII, no dates, ids that sort differently bytewise than in a locale.
_TRICKY = [
    ("name", "A\\B\tC"),
    ("address", "路\n号\r"),
    ("departments", "ZJ;SCJG;ZJ"),
    ("tags", "b\\;a;特种"),
    ("registration_authority", ""),
]


@needs_postgres
@pytest.mark.parametrize("control", ["", "\x0c"])
def test_tricky_values_give_the_same_digests_and_pools(
    tmp_path: Path, schemas: list[str], control: str
) -> None:
    """With and without a form feed in a name: COPY would write it \\f, which SPEC
    leaves raw, so then the lines are formed and escaped by SQL expressions."""
    app = _app(schemas[0], tmp_path)
    with app.transaction() as session:
        ids = (
            session.execute(
                text(
                    "SELECT object_id FROM object_rows WHERE version_to IS NULL ORDER BY object_id LIMIT 5"
                )
            )
            .scalars()
            .all()
        )
        for object_id, (column, value) in zip(ids, _TRICKY, strict=True):
            session.execute(
                text(
                    f"UPDATE object_rows SET {column} = :v, established = NULL WHERE object_id = :id"
                ),
                {"v": value + control if column == "name" else value, "id": object_id},
            )
        session.execute(
            text("UPDATE object_rows SET object_id = 'a' || object_id WHERE object_id = :id"),
            {"id": ids[0]},
        )
    with app.transaction() as session:
        gathered = gather(session, "2027-Q2")
        expected = prepare(gathered.inputs)
        lean = gather(session, "2027-Q2", objects=False)
        assert len(lean.inputs.objects) == 0
        got = prepare_pg(session, lean.inputs, lean.versions["objects"])
        assert (got.objects.public_digest, got.objects.internal_digest) == (
            expected.objects.public_digest,
            expected.objects.internal_digest,
        )
        assert got.digests == expected.digests
        assert (got.quotas, got.exclusions, got.outside) == (
            expected.quotas,
            expected.exclusions,
            expected.outside,
        )
        assert (
            draw_pg(session, got, lean.versions["objects"], SEED).files()
            == draw(expected, SEED).files()
        )
    app.close()


@needs_postgres
def test_beacon_plans_are_refused(tmp_path: Path, schemas: list[str]) -> None:
    app = _app(schemas[0], tmp_path)
    secrets = SecretStore(tmp_path / "s", token=fixed_token(5))
    with app.transaction() as session:
        with pytest.raises(DrawStateError, match="PostgreSQL 引擎目前只做 DR-1"):
            prepare_draw(
                session,
                "2027-Q2",
                secrets=secrets,
                now=NOW,
                actor="t",
                entropy_source="beacon",
                engine="postgresql",
            )
        assert session.scalar(select(DrawRow.id)) is None
    app.close()


def test_sqlite_refuses_the_postgresql_engine(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path)
    secrets = SecretStore(tmp_path / "s", token=fixed_token(5))
    with (
        app.transaction() as session,
        pytest.raises(DrawStateError, match="需要 PostgreSQL 数据库"),
    ):
        prepare_draw(session, "2027-Q1", secrets=secrets, now=NOW, actor="t", engine="postgresql")
    app.close()


def test_the_engine_on_the_command_line(dr1_app: App, config_file: Path, tmp_path: Path) -> None:
    """On PostgreSQL, a draw made in the database exports a bundle the Python verifier
    re-runs to MATCH; on SQLite the option is refused, Chinese first."""

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--config", str(config_file), *args])
        return result.exit_code, result.output

    code, out = invoke("draw", "prepare", "2027-Q1", "--engine", "postgresql")
    if dr1_app.engine.dialect.name != "postgresql":
        assert code == 1 and out.startswith("错误：--engine postgresql 需要 PostgreSQL 数据库"), out
        return
    assert code == 0, out
    code, out = invoke(
        "draw", "run", "2027-Q1", "--engine", "postgresql", "--entropy", "31415", "-y"
    )
    assert code == 0 and "已抽取 Drew 2027-Q1" in out, out
    code, out = invoke("draw", "export", "2027-Q1", str(tmp_path / "b"), "--tier", "auditor")
    assert code == 0, out
    code, out = invoke("verify", str(tmp_path / "b"))
    assert code == 0 and out.rstrip().endswith("MATCH"), out


@needs_postgres
@pytest.mark.parametrize("share", [0, 1, 4, 1 << 20])
def test_ticket_bounds_never_change_the_selection(
    tmp_path: Path, schemas: list[str], monkeypatch: pytest.MonkeyPatch, share: int
) -> None:
    """Only tickets under a pool's bound are ranked; a pool left short is ranked again
    whole. Bounds keeping no ticket, about n/4 of the n needed, about n, and all of
    them give the core's selection."""
    app = _app(schemas[0], tmp_path)
    monkeypatch.setattr(
        engine_pg, "_bound", lambda n, size: min(engine_pg._TOP, ((n * share // 4) << 64) // size)
    )
    with app.transaction() as session:
        lean = gather(session, "2027-Q2", objects=False)
        got = prepare_pg(session, lean.inputs, lean.versions["objects"])
        expected = prepare(gather(session, "2027-Q2").inputs)
        assert draw_pg(session, got, lean.versions["objects"], SEED).files() == (
            draw(expected, SEED).files()
        )
    app.close()


@needs_postgres
def test_a_value_the_core_refuses_is_refused(tmp_path: Path, schemas: list[str]) -> None:
    app = _app(schemas[0], tmp_path)
    with app.transaction() as session:
        ids = (
            session.execute(
                text('SELECT object_id FROM object_rows ORDER BY object_id COLLATE "C" LIMIT 3')
            )
            .scalars()
            .all()
        )
        session.execute(
            text("UPDATE object_rows SET industry = 'Z12' WHERE object_id IN (:a, :b)"),
            {"a": ids[1], "b": ids[2]},
        )
    with app.transaction() as session:
        with pytest.raises(ValueError, match="Z12"):
            prepare(gather(session, "2027-Q2").inputs)
        lean = gather(session, "2027-Q2", objects=False)
        with pytest.raises(DrawStateError, match=f"^名录中对象 '{ids[1]}' 的取值不符合规范"):
            prepare_pg(session, lean.inputs, lean.versions["objects"])
    app.close()
