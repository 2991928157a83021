"""Publishing again writes only what changed: the live site's files are kept as they are.

A file kept is the very file the live site had (same inode, same mtime), so
"nothing was written" is checked on the file system itself, not on a counter.
"""

from __future__ import annotations

import dataclasses
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.lifecycle.codes import FOLLOW_UPS
from dualrandom.publish import publish_site
from dualrandom.publish.names import object_href
from dualrandom.publish.write import _swap, human_size
from dualrandom.rules.store import load_plan, save_plans
from dualrandom.tables import AuditEntryRow, DrawRow, DrawVisitRow, InspectionTaskRow
from tests.conftest import BACKENDS
from tests.publish.html import files, rel
from tests.publish.scenario import (
    ADDRESSED,
    PUBLISHED_AT,
    build_scenario,
    database_url,
    make_app,
    publish,
)

# Each test publishes a site twice or more: with the slow tests, in CI (make test stays under 5 minutes).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A scenario database of this module's own: the tests here add to it."""
    folder = tmp_path_factory.mktemp(f"incremental-{request.param}")
    with database_url(request.param, folder) as url:
        app = make_app(url, folder)
        build_scenario(app, folder)
        yield app
        app.close()


def _identity(site: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: a file written anew changes both."""
    found = {}
    for path in files(site):
        stat = path.stat()
        found[rel(site, path)] = (stat.st_ino, stat.st_mtime_ns)
    return found


def _publications(app: App) -> int:
    with app.transaction() as session:
        query = select(func.count()).where(AuditEntryRow.action == "publish.site")
        return session.scalars(query).one()


def _report(app: App, site: Path, **options: object) -> int:
    """Publish as :func:`publish` does; the number of files written."""
    with app.transaction() as session:
        report = publish_site(
            session,
            site,
            timezone=app.settings.timezone,
            now=PUBLISHED_AT,
            site=ADDRESSED,
            actor="tester",
            **options,  # type: ignore[arg-type]
        )
    return report.written


def test_publishing_again_with_nothing_changed_writes_nothing(app: App, tmp_path: Path) -> None:
    site = publish(app, tmp_path / "site")
    before, folder = _identity(site), site.stat().st_ino
    assert len(before) > 50
    publications = _publications(app)
    assert _report(app, site) == 0
    assert _identity(site) == before  # not one file written, replaced or removed
    assert site.stat().st_ino == folder  # the live folder itself stayed: nothing was swapped
    assert _publications(app) == publications + 1  # the publication is recorded all the same
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]
    assert [n for n in leftovers if not n.endswith((".lock", ".verified"))] == []


def test_a_full_publication_writes_every_file_again(app: App, tmp_path: Path) -> None:
    site = publish(app, tmp_path / "site")
    before = _identity(site)
    assert _report(app, site, full=True) == len(before)
    after = _identity(site)
    assert sorted(after) == sorted(before)
    assert all(after[path][0] != before[path][0] for path in before)


def test_keys_that_do_not_belong_to_the_live_site_are_not_used(app: App, tmp_path: Path) -> None:
    site = publish(app, tmp_path / "site")
    before = _identity(site)
    marker = site / _swap.MARKER
    lines = marker.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(lines[1][-9:-1], "00000000")  # names another SHA256SUMS
    marker.write_text("".join(lines), encoding="utf-8")
    written = _report(app, site)
    after = _identity(site)
    # Nothing is taken from the live site: every file is written anew, as by --full.
    assert written == len(before) and sorted(after) == sorted(before)
    assert all(after[path][0] != before[path][0] for path in before)
    assert _report(app, site) == 0  # and the new site's own keys are used again
    lines = marker.read_text(encoding="utf-8").splitlines(keepends=True)
    marker.write_text("".join([*lines[:2], "not a line of keys\n", *lines[2:]]), encoding="utf-8")
    assert _report(app, site) == len(before)  # a marker it cannot read: everything anew


def _add_plan(app: App) -> None:
    """A new plan: one new plan notice, nothing else about the draws changes."""
    with app.transaction() as session:
        plan = load_plan(session, "2027-Q3")
        new = dataclasses.replace(
            plan,
            id="2028-Q1",
            title="2028年第一季度双随机抽查",
            year=2028,
            batch="Q1",
            window_start=date(2028, 1, 3),
            window_end=date(2028, 3, 31),
        )
        save_plans(session, [new], "2028.toml", actor="tester")


def test_adding_a_notice_rewrites_only_the_files_it_touches(app: App, tmp_path: Path) -> None:
    site = publish(app, tmp_path / "site")
    before = _identity(site)
    _add_plan(app)
    written = _report(app, site)
    after = _identity(site)
    changed = sorted(p for p in after if p in before and after[p] != before[p])
    added = sorted(p for p in after if p not in before)
    size = json.loads((site / "audit/checkpoint.json").read_bytes())["size"]
    # The plan notice (2027-Q3's, copied: SCJG with AJ, HB and ZJ), its downloads and
    # its new year; the pages that list notices; the checkpoint the log now has.
    assert added == [
        f"audit/checkpoints/{size}.json",
        "plans/2028-SCJG.csv",
        "plans/2028-SCJG.html",
        "plans/2028-SCJG.json",
        "years/2028.html",
    ]
    assert changed == [
        "SHA256SUMS",
        "audit/checkpoint.json",
        "departments/AJ.html",
        "departments/HB.html",
        "departments/SCJG.html",
        "departments/ZJ.html",
        "feed.xml",
        "index.html",
        "sitemap.xml",
    ]
    assert written == len(added) + len(changed)
    _same_as_a_fresh_build(app, site, tmp_path / "fresh")


def _same_as_a_fresh_build(app: App, site: Path, folder: Path) -> None:
    """What was kept is what a build from scratch makes, but for the checkpoint the
    pages and bundles were first published with."""
    fresh = publish(app, folder)
    assert [rel(fresh, p) for p in files(fresh)] == [rel(site, p) for p in files(site)]
    for path in files(fresh):
        mine = site / rel(fresh, path)
        if path.suffix == ".html":
            assert _without_checkpoint(mine) == _without_checkpoint(path), rel(fresh, path)
        elif path.suffix == ".zip":
            assert _without_anchor(mine) == _without_anchor(path), rel(fresh, path)
        elif not rel(fresh, path).startswith("audit/") and path.name != "SHA256SUMS":
            assert mine.read_bytes() == path.read_bytes(), rel(fresh, path)


ZIP_LINK = re.compile(r'(href="([^"]+\.zip)" download>[^<]*</a>：[^<]*，)([^<，]*)(</li>)')


def _without_checkpoint(page: Path) -> str:
    """The page but for the checkpoint and the size of a bundle zip: a kept zip
    carries the checkpoint it was first published with, which can change its
    size by a few bytes. The size shown must be that of the zip beside it."""
    text = page.read_text(encoding="utf-8")
    start = text.index('<p class="checkpoint">')
    text = text[:start] + text[text.index("</p>", start) :]
    for match in ZIP_LINK.finditer(text):
        size = (page.parent / match.group(2)).stat().st_size
        assert match.group(3) == human_size(size), (page, match.group(3), size)
    return ZIP_LINK.sub(r"\1…\4", text)


def _without_anchor(bundle: Path) -> dict[str, bytes]:
    """A bundle's files but those that anchor it in the log (and the manifest naming them)."""
    with zipfile.ZipFile(bundle) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.rsplit("/", 1)[-1]
            not in ("checkpoint.json", "inclusion.json", "MANIFEST.sha256")
        }


