"""Attacks on the record, seen from the console: a visit row or a team member
edited in the database behind the library's back. Exports and publications
are refused with the check's named error, Chinese first, and nothing is
written; the pages that show the draw say so at the top."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from dualrandom.tables import DrawMemberRow, DrawRow, DrawVisitRow
from tests.conftest import BACKENDS
from tests.console.conftest import Console, build_console, csrf_token
from tests.publish.scenario import database_url

DRAW = "/plans/2027-Q1/draws/1"
WARNING = "数据完整性警告"
UNDER_WAY = "完整性核验正在进行"


@pytest.fixture(params=BACKENDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """A console of its own: these tests break its record."""
    folder = tmp_path_factory.mktemp("console-integrity")
    with database_url(request.param, folder) as url:
        built = build_console(folder, url)
        yield built
        built.close()


def _page(console: Console, client: FlaskClient, path: str) -> str:
    """The page once its draw's check is done (the first view starts it)."""
    client.get(path)
    console.settle()
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _draw_id(console: Console) -> int:
    with console.app.transaction() as session:
        found = session.scalar(
            select(DrawRow.id).where(DrawRow.plan_id == "2027-Q1", DrawRow.attempt == 1)
        )
    assert found is not None
    return found


def _edit_visit(console: Console, number: int, **values: str) -> None:
    """What an insider with database access does: one row changed, nothing logged."""
    draw_id = _draw_id(console)
    with console.app.transaction() as session:
        changed = session.execute(
            update(DrawVisitRow)
            .where(DrawVisitRow.draw_id == draw_id, DrawVisitRow.number == number)
            .values(**values)
        )
        assert changed.rowcount == 1  # type: ignore[attr-defined]


def _swap_first_ticket(console: Console) -> None:
    with console.app.transaction() as session:
        ticket = session.scalar(
            select(DrawVisitRow.ticket).where(
                DrawVisitRow.draw_id == _draw_id(console), DrawVisitRow.number == 1
            )
        )
    assert ticket is not None
    _edit_visit(console, 1, ticket="0" * 16 if ticket != "0" * 16 else "f" * 16)


def _chinese_first(page: str, chinese: str, english: str) -> None:
    assert chinese in page and english in page
    assert page.index(chinese) < page.index(english)


def test_the_page_is_clean_until_a_visit_row_is_edited_then_warns(fresh: Console) -> None:
    client = fresh.client("op")
    first = client.get(DRAW).get_data(as_text=True)
    assert UNDER_WAY in first  # the first view: the check has only started
    assert WARNING not in _page(fresh, client, DRAW)  # the intact record passes
    _swap_first_ticket(fresh)
    page = client.get(DRAW).get_data(as_text=True)  # at once: the fingerprints differ
    assert WARNING in page
    _chinese_first(
        page, "第 1 户的记录在核验通过后被改动", "changed after the draw passed its check"
    )
    page = _page(fresh, client, DRAW)  # the next check names the finding
    assert WARNING in page and "draw_visits 2027-Q1#1 visit 1" in page
    _chinese_first(page, "走访记录与抽取结果（result.tsv）不符", "the visit row contradicts")


def test_an_edited_team_shows_on_the_task_page_of_that_visit(fresh: Console) -> None:
    client = fresh.client("op")
    assert WARNING not in _page(fresh, client, "/plans/2027-Q1/tasks/1")
    with fresh.app.transaction() as session:
        session.execute(
            update(DrawMemberRow)
            .where(
                DrawMemberRow.draw_id == _draw_id(fresh),
                DrawMemberRow.visit == 1,
                DrawMemberRow.slot == 0,
            )
            .values(role="member" if fresh.inspector_cert else "leader")
        )
    assert WARNING in client.get("/plans/2027-Q1/tasks/1").get_data(as_text=True)
    assert WARNING in client.get("/plans/2027-Q1/tasks").get_data(as_text=True)


def test_a_record_broken_before_the_first_check_is_named_on_every_draw_page(
    fresh: Console,
) -> None:
    _edit_visit(fresh, 2, departments="CZ")
    client = fresh.client("reviewer")
    for path in (DRAW, "/plans/2027-Q1/tasks", "/plans/2027-Q1/ceremony/screen"):
        page = _page(fresh, client, path)
        assert WARNING in page and "2027-Q1#1 visit 2" in page, path


@pytest.mark.parametrize(
    ("export", "role"), [("visits.csv", "reviewer"), ("bundle-auditor.zip", "auditor")]
)
def test_an_export_of_an_edited_draw_is_refused(fresh: Console, export: str, role: str) -> None:
    """(The fixture's draw is DR-1, whose public zip is refused anyway: issue 9.)"""
    client = fresh.client(role)
    intact = client.get(f"{DRAW}/{export}")
    assert intact.status_code == 200 and intact.mimetype != "text/html"  # the control
    _swap_first_ticket(fresh)
    response = client.get(f"{DRAW}/{export}")
    assert response.status_code == 409 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    _chinese_first(page, "导出数据包被拒绝：审计核验发现", "draw export refused")
    assert "draw_visits 2027-Q1#1 visit 1" in page


def test_publishing_an_edited_draw_is_refused_and_writes_nothing(fresh: Console) -> None:
    client = fresh.client("reviewer")
    _swap_first_ticket(fresh)
    site = fresh.app.settings.site_dir
    response = client.post("/publish", data={"csrf_token": csrf_token(client, "/publish")})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    _chinese_first(page, "发布被拒绝：审计核验发现", "publish refused")
    assert not (site / "index.html").exists()


def test_an_operator_cannot_publish_the_commitment_of_a_broken_record(fresh: Console) -> None:
    client = fresh.client("op")
    _edit_visit(fresh, 3, object_id="91110000000000000X")
    token = csrf_token(client, "/plans/2027-Q3/ceremony/")
    response = client.post("/plans/2027-Q3/ceremony/publish", data={"csrf_token": token})
    assert response.status_code == 409
    _chinese_first(response.get_data(as_text=True), "发布被拒绝", "publish refused")
    assert not (fresh.app.settings.site_dir / "index.html").exists()


def test_a_visit_with_an_item_code_not_in_the_plan_shows_the_code_marked(fresh: Console) -> None:
    """An item code edited into a visit row (no such item in the draw's plan.json)
    used to be a KeyError and a 500; every page of the visit shows it, marked."""
    _edit_visit(fresh, 1, items="ZZ-99")
    client = fresh.client("op")
    for path in (DRAW, "/plans/2027-Q1/tasks/1", "/plans/2027-Q1/ceremony/screen"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "ZZ-99 【计划中无此事项 / not an item of this draw&#39;s plan】" in page, path
    page = _page(fresh, client, DRAW)  # and the check names the edited row
    assert WARNING in page and "draw_visits 2027-Q1#1 visit 1" in page


def test_the_public_zip_of_a_dr1_draw_is_refused_and_not_offered(fresh: Console) -> None:
    client = fresh.client("reviewer")
    response = client.get(f"{DRAW}/bundle-public.zip")
    assert response.mimetype == "text/html" and response.status_code >= 400
    _chinese_first(response.get_data(as_text=True), "使用 DR-1 算法", "drawn with DR-1")
    assert "bundle-public.zip" not in _page(fresh, client, DRAW)
