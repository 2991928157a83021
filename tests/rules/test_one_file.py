"""One uploaded file checked on its own, as the console does: the same problems,
on the same lines, as when it lies in the rules folder."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dualrandom.errors import RulesError
from dualrandom.rules import check_items_text, check_plan_text, read_rules, save_items
from tests.rules.conftest import ITEMS, PLAN, WriteRules


def test_a_valid_item_list_and_plan_pass(session: Session) -> None:
    items = check_items_text(session, "items.toml", ITEMS.encode())
    assert [i.code for i in items] == ["SCJG-01", "ZJ-02"]
    save_items(session, items, "items.toml", actor="tester")
    plan = check_plan_text(session, "2027-Q1.toml", PLAN.encode())
    assert plan.value.id == "2027-Q1" and plan.value.co_departments == ("ZJ",)


def test_a_plan_is_checked_against_the_stored_items(session: Session) -> None:
    with pytest.raises(RulesError) as caught:
        check_plan_text(session, "2027-Q1.toml", PLAN.encode())
    assert "there is no item list" in str(caught.value.problems[0])


def test_problems_are_those_of_the_folder_on_the_same_lines(
    session: Session, write_rules: WriteRules
) -> None:
    save_items(session, check_items_text(session, "items.toml", ITEMS.encode()), "items.toml", actor="tester")
    broken = PLAN.replace('ratio = "0.01"', 'ratio = "百分之一"')
    with pytest.raises(RulesError) as caught:
        check_plan_text(session, "2027-Q1.toml", broken.encode())
    uploaded = sorted((p.row, p.column, p.value) for p in caught.value.problems)
    line = 1 + broken.splitlines().index('ratio = "百分之一"')
    assert any(row == line and value == "百分之一" for row, _, value in uploaded)
    folder = read_rules(write_rules(items=ITEMS, plans={"2027-Q1": broken}), "rules")
    in_folder = sorted((p.row, p.value) for p in folder.problems)
    assert [(row, value) for row, _, value in uploaded if value == "百分之一"] == [
        (row, value) for row, value in in_folder if value == "百分之一"
    ]


def test_departments_are_checked_against_the_database(session: Session) -> None:
    save_items(session, check_items_text(session, "items.toml", ITEMS.encode()), "items.toml", actor="tester")
    text = PLAN.replace('co_departments = ["ZJ"]', 'co_departments = ["ZJ", "XX"]')
    with pytest.raises(RulesError) as caught:
        check_plan_text(session, "2027-Q1.toml", text.encode())
    line = 1 + text.splitlines().index('co_departments = ["ZJ", "XX"]')
    assert [(p.row, p.value) for p in caught.value.problems] == [(line, "XX")]


def test_the_plan_id_must_be_the_file_name(session: Session) -> None:
    save_items(session, check_items_text(session, "items.toml", ITEMS.encode()), "items.toml", actor="tester")
    with pytest.raises(RulesError) as caught:
        check_plan_text(session, "upload.toml", PLAN.encode())
    assert any(p.column == "id" and p.value == "2027-Q1" for p in caught.value.problems)
