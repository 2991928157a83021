"""校验 (/audit/verify) runs the checks of ``dualrandom audit verify``, by the same
function: not only the hash chain but the site's checkpoints, the stored draws
against their results and every registry version against its digest."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from dualrandom import audit
from dualrandom.tables import ConflictRow, DrawRow, DrawVisitRow
from tests.conftest import BACKENDS
from tests.console.conftest import Console, build_console
from tests.publish.scenario import database_url

INTACT = "完整：记录与其承诺、检查点一致"
FAILED = "核验未通过"


@pytest.fixture(params=BACKENDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """A console of its own: these tests break its record."""
    folder = tmp_path_factory.mktemp("console-verify")
    with database_url(request.param, folder) as url:
        built = build_console(folder, url)
        yield built
        built.close()


def _verify(console: Console, query: str = "") -> str:
    response = console.client("auditor").get("/audit/verify" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_intact_record_is_checked_in_full(fresh: Console) -> None:
    page = _verify(fresh)
    assert INTACT in page and FAILED not in page
    assert "<dt>抽取</dt><dd>1 次</dd>" in page  # 2027-Q1 drawn; 2027-Q3 only prepared
    # departments, objects, inspectors, conflicts and the conflicts' second version
    assert "<dt>名录库版本</dt><dd>5 个" in page
    skipped = _verify(fresh, "?registries=0")
    assert INTACT in skipped and "<dt>名录库版本</dt><dd>未核验" in skipped


def test_an_edited_visit_row_fails_the_check_though_the_chain_is_intact(fresh: Console) -> None:
    """No log entry is touched: a page that checked only the hash chain said 完整."""
    with fresh.app.transaction() as session:
        draw_id = session.scalar(select(DrawRow.id).where(DrawRow.plan_id == "2027-Q1"))
        session.execute(
            update(DrawVisitRow)
            .where(DrawVisitRow.draw_id == draw_id, DrawVisitRow.number == 2)
            .values(departments="CZ")
        )
    with fresh.app.transaction() as session:
        assert audit.verify(session).first_bad_seq is None  # the chain alone is intact
    page = _verify(fresh)
    assert FAILED in page and INTACT not in page
    assert "draw_visits 2027-Q1#1 visit 2" in page
    assert page.index(FAILED) < page.index("The audit check failed")


def test_an_edited_registry_version_fails_unless_registries_are_skipped(fresh: Console) -> None:
    """A row of the conflicts' first version, which no draw used: only the
    registry check (the CLI's default, skipped by --skip-registries) sees it."""
    with fresh.app.transaction() as session:
        changed = session.execute(
            update(ConflictRow).where(ConflictRow.version_to.is_not(None)).values(relation="同学")
        )
        assert changed.rowcount >= 1  # type: ignore[attr-defined]
    page = _verify(fresh)
    assert FAILED in page and "registry_versions conflicts v1" in page
    assert INTACT in _verify(fresh, "?registries=0")


def test_the_sites_checkpoints_are_compared_and_a_bad_one_is_named(fresh: Console) -> None:
    folder = fresh.app.settings.site_dir / audit.CHECKPOINTS_DIR
    folder.mkdir(parents=True)
    with fresh.app.transaction() as session:
        current = audit.current_checkpoint(session)
        assert current is not None
        (folder / f"{current.size}.json").write_bytes(current.to_bytes())
    page = _verify(fresh)
    assert INTACT in page and "<dt>检查点</dt><dd>1 个</dd>" in page
    (folder / "99999.json").write_text(json.dumps({"size": "many"}), encoding="utf-8")
    page = _verify(fresh)
    assert FAILED in page and "不是可读的审计日志检查点" in page and "99999.json" in page
