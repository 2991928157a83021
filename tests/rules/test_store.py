"""Storing items and plans: upserts, audit entries for changes only, exact reads."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.app import App
from dualrandom.core.plan_json import plan_digest
from dualrandom.errors import NotFoundError, RulesError
from dualrandom.rules import (
    check_rules,
    get_plan,
    list_plans,
    load_items,
    load_plan,
    plan_to_json,
    read_rules,
    save_items,
    save_plans,
    store_rules,
)
from dualrandom.tables import AuditEntryRow, PlanRow
from tests.rules.conftest import PLAN, WriteRules, add_departments


def entries(session: Session) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))
    return [(e.action, e.subject, json.loads(e.payload)["change"]) for e in rows]


def test_items_are_stored_exactly_and_logged_once(
    write_rules: WriteRules, session: Session
) -> None:
    items = [i.value for i in read_rules(write_rules(), "rules").items]
    changes = save_items(session, items, "rules/items.toml")
    assert (changes.added, changes.changed) == (("SCJG-01", "ZJ-02"), ())
    assert load_items(session) == {i.code: i for i in items}
    again = save_items(session, items, "rules/items.toml")
    assert (again.added, again.changed, again.unchanged) == ((), (), ("SCJG-01", "ZJ-02"))
    cheaper = replace(items[0], ratio=Fraction(1, 50))
    assert save_items(session, [cheaper], "items.xlsx").changed == ("SCJG-01",)
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
        save_items(session, [*items, replace(items[0], department="GS")], "items.xlsx")
    assert [str(p) for p in caught.value.problems] == [
        "items.xlsx [department] the database has no departments; "
        "run 'dualrandom registry import departments FILE' first",
        "items.xlsx [code] 'SCJG-01': is listed twice",
    ]
    with app.transaction() as session:
        add_departments(session)
    with app.transaction() as session, pytest.raises(RulesError) as caught:
        save_items(session, [replace(items[0], department="SCJGG")], "items.xlsx")
    assert [str(p) for p in caught.value.problems] == [
        "items.xlsx [department] 'SCJGG': is not in the departments registry; did you mean 'SCJG'?",
    ]


def test_plans_round_trip_with_the_core_digest(write_rules: WriteRules, session: Session) -> None:
    rules = read_rules(write_rules(), "rules")
    items = [i.value for i in rules.items]
    plan = rules.plans[0].value
    save_items(session, items, "rules/items.toml")
    assert save_plans(session, [plan], "rules/plans/2027-Q1.toml").added == ("2027-Q1",)
    assert load_plan(session, "2027-Q1") == plan
    stored = get_plan(session, "2027-Q1")
    assert stored.digest == plan_digest(plan, {i.code: i for i in items})
    assert json.loads(stored.source) == plan_to_json(plan)
    assert save_plans(session, [plan], "x").unchanged == ("2027-Q1",)
    # The plan file did not change, but an item it names did: the digest moves.
    save_items(session, [replace(items[1], ratio=Fraction(1, 10))], "rules/items.toml")
    assert save_plans(session, [plan], "x").changed == ("2027-Q1",)
    assert [e for e in entries(session) if e[0] == "rules.plan"] == [
        ("rules.plan", "2027-Q1", "added"),
        ("rules.plan", "2027-Q1", "changed"),
    ]


def test_plan_lookup_errors_name_the_known_ids(write_rules: WriteRules, session: Session) -> None:
    with pytest.raises(NotFoundError, match="no plans are loaded; run 'dualrandom rules load'"):
        load_plan(session, "2027-Q1")
    rules = check_rules(session, write_rules(), "rules")
    store_rules(session, rules)
    with pytest.raises(NotFoundError) as caught:
        load_plan(session, "2027-q1")
    assert str(caught.value) == "no plan '2027-q1' (did you mean '2027-Q1'?); known plans: 2027-Q1"


def test_list_plans_by_year(write_rules: WriteRules, session: Session) -> None:
    q2 = PLAN.replace('"2027-Q1"', '"2027-Q2"').replace('"Q1"', '"Q2"')
    q2 = q2.replace("2027-01-04", "2027-04-01").replace("2027-03-31", "2027-06-30")
    h1 = PLAN.replace('"2027-Q1"', '"2028-H1"').replace('"Q1"', '"H1"')
    h1 = h1.replace("2027", "2028").replace('"2028年', '"2028年')
    folder = write_rules(plans={"2027-Q1": PLAN, "2027-Q2": q2, "2028-H1": h1})
    store_rules(session, check_rules(session, folder, "rules"))
    assert [s.plan.id for s in list_plans(session)] == ["2027-Q1", "2027-Q2", "2028-H1"]
    assert [s.plan.id for s in list_plans(session, 2028)] == ["2028-H1"]
    assert list_plans(session, 2026) == []


def test_store_rules_reports_what_the_files_no_longer_hold(
    write_rules: WriteRules, session: Session, tmp_path: Path
) -> None:
    report = store_rules(session, check_rules(session, write_rules(), "rules"))
    assert (report.items.added, report.plans.added) == (("SCJG-01", "ZJ-02"), ("2027-Q1",))
    (tmp_path / "rules" / "plans" / "2027-Q1.toml").unlink()
    folder = write_rules(plans={"2027-Q2": PLAN.replace('"2027-Q1"', '"2027-Q2"')})
    report = store_rules(session, check_rules(session, folder, "rules"))
    assert report.plans_not_in_files == ("2027-Q1",)
    assert session.get(PlanRow, "2027-Q1") is not None  # kept: past draws name it
