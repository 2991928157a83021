"""The dashboard's deadlines (issue #13, 工作概况): open tasks past their
publication deadline are red, those within ``[lifecycle] warn_working_days``
(5) working days of it yellow, counted by department; the list behind it
shows each task, red first, department by department.

Two departments' draws: the sample 2027-Q1 (SCJG; window to 31 March 2027)
and 2027-Q2 stored as a plan of SYJ (window to 30 June 2027), and one Q1
result entered, checked on 4 January 2027. Deadlines are 20 working days
after the check, or after the window's last day while no result is in:
  Q1 visit 1 (checked 4 Jan):  1 February 2027
  the other Q1 visits:         29 April 2027 (清明 Monday 5 April)
  the Q2 visits:               28 July 2027 (July has no holiday)
The console's clock is moved to three days, 10:00 in Shanghai:
  27 April: Q1 visit 1 red, other Q1 visits yellow (2 working days left), Q2 nothing
  12 July:  Q1 all red, Q2 nothing (12 working days left: more than 5)
  26 July:  Q1 all red, Q2 all yellow (2 working days left)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask.testing import FlaskClient

from dualrandom.core.model import EntropySource
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.lifecycle import (
    ResultEntry,
    set_result,
    standing_draw,
    tasks_of,
    working_calendar,
)
from dualrandom.rules.store import load_plan, save_plans
from tests.conftest import BACKENDS
from tests.console.conftest import DICE, T0, Console, build_console
from tests.console.html import page, table_rows, text
from tests.draws.conftest import RULES_LOADED_AT, fixed_token
from tests.publish.scenario import database_url

APRIL_27 = datetime(2027, 4, 27, 2, 0, tzinfo=UTC)
JULY_12 = datetime(2027, 7, 12, 2, 0, tzinfo=UTC)
JULY_26 = datetime(2027, 7, 26, 2, 0, tzinfo=UTC)
RESULT_AT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Board:
    console: Console
    q1: int  # open tasks of 2027-Q1 (SCJG)
    q2: int  # open tasks of 2027-Q2 (SYJ)

    def client(self, username: str, at: datetime) -> FlaskClient:
        """A client signed in at ``at`` (sessions end each day)."""
        self.console.clock.now = at
        return self.console.client(username)


@pytest.fixture(scope="module", params=BACKENDS)
def board(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Board]:
    folder = tmp_path_factory.mktemp("console-deadlines")
    with database_url(request.param, folder) as url:
        console = build_console(folder, url)  # 2027-Q1 drawn
        app = console.app
        with app.transaction() as session, time_machine.travel(RULES_LOADED_AT, tick=False):
            plan = load_plan(session, "2027-Q2")
            # another department's plan; SYJ has too few leaders for the sample's districts
            plan = replace(
                plan,
                department="SYJ",
                co_departments=("SCJG", "ZJ"),
                entropy=EntropySource("dice"),
                dice=False,
                team=replace(plan.team, leader=False),
            )
            save_plans(session, [plan], "2027-Q2 as a plan of SYJ", actor="tester")
        secrets = SecretStore(app.settings.secrets_dir, token=fixed_token(9))
        with app.transaction() as session:
            prepare_draw(session, "2027-Q2", secrets=secrets, now=T0, actor="tester")
        with app.transaction() as session:
            run_draw(session, "2027-Q2", DICE, secrets=secrets, now=T0, actor="tester")
        with app.transaction() as session:
            calendar = working_calendar(
                session, app.settings.lifecycle, now=RESULT_AT, actor="tester"
            )
            set_result(
                session,
                ResultEntry("2027-Q1", "#1", date(2027, 1, 4), "未发现问题", "无需后续处置"),
                calendar=calendar,
                settings=app.settings.lifecycle,
                today=RESULT_AT.date(),
                now=RESULT_AT,
                actor="tester",
            )
            q1 = len(tasks_of(session, standing_draw(session, "2027-Q1")))
            q2 = len(tasks_of(session, standing_draw(session, "2027-Q2")))
        assert q1 > 1 and q2 > 1
        yield Board(console, q1, q2)
        console.close()


def _summary(tree: ET.Element) -> list[tuple[str, int, int, int, str]]:
    """The dashboard's deadline table: (department, open, red, yellow, row class)."""
    [section] = tree.findall(".//section[@aria-labelledby='deadline-title']")
    [table] = section.iter("table")
    body = table.find("tbody")
    assert body is not None
    rows = table_rows(table)
    classes = [tr.attrib.get("class", "") for tr in body.findall("tr")]
    return [
        (r["部门"], int(r["未办结"]), int(r["已超期"]), int(r["临近期限"]), c)
        for r, c in zip(rows, classes, strict=True)
    ]


