"""Storing items and plans: upserts, audit entries for changes only, exact reads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dualrandom import audit, db
from dualrandom.app import App
from dualrandom.core.model import (
    DrawKind,
    ObjectFilter,
    Plan,
    Stratum,
    TeamRequirement,
    TeamRules,
)
from dualrandom.core.plan_json import plan_digest, plan_to_json
from dualrandom.errors import NotFoundError, RulesError
from dualrandom.rules import (
    check_rules,
    get_plan,
    list_plans,
    load_items,
    load_plan,
    read_rules,
    save_items,
    save_plans,
    store_rules,
)
from dualrandom.rules.store import plan_source
from dualrandom.tables import AuditEntryRow, PlanRow
from tests.rules.conftest import PLAN, WriteRules, add_departments


def entries(session: Session) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))
    return [(e.action, e.subject, json.loads(e.payload)["change"]) for e in rows]


def test_items_are_stored_exactly_and_logged_once(
    write_rules: WriteRules, session: Session
) -> None:
    items = [i.value for i in read_rules(write_rules(), "rules").items]
    changes = save_items(session, items, "rules/items.toml", actor="tester")
    assert (changes.added, changes.changed) == (("SCJG-01", "ZJ-02"), ())
    assert load_items(session) == {i.code: i for i in items}
    again = save_items(session, items, "rules/items.toml", actor="tester")
    assert (again.added, again.changed, again.unchanged) == ((), (), ("SCJG-01", "ZJ-02"))
    cheaper = replace(items[0], ratio=Fraction(1, 50))
    assert save_items(session, [cheaper], "items.xlsx", actor="tester").changed == ("SCJG-01",)
    assert load_items(session)["SCJG-01"].ratio == Fraction(1, 50)
    assert entries(session) == [
        ("rules.item", "SCJG-01", "added"),
        ("rules.item", "ZJ-02", "added"),
        ("rules.item", "SCJG-01", "changed"),
    ]
    last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())).first()
    assert last is not None
    payload = json.loads(last.payload)
    assert (payload["source"], payload["item"]["ratio"], payload["previous"]["ratio"]) == (
        "items.xlsx",
        "1/50",
        "1/20",
    )
    assert audit.verify(session).ok


def test_items_of_unknown_departments_are_refused(write_rules: WriteRules, app: App) -> None:
    items = [i.value for i in read_rules(write_rules(), "rules").items]
    with app.transaction() as session, pytest.raises(RulesError) as caught:
        save_items(session, [*items, replace(items[0], department="GS")], "items.xlsx", actor="tester")
    assert [str(p) for p in caught.value.problems] == [
        "items.xlsx [department] 数据库中还没有任何部门；"
        "请先运行 dualrandom registry import departments FILE "
        "(the database has no departments; "
        "run 'dualrandom registry import departments FILE' first)",
        "items.xlsx [code] 'SCJG-01': 列出了两次 (is listed twice)",
    ]
    with app.transaction() as session:
        add_departments(session)
    with app.transaction() as session, pytest.raises(RulesError) as caught:
        save_items(session, [replace(items[0], department="SCJGG")], "items.xlsx", actor="tester")
    assert [str(p) for p in caught.value.problems] == [
        "items.xlsx [department] 'SCJGG': 不在部门名录中；是否应为 'SCJG'？ "
        "(is not in the departments registry; did you mean 'SCJG'?)",
    ]


def test_plans_round_trip_with_the_core_digest(write_rules: WriteRules, session: Session) -> None:
    rules = read_rules(write_rules(), "rules")
    items = [i.value for i in rules.items]
    plan = rules.plans[0].value
    save_items(session, items, "rules/items.toml", actor="tester")
    assert save_plans(session, [plan], "rules/plans/2027-Q1.toml", actor="tester").added == ("2027-Q1",)
    assert load_plan(session, "2027-Q1") == plan
    stored = get_plan(session, "2027-Q1")
    assert stored.digest == plan_digest(plan, {i.code: i for i in items})
    assert json.loads(stored.source) == plan_to_json(plan)
    assert save_plans(session, [plan], "x", actor="tester").unchanged == ("2027-Q1",)
    # The plan file did not change, but an item it names did: the digest moves.
    save_items(session, [replace(items[1], ratio=Fraction(1, 10))], "rules/items.toml", actor="tester")
    assert save_plans(session, [plan], "x", actor="tester").changed == ("2027-Q1",)
    assert [e for e in entries(session) if e[0] == "rules.plan"] == [
        ("rules.plan", "2027-Q1", "added"),
        ("rules.plan", "2027-Q1", "changed"),
    ]


def test_plan_lookup_errors_name_the_known_ids(write_rules: WriteRules, session: Session) -> None:
    with pytest.raises(NotFoundError, match="no plans are loaded; run 'dualrandom rules load'"):
        load_plan(session, "2027-Q1")
    rules = check_rules(session, write_rules(), "rules")
    store_rules(session, rules, actor="tester")
    with pytest.raises(NotFoundError) as caught:
        load_plan(session, "2027-q1")
    assert (caught.value.message, caught.value.english) == (
        "没有计划 '2027-q1'（是否应为 '2027-Q1'？）；已载入的计划：2027-Q1",
        "no plan '2027-q1' (did you mean '2027-Q1'?); known plans: 2027-Q1",
    )


def test_list_plans_by_year(write_rules: WriteRules, session: Session) -> None:
    q2 = PLAN.replace('"2027-Q1"', '"2027-Q2"').replace('"Q1"', '"Q2"')
    q2 = q2.replace("2027-01-04", "2027-04-01").replace("2027-03-31", "2027-06-30")
    h1 = PLAN.replace('"2027-Q1"', '"2028-H1"').replace('"Q1"', '"H1"')
    h1 = h1.replace("2027", "2028").replace('"2028年', '"2028年')
    folder = write_rules(plans={"2027-Q1": PLAN, "2027-Q2": q2, "2028-H1": h1})
    store_rules(session, check_rules(session, folder, "rules"), actor="tester")
    assert [s.plan.id for s in list_plans(session)] == ["2027-Q1", "2027-Q2", "2028-H1"]
    assert [s.plan.id for s in list_plans(session, 2028)] == ["2028-H1"]
    assert list_plans(session, 2026) == []


def test_store_rules_reports_what_the_files_no_longer_hold(
    write_rules: WriteRules, session: Session, tmp_path: Path
) -> None:
    report = store_rules(session, check_rules(session, write_rules(), "rules"), actor="tester")
    assert (report.items.added, report.plans.added) == (("SCJG-01", "ZJ-02"), ("2027-Q1",))
    (tmp_path / "rules" / "plans" / "2027-Q1.toml").unlink()
    folder = write_rules(plans={"2027-Q2": PLAN.replace('"2027-Q1"', '"2027-Q2"')})
    report = store_rules(session, check_rules(session, folder, "rules"), actor="tester")
    assert report.plans_not_in_files == ("2027-Q1",)
    assert session.get(PlanRow, "2027-Q1") is not None  # kept: past draws name it


# A plan as version 0.1 stored it (its own storage keys "type" and "stratum",
# a format tag), with its strata out of name order.
FORMAT_1_SOURCE = (
    '{"batch":"Q1","co_departments":["ZJ"],"department":"SCJG","entropy":"typed",'
    '"exclusions":{"annual_cap":null,"lookback_months":0,"statuses":["吊销","撤销","注销","迁出"]},'
    '"format":"dual-random/plan/1","id":"2027-Q1","items":["SCJG-01","ZJ-02"],'
    '"prepare_days_before":7,"publication":{"inspector_names":false,"mask_person_names":true},'
    '"schedule":"quarterly","scope":{},"stratum":[{"max":200,"min":0,"name":"CD","ratio":null,'
    '"where":{"risk_class":["C","D"]}},{"max":null,"min":1,"name":"AB","ratio":"1/100",'
    '"where":{"risk_class":["A","B"]}}],"team":{"conflict_rules":["declared","previous_team"],'
    '"district":"any","leader":false,"load_cap":null,"require":[{"count":1,"department":"SCJG"}],'
    '"size":2},"title":"2027年第一季度联合抽查","type":"不定向",'
    '"window":{"end":"2027-03-31","start":"2027-01-04"},"year":2027}'
)


def test_migration_0005_brings_plans_stored_by_0_1_to_the_core_json(database_url: str) -> None:
    expected = Plan(
        id="2027-Q1",
        title="2027年第一季度联合抽查",
        year=2027,
        batch="Q1",
        kind=DrawKind.UNTARGETED,
        department="SCJG",
        co_departments=("ZJ",),
        items=("SCJG-01", "ZJ-02"),
        window_start=date(2027, 1, 4),
        window_end=date(2027, 3, 31),
        strata=(
            Stratum("CD", ObjectFilter.of({"risk_class": ["C", "D"]}), None, 0, 200),
            Stratum("AB", ObjectFilter.of({"risk_class": ["A", "B"]}), Fraction(1, 100), 1),
        ),
        team=TeamRules(size=2, require=(TeamRequirement("SCJG", 1),)),
        schedule="quarterly",
    )
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                insert(PlanRow),
                {
                    "id": "2027-Q1",
                    "title": expected.title,
                    "year": 2027,
                    "batch": "Q1",
                    "source": FORMAT_1_SOURCE,
                    "digest": "0" * 64,
                    "loaded_at": datetime(2026, 12, 1, tzinfo=UTC),
                },
            )
        db.upgrade(engine)
        with Session(engine) as session:
            stored = get_plan(session, "2027-Q1")
        assert stored.plan == expected
        # Loading the unchanged file again rewrites and logs nothing.
        assert stored.source == plan_source(expected)
        command.downgrade(db.alembic_config(engine), "0004")
        with engine.connect() as conn:
            assert conn.scalar(select(PlanRow.source)) == FORMAT_1_SOURCE
    finally:
        engine.dispose()
