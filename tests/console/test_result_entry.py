"""An inspector enters a result with the task page's form: only on their own
team's tasks; a result that is entered redirects without reading the task's
visit and team (nothing is shown), one that is refused shows the task again
with what is wrong, and writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from dualrandom.rules import get_plan
from dualrandom.tables import DrawMemberRow, InspectionTaskRow
from tests.conftest import BACKENDS
from tests.console.conftest import Console, build_console, csrf_token
from tests.publish.scenario import database_url


@pytest.fixture(scope="module", params=BACKENDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """A console of its own, its clock in the plan's check window: these tests enter results."""
    folder = tmp_path_factory.mktemp("console-results")
    with database_url(request.param, folder) as url:
        built = build_console(folder, url)
        opens = _window_start(built)
        moment = built.clock()
        built.clock.advance(
            seconds=(datetime.combine(opens, moment.timetz()) - moment).total_seconds()
            + timedelta(days=3).total_seconds()
        )
        yield built
        built.close()


def _window_start(console: Console) -> date:
    with console.app.transaction() as session:
        return get_plan(session, "2027-Q1").plan.window_start


def _visits(console: Console) -> tuple[list[int], list[int]]:
    """The inspector's visits of 2027-Q1's draw, and the others'."""
    with console.app.transaction() as session:
        members = session.execute(select(DrawMemberRow.visit, DrawMemberRow.cert_no)).all()
    mine = sorted({v for v, cert in members if cert == console.inspector_cert})
    others = sorted({v for v, _ in members} - set(mine))
    assert mine and others
    return mine, others


def _state(console: Console, visit: int) -> tuple[str, date | None]:
    with console.app.transaction() as session:
        task = session.scalars(
            select(InspectionTaskRow).where(InspectionTaskRow.visit == visit)
        ).one()
        return task.state, task.checked_on


def _form(token: str, checked_on: date) -> dict[str, str]:
    return {
        "csrf_token": token,
        "checked_on": checked_on.isoformat(),
        "result": "未发现问题",
        "follow_up": "无需后续处置",
        "note": "",
    }


def test_an_inspector_enters_a_result_without_the_task_being_read_again(
    fresh: Console,
) -> None:
    mine, _ = _visits(fresh)
    client = fresh.client("inspector")
    path = f"/plans/2027-Q1/tasks/{mine[0]}"
    token = csrf_token(client, path)
    statements: list[str] = []
    me = threading.get_ident()

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == me:
            statements.append(" ".join(statement.split()))

    event.listen(fresh.app.engine, "before_cursor_execute", seen)
    try:
        response = client.post(path, data=_form(token, _window_start(fresh)))
    finally:
        event.remove(fresh.app.engine, "before_cursor_execute", seen)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/my/tasks")
    assert _state(fresh, mine[0]) == ("result_entered", _window_start(fresh))
    shown = [s for s in statements if "draw_visits" in s or "inspector_rows" in s]
    assert not shown, "\n".join(shown)


def test_a_refused_result_shows_the_task_again_and_writes_nothing(fresh: Console) -> None:
    mine, _ = _visits(fresh)
    client = fresh.client("inspector")
    path = f"/plans/2027-Q1/tasks/{mine[-1]}"
    token = csrf_token(client, path)
    before = _state(fresh, mine[-1])
    future = fresh.clock().date() + timedelta(days=5)
    response = client.post(path, data=_form(token, future))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"第 {mine[-1]} 户" in page and "<dt>检查组</dt>" in page  # the task, shown again
    assert "是将来的日期" in page  # and why it was refused
    assert _state(fresh, mine[-1]) == before


def test_an_inspector_cannot_enter_the_result_of_another_team(fresh: Console) -> None:
    _, others = _visits(fresh)
    client = fresh.client("inspector")
    token = csrf_token(client, "/account/password")
    before = _state(fresh, others[0])
    response = client.post(
        f"/plans/2027-Q1/tasks/{others[0]}", data=_form(token, _window_start(fresh))
    )
    assert response.status_code == 404
    assert _state(fresh, others[0]) == before