def _tile(tree: ET.Element, colour: str) -> int:
    [tile] = tree.findall(f".//div[@class='tile {colour}']")
    number = tile.find("span[@class='n']")
    assert number is not None
    return int(text(number))


def test_overdue_tasks_are_red_and_near_ones_yellow_by_department(board: Board) -> None:
    b = board
    tree = page(b.client("admin", APRIL_27).get("/"))
    assert _summary(tree) == [
        ("SCJG", b.q1, 1, b.q1 - 1, "red"),  # a department with any overdue task is red
        ("SYJ", b.q2, 0, 0, ""),
    ]
    assert (_tile(tree, "red"), _tile(tree, "yellow")) == (1, b.q1 - 1)

    tree = page(b.client("admin", JULY_26).get("/"))
    assert _summary(tree) == [
        ("SCJG", b.q1, b.q1, 0, "red"),
        ("SYJ", b.q2, 0, b.q2, "yellow"),
    ]
    assert (_tile(tree, "red"), _tile(tree, "yellow")) == (b.q1, b.q2)


def test_near_means_within_the_warning_days(board: Board) -> None:
    """Twelve working days before the deadline a task is not yet near; two before, it is."""
    b = board
    early = _summary(page(b.client("admin", JULY_12).get("/")))
    late = _summary(page(b.client("admin", JULY_26).get("/")))
    assert early[1] == ("SYJ", b.q2, 0, 0, "")
    assert late[1] == ("SYJ", b.q2, 0, b.q2, "yellow")


def test_an_operator_sees_only_their_own_departments_deadlines(board: Board) -> None:
    b = board
    assert _summary(page(b.client("op.syj", JULY_26).get("/"))) == [
        ("SYJ", b.q2, 0, b.q2, "yellow")
    ]
    assert _summary(page(b.client("op", JULY_26).get("/"))) == [("SCJG", b.q1, b.q1, 0, "red")]


def _listed(tree: ET.Element) -> list[tuple[str, str, dict[str, str]]]:
    """The deadline list's rows: (row class, department, cells)."""
    [table] = tree.iter("table")
    body = table.find("tbody")
    assert body is not None
    classes = [tr.attrib.get("class", "") for tr in body.findall("tr")]
    return [(c, r["部门"], r) for c, r in zip(classes, table_rows(table), strict=True)]


def test_the_list_shows_each_task_red_first_department_by_department(board: Board) -> None:
    b = board
    rows = _listed(page(b.client("reviewer", APRIL_27).get("/deadlines")))
    assert [(c, d) for c, d, _ in rows] == [("red", "SCJG")] + [("yellow", "SCJG")] * (b.q1 - 1)
    first = rows[0][2]
    assert first["序号"] == "1" and first["公示期限"].startswith("2027年2月1日")
    assert first["剩余工作日"].startswith("超期 ") and first["剩余工作日"].endswith(" 天")
    assert all(r["公示期限"].startswith("2027年4月29日") for _, _, r in rows[1:])
    assert all(r["剩余工作日"] == "2" for _, _, r in rows[1:])  # 28 and 29 April

    rows = _listed(page(b.client("reviewer", JULY_26).get("/deadlines")))
    assert [(c, d) for c, d, _ in rows] == [("red", "SCJG")] * b.q1 + [("yellow", "SYJ")] * b.q2
    assert all(r["剩余工作日"].startswith("超期 ") for c, _, r in rows if c == "red")
    # 暂定 (provisional) while the installed chinesecalendar does not know 2027
    assert all(r["公示期限"].startswith("2027年7月28日") for c, _, r in rows if c == "yellow")
