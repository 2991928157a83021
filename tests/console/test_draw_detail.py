"""The draw detail page lists the plan's superseded attempts with the reason, and
each substitution: the visit replaced, its reserve, and why (issue #13).

Built with the library as the audit tests build their history: 2027-Q1 drawn,
superseded with a reason and drawn again, then one object of the standing draw
substituted (注销) by the published rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.lifecycle import standing_draw, substitute_objects, tasks_of
from tests.conftest import BACKENDS
from tests.console.conftest import DICE, T0, Console, build_console
from tests.console.html import by_id, page, table_rows, text
from tests.draws.conftest import fixed_token
from tests.publish.scenario import database_url

REASON = "入选对象名录有误，重新抽取"


@dataclass(frozen=True)
class History:
    console: Console
    gone: str  # the object substituted, visit 1 of attempt 2
    reserve: str  # the reserve object that took its place
    reserve_visit: int


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    folder = tmp_path_factory.mktemp("console-draw")
    with database_url(request.param, folder) as url:
        console = build_console(folder, url)  # 2027-Q1 drawn (attempt 1)
        app = console.app
        secrets = SecretStore(app.settings.secrets_dir, token=fixed_token(9))
        with app.transaction() as session:
            prepare_draw(
                session,
                "2027-Q1",
                secrets=secrets,
                now=T0 + timedelta(days=1, hours=1),
                actor="tester",
                supersede_reason=REASON,
            )
        with app.transaction() as session:
            run_draw(
                session,
                "2027-Q1",
                DICE,
                secrets=secrets,
                now=T0 + timedelta(days=1, hours=2),
                actor="tester",
            )
        with app.transaction() as session:
            first = tasks_of(session, standing_draw(session, "2027-Q1"))[0]
            assert first.visit == 1
            report = substitute_objects(
                session,
                "2027-Q1",
                [first.object_id],
                "注销",
                now=T0 + timedelta(days=1, hours=3),
                actor="tester",
            )
        [replacement] = report.replacements
        [visit] = report.visits
        assert replacement.removed == first.object_id and replacement.replacement
        assert visit.object_id == replacement.replacement
        yield History(console, first.object_id, replacement.replacement, visit.number)
        console.close()


def test_a_substitution_names_the_visit_replaced_its_reserve_and_the_reason(
    history: History,
) -> None:
    client = history.console.client("admin")
    tree = page(client.get("/plans/2027-Q1/draws/2"))
    substitutions = by_id(tree, "substitutions")
    assert text(by_id(tree, substitutions.attrib["aria-labelledby"])) == "替补"
    assert table_rows(substitutions) == [
        {
            "被替换的序号": "1",
            "被替换的检查对象": history.gone,
            "原因": "注销",
            "替补序号": str(history.reserve_visit),
            "替补对象（备选）": history.reserve,
        }
    ]
    # the reserve's visit, with its team, is among the draw's visits
    pages = 1 + (history.reserve_visit - 1) // 100
    tree = page(client.get(f"/plans/2027-Q1/draws/2?page={pages}"))
    reserve_row = by_id(tree, f"v{history.reserve_visit}")
    cells = [text(td) for td in reserve_row.findall("td")]
    assert cells[0] == str(history.reserve_visit) and cells[2] == history.reserve
    assert reserve_row.findall(".//ul[@class='team']/li")


def test_the_attempts_list_the_superseded_draw_and_why(history: History) -> None:
    client = history.console.client("auditor")
    for shown in (1, 2):
        tree = page(client.get(f"/plans/2027-Q1/draws/{shown}"))
        [attempts] = [
            t
            for t in tree.iter("table")
            if [text(th) for th in t.iter("th")][:2] == ["次数", "状态"]
        ]
        rows = table_rows(attempts)
        assert [(r["次数"], r["状态"], r["理由"]) for r in rows] == [
            ("第 2 次" + ("（本页）" if shown == 2 else ""), "已抽取", REASON),
            ("第 1 次" + ("（本页）" if shown == 1 else ""), "已作废", ""),
        ]
        other = 2 if shown == 1 else 1
        links = {a.attrib["href"] for a in attempts.iter("a")}
        assert links == {f"/plans/2027-Q1/draws/{other}"}
    # the superseded attempt's own page says so, and had no substitution
    tree = page(client.get("/plans/2027-Q1/draws/1"))
    assert "已作废" in text(tree.find(".//dl[@class='facts']"))  # type: ignore[arg-type]
    assert tree.findall(".//*[@id='substitutions']") == []
