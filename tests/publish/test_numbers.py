"""文号: a department's running number of the year, given once, kept, never reused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.config import SiteSettings
from dualrandom.draws import SecretStore
from dualrandom.errors import ConfigError
from dualrandom.publish.numbers import number_notices
from dualrandom.publish.shape.contexts import NoticeHead
from dualrandom.tables import AuditEntryRow, NoticeNumberRow
from tests.drawing import prepare_dr2
from tests.draws.conftest import fixed_token
from tests.publish.conftest import Published
from tests.publish.html import parse, text
from tests.publish.scenario import T0, publish

# The scenario's notices in the order of their own times (tests/publish/scenario.py):
# the plans were loaded first; 2027-Q1 was committed at T0, drawn two days later
# (its notice and statistics), superseded by a second commitment a day after,
# drawn two days later; 2027-Q2 committed at T0 + 90 days, drawn two days later,
# its results (and statistics) published by the publication; then the commitments
# of 2027-Q3 and of 2027-Q4 (withdrawn by a second one). Same moment: plan,
# pre-draw, draw, statistics, results.
IN_ORDER = [
    "plans/2027-SCJG.html",
    "draws/2027-Q1/1/predraw.html",
    "draws/2027-Q1/1/index.html",
    "draws/2027-Q1/1/stats.html",
    "draws/2027-Q1/2/predraw.html",
    "draws/2027-Q1/2/index.html",
    "draws/2027-Q1/2/stats.html",
    "draws/2027-Q2/1/predraw.html",
    "draws/2027-Q2/1/index.html",
    "draws/2027-Q2/1/stats.html",
    "draws/2027-Q2/1/results.html",
    "draws/2027-Q3/1/predraw.html",
    "draws/2027-Q4/1/predraw.html",
    "draws/2027-Q4/2/predraw.html",
]


def _entries(published: Published) -> list[dict[str, list[list[str]]]]:
    with published.app.transaction() as session:
        rows = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.action == "publish.site")
            .order_by(AuditEntryRow.seq)
        )
        return [json.loads(row.payload) for row in rows]


def test_the_first_publication_numbers_every_notice_in_the_order_of_its_time(
    published: Published,
) -> None:
    first = _entries(published)[0]
    expected = [[href, f"SCJG抽〔2027〕{n}号"] for n, href in enumerate(IN_ORDER, start=1)]
    assert first["numbered"] == expected
    shown = {href: doc_no for href, doc_no, _, _ in first["notices"]}
    assert shown == dict(expected) | {"items.html": ""}


def test_each_notice_shows_its_number_and_the_item_list_none(published: Published) -> None:
    numbers = dict(_entries(published)[0]["numbered"])
    for href, doc_no in numbers.items():
        heads = [text(p) for p in parse(published.site / href).iter("p") if p.get("class") == "doc-no"]
        assert heads == [doc_no], href
    items = parse(published.site / "items.html")
    assert not [p for p in items.iter("p") if p.get("class") == "doc-no"]


def test_a_notice_keeps_its_number_and_a_new_one_gets_the_next(published: Published) -> None:
    """A re-publication with a new pattern: the numbers given stay, the new notice is 15th."""
    before = {href: doc_no for href, doc_no, _, _ in _entries(published)[0]["notices"]}
    secrets = SecretStore(published.folder / "secrets-renumber", token=fixed_token(5))
    with published.app.transaction() as session:
        prepare_dr2(
            session,
            "2027-Q3",
            secrets=secrets,
            now=T0 + timedelta(days=185),
            supersede_reason="重新承诺",
        )
    padded = SiteSettings(doc_no="{dept}抽〔{year}〕{n:03d}号")
    site = publish(published.app, published.folder / "renumbered", site=padded)
    latest = _entries(published)[-1]
    assert latest["numbered"] == [["draws/2027-Q3/2/predraw.html", "SCJG抽〔2027〕015号"]]
    after = {href: doc_no for href, doc_no, _, _ in latest["notices"]}
    assert {href: after[href] for href in before} == before
    predraw = parse(site / "draws/2027-Q3/1/predraw.html")
    assert [text(p) for p in predraw.iter("p") if p.get("class") == "doc-no"] == ["SCJG抽〔2027〕12号"]


def _head(href: str, department: str, year: int, day: int, kind: str = "predraw") -> NoticeHead:
    moment = datetime(year - 1, 12, day, 1, 30, tzinfo=UTC)
    return NoticeHead(
        kind, "标题", "", "发布部门", date(year - 1, 12, day), href, year, "Q1",
        (department, "SYJ"), "", "摘要", moment,
    )  # fmt: skip


AT = datetime(2027, 1, 1, tzinfo=UTC)


def test_each_department_and_year_counts_on_its_own(app: App) -> None:
    heads = [
        _head("d/3.html", "SCJG", 2027, 3),
        _head("d/1.html", "SCJG", 2027, 1),
        _head("d/2.html", "SYJ", 2027, 2),
        _head("d/4.html", "SCJG", 2028, 4),
        _head("d/5.html", "SCJG", 2027, 3, kind="draw"),
    ]
    with app.transaction() as session:
        numbering = number_notices(session, heads, "{dept}抽〔{year}〕{n}号", at=AT)
    assert numbering.numbers == {
        "d/1.html": "SCJG抽〔2027〕1号",
        "d/3.html": "SCJG抽〔2027〕2号",
        "d/5.html": "SCJG抽〔2027〕3号",  # same moment as d/3: a draw comes after its pre-draw
        "d/2.html": "SYJ抽〔2027〕1号",
        "d/4.html": "SCJG抽〔2028〕1号",
    }
    assert [href for href, _ in numbering.given] == [
        "d/1.html", "d/2.html", "d/3.html", "d/5.html", "d/4.html",
    ]  # fmt: skip


def test_a_number_is_never_given_twice_even_when_its_notice_is_gone(app: App) -> None:
    pattern = "{dept}抽〔{year}〕{n}号"
    with app.transaction() as session:
        number_notices(session, [_head(f"d/{n}.html", "SCJG", 2027, n) for n in (1, 2, 3)], pattern, at=AT)
    with app.transaction() as session:  # d/1 and d/3 are not published any more
        numbering = number_notices(
            session, [_head("d/2.html", "SCJG", 2027, 2), _head("d/9.html", "SCJG", 2027, 9)],
            pattern, at=AT,
        )  # fmt: skip
        stored = session.scalars(select(NoticeNumberRow.notice).order_by(NoticeNumberRow.number))
        assert list(stored) == ["d/1.html", "d/2.html", "d/3.html", "d/9.html"]
    assert numbering.given == [("d/9.html", "SCJG抽〔2027〕4号")]
    assert numbering.numbers["d/2.html"] == "SCJG抽〔2027〕2号"


def test_a_pattern_that_would_print_a_number_twice_stops_the_publication(app: App) -> None:
    """Department codes A and A1 under "{dept}{n}〔{year}〕": A's 11th is A1's 1st."""
    pattern = "{dept}{n}〔{year}〕"
    heads = [_head(f"a/{n}.html", "A", 2027, n) for n in range(1, 12)]
    with app.transaction() as session:
        number_notices(session, heads, pattern, at=AT)
    with app.transaction() as session, pytest.raises(ConfigError) as caught:
        number_notices(session, [_head("b/1.html", "A1", 2027, 20)], pattern, at=AT)
    assert caught.value.message.startswith("文号 A11〔2027〕 已用于 a/11.html")
    assert "[site] doc_no" in caught.value.english
