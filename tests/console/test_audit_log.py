"""操作日志 in the console: filtered by who, what and which subject; the entries
of the console's own actions stand under the signed-in user's name."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from dualrandom.tables import AuditEntryRow
from tests.console.conftest import Console

ROW = re.compile(
    r'<tr><td class="num">(\d+)</td><td>[^<]*</td><td>([^<]*)</td>'
    r'<td class="mono">([^<]*)</td><td class="mono wrap">([^<]*)</td>'
)


def _rows(page: str) -> list[tuple[int, str, str, str]]:
    return [(int(seq), actor, action, subject) for seq, actor, action, subject in ROW.findall(page)]


def test_the_log_is_filtered_by_actor_action_and_subject(console: Console) -> None:
    client = console.client("auditor")
    with console.app.transaction() as session:
        expected = session.scalar(
            select(func.count()).where(
                AuditEntryRow.actor == "tester",
                AuditEntryRow.action.startswith("draw."),
                AuditEntryRow.subject.startswith("2027-Q1"),
            )
        )
    assert expected  # conftest prepared and drew 2027-Q1 as "tester"
    page = client.get("/audit/?actor=tester&action=draw.&subject=2027-Q1").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == expected
    assert all(
        actor == "tester" and action.startswith("draw.") and subject.startswith("2027-Q1")
        for _, actor, action, subject in rows
    )
    assert [seq for seq, *_ in rows] == sorted((seq for seq, *_ in rows), reverse=True)
    nobody = client.get("/audit/?actor=tester&subject=NO-SUCH-PLAN").get_data(as_text=True)
    assert _rows(nobody) == [] and "没有符合条件的记录" in nobody


def test_a_sign_in_is_logged_under_the_users_name(console: Console) -> None:
    console.client("reviewer")  # signs in
    page = console.client("admin").get("/audit/?action=user.login").get_data(as_text=True)
    assert ("reviewer", "user.login", "reviewer") in [row[1:] for row in _rows(page)]