def test_the_command_says_how_many_files_it_wrote_and_full_writes_them_all(
    app: App, tmp_path: Path
) -> None:
    config, site = app.settings.root / "config.toml", tmp_path / "cli-site"

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(
            cli, ["--config", str(config), "publish", "--out", str(site), *args]
        )
        assert result.exit_code == 0, result.output
        return result.output

    first = invoke()
    count = len(files(site))  # SHA256SUMS with them; the marker is not counted
    assert f"{count} files written" in first and f"其中 {count} 个文件为本次写入" in first
    assert "\n0 files written" in invoke()
    assert f"{count} files written" in invoke("--full")


def test_a_result_published_rewrites_its_draws_notices_and_its_objects_page(
    app: App, tmp_path: Path
) -> None:
    site = publish(app, tmp_path / "site")
    before = _identity(site)
    with app.transaction() as session:
        draw = session.scalars(
            select(DrawRow).where(DrawRow.plan_id == "2027-Q2", DrawRow.state == "drawn")
        ).one()
        task = session.scalars(
            select(InspectionTaskRow)
            .where(InspectionTaskRow.draw_id == draw.id, InspectionTaskRow.state == "drawn")
            .order_by(InspectionTaskRow.visit)
        ).first()
        assert task is not None
        task.state, task.result_code, task.follow_up = "published", "未发现问题", FOLLOW_UPS[0]
        task.checked_on = date(2027, 5, 2)
        object_id = session.scalars(
            select(DrawVisitRow.object_id).where(
                DrawVisitRow.draw_id == draw.id, DrawVisitRow.number == task.visit
            )
        ).one()
    _report(app, site)
    after = _identity(site)
    changed = {p for p in after if p in before and after[p] != before[p]}
    assert "draws/2027-Q2/1/results.html" in changed and "draws/2027-Q2/1/stats.html" in changed
    assert object_href(object_id) in changed
    assert not any(p.startswith("draws/2027-Q1/") for p in changed)  # the other draws stay
    assert len(changed) < len(before) // 4
    _same_as_a_fresh_build(app, site, tmp_path / "fresh")
