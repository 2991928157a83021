"""The site in a real browser: navigation, search, download and verify, phone layout,
accessibility (axe-core) and validity (the Nu HTML Checker), on every page type."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dualrandom.publish.names import object_href
from dualrandom.tables import DrawRow, DrawVisitRow
from tests.browser.conftest import AXE, VNU, Site

# Chromium and the Nu HTML Checker (a JVM): with the slow tests, in CI, as the console's
# browser module (make test stays under 5 minutes).
pytestmark = pytest.mark.slow

PAGE_TYPES = {
    "index": "index.html",
    "items": "items.html",
    "plan": "plans/2027-SCJG.html",
    "predraw": "draws/2027-Q3/1/predraw.html",
    "withdrawn": "draws/2027-Q4/1/predraw.html",
    "draw": "draws/2027-Q2/1/index.html",
    "superseded": "draws/2027-Q1/1/index.html",
    "results": "draws/2027-Q2/1/results.html",
    "stats": "draws/2027-Q2/1/stats.html",
    "stats-index": "stats.html",
    "year": "years/2027.html",
    "department": "departments/SCJG.html",
    "objects": "objects/index.html",
    "object": "",  # the page of the first object drawn in 2027-Q2, see _path
}
PHONE = {"width": 375, "height": 740}


def _q2_visits(site: Site) -> list[DrawVisitRow]:
    with site.app.transaction() as session:
        draw = session.scalars(select(DrawRow).where(DrawRow.plan_id == "2027-Q2")).one()
        return list(
            session.scalars(
                select(DrawVisitRow).where(DrawVisitRow.draw_id == draw.id).order_by(DrawVisitRow.number)
            )
        )


def _path(site: Site, name: str) -> str:
    return PAGE_TYPES[name] or object_href(_q2_visits(site)[0].object_id)


def test_index_leads_to_a_draw_notice(site: Site, page: Any, screenshots: Path) -> None:
    page.goto(site.url + "index.html")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.screenshot(path=screenshots / "index.png", full_page=True)
    page.get_by_role("link", name=re.compile("第二季度.*抽查对象名单")).first.click()
    page.wait_for_url("**/draws/2027-Q2/1/index.html")
    assert "抽查对象名单" in page.locator("h1").inner_text()
    assert page.locator("tr[id^='v']").count() == len(_q2_visits(site))
    page.screenshot(path=screenshots / "draw-notice.png", full_page=True)


def test_search_finds_an_object_by_its_credit_code_and_by_name(site: Site, page: Any) -> None:
    visit = _q2_visits(site)[3]
    page.goto(site.url + "index.html")
    page.get_by_label("名称或统一社会信用代码").fill(visit.object_id)
    page.get_by_role("button", name="查询").click()
    hit = page.locator("#search-results a")
    hit.first.wait_for()
    assert hit.count() == 1 and visit.object_id in hit.inner_text()
    name = hit.inner_text().rsplit("（", 1)[0]
    hit.click()
    page.wait_for_url(f"**/{visit.object_id}.html")
    assert page.locator("h1").inner_text() == name
    assert visit.object_id in page.locator("dl.facts").inner_text()
    page.goto(site.url + "index.html")
    page.get_by_label("名称或统一社会信用代码").fill("没有这样的对象")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("status").filter(has_text="未找到").wait_for()


def test_the_bundle_downloads_and_its_verify_py_says_match(
    site: Site, page: Any, tmp_path: Path
) -> None:
    page.goto(site.url + "draws/2027-Q2/1/index.html")
    with page.expect_download() as info:
        page.locator("a[href$='public-bundle.zip']").click()
    archive = tmp_path / info.value.suggested_filename
    info.value.save_as(archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path)
    # As the notice's steps say: the registry snapshot, published once for every
    # draw of its version, downloaded into the unzipped folder as it is named.
    with page.expect_download() as info:
        page.locator("a[href*='snapshots/']").first.click()
    info.value.save_as(tmp_path / "2027-Q2-1-public" / info.value.suggested_filename)
    run = subprocess.run(
        [sys.executable, "verify.py"],
        cwd=tmp_path / "2027-Q2-1-public",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().splitlines()[-1].startswith("MATCH")


def test_every_page_type_fits_a_phone_screen(site: Site, browser: Any, screenshots: Path) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, device_scale_factor=2)
    phone = context.new_page()
    try:
        for name in PAGE_TYPES:
            phone.goto(site.url + _path(site, name))
            width = phone.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1], (
                f"{name}: content {width[0]}px wide on a {width[1]}px screen"
            )
        phone.goto(site.url + PAGE_TYPES["draw"])
        phone.screenshot(path=screenshots / "draw-notice-phone.png")
    finally:
        context.close()


def test_without_javascript_the_plain_lists_remain(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(site.url + "index.html")
        assert not tab.locator("#search").is_visible()
        tab.get_by_role("link", name="检查对象名录").first.click()
        tab.wait_for_url("**/objects/index.html")
        assert tab.locator("tbody tr").count() > 0
    finally:
        context.close()


@pytest.fixture(scope="module")
def axe_page(browser: Any) -> Iterator[Any]:
    """A tab that may inject axe-core: the preview server's policy forbids foreign scripts."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_axe_finds_no_serious_or_critical_violation(site: Site, axe_page: Any, name: str) -> None:
    axe_page.goto(site.url + _path(site, name))
    axe_page.add_script_tag(path=str(AXE))
    result = axe_page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["name"] == "axe-core" and result["passes"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, "\n".join(serious)


def test_the_nu_html_checker_finds_no_error_on_any_page_type(site: Site) -> None:
    files = [str(site.path / _path(site, name)) for name in PAGE_TYPES]
    files += [str(site.path / "draws/2027-Q1/2/index.html"), str(site.path / "static" / "site.css")]
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--also-check-css", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(run.stderr)["messages"]
    assert not [m for m in messages if m["type"] == "non-document-error"], messages
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error"
    ]
    assert not errors and run.returncode == 0, "\n".join(errors)
