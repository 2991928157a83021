"""The published site, read as a browser reads it: structure, links, notices, downloads."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from dualrandom import audit
from dualrandom.draws import draw_files, export_bundle, verify_bundle
from dualrandom.publish import publish_site
from dualrandom.publish.names import object_href
from dualrandom.publish.write import MAX_PAGE_BYTES
from dualrandom.tables import AuditEntryRow, DrawRow, DrawVisitRow, InspectionTaskRow
from tests.publish.conftest import Published
from tests.publish.html import TEXT_SUFFIXES, files, links, pages, parse, rel, resolve, rows, text
from tests.publish.scenario import (
    BASE_URL,
    INTERNAL_NOTE,
    PUBLISHED_AT,
    RESULTS,
    SUPERSEDE_REASON,
    WITHDRAW_REASON,
    publish,
)

PAGE_TYPES = {
    "index": "index.html",
    "items": "items.html",
    "plan": "plans/2027-SCJG.html",
    "predraw": "draws/2027-Q3/1/predraw.html",
    "draw": "draws/2027-Q2/1/index.html",
    "superseded": "draws/2027-Q1/1/index.html",
    "results": "draws/2027-Q2/1/results.html",
    "stats": "draws/2027-Q2/1/stats.html",
    "stats index": "stats.html",
    "year": "years/2027.html",
    "department": "departments/SCJG.html",
    "objects": "objects/index.html",
}


def _draw(published: Published, plan: str, attempt: int) -> DrawRow:
    with published.app.transaction() as session:
        return session.scalars(
            select(DrawRow).where(DrawRow.plan_id == plan, DrawRow.attempt == attempt)
        ).one()


def _visits(published: Published, plan: str, attempt: int) -> list[DrawVisitRow]:
    draw = _draw(published, plan, attempt)
    with published.app.transaction() as session:
        query = select(DrawVisitRow).where(DrawVisitRow.draw_id == draw.id).order_by(DrawVisitRow.number)
        return list(session.scalars(query))


def _facts(tree: ET.Element) -> dict[str, str]:
    """Every <dt>/<dd> pair of a page."""
    found: dict[str, str] = {}
    for dl in tree.iter("dl"):
        items = list(dl)
        for dt, dd in zip(items[::2], items[1::2], strict=True):
            found[text(dt)] = text(dd)
    return found


def test_every_page_type_exists(published: Published) -> None:
    for name, path in PAGE_TYPES.items():
        assert (published.site / path).is_file(), name


def test_every_page_is_chinese_html_with_one_title(published: Published) -> None:
    for page in pages(published.site):
        tree = parse(page)
        assert tree.attrib.get("lang") == "zh-CN", page
        assert tree.find(".//meta[@charset='utf-8']") is not None, page
        assert len(list(tree.iter("h1"))) == 1, page
        assert text(tree.find(".//title")).endswith("信息公示"), page  # type: ignore[arg-type]
        assert page.stat().st_size <= MAX_PAGE_BYTES, page


def test_every_internal_link_and_anchor_resolves(published: Published) -> None:
    ids: dict[Path, set[str]] = {}
    for page in pages(published.site):
        for attribute, url in links(parse(page)):
            target = resolve(published.site, page, url)
            assert target is not None, f"{rel(published.site, page)}: external {attribute} {url}"
            path, fragment = target
            assert path.is_file(), f"{rel(published.site, page)}: broken link {url}"
            if fragment:
                if path not in ids:
                    ids[path] = {e.attrib["id"] for e in parse(path).iter() if "id" in e.attrib}
                assert fragment in ids[path], (
                    f"{rel(published.site, page)}: no #{fragment} in {url}"
                )


EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


def test_no_file_loads_anything_from_elsewhere(published: Published) -> None:
    """No fonts, scripts, styles, images or links to other hosts: intranets have no internet.

    The feed and the sitemap link the site's own public address, which is not elsewhere."""
    for path in files(published.site):
        if path.suffix in TEXT_SUFFIXES:
            own = path.read_text(encoding="utf-8-sig").replace(f'"{BASE_URL}', '"')
            own = own.replace(f">{BASE_URL}", ">")
            assert not EXTERNAL.search(own), rel(published.site, path)
    for page in pages(published.site):
        tree = parse(page)
        scripts = [s.attrib.get("src", "") for s in tree.iter("script")]
        assert all(s.endswith("static/search.js") for s in scripts), page
        assert not list(tree.iter("iframe")) and not list(tree.iter("img")), page


def chinese_date(value: str) -> date:
    """``2026年12月7日`` as a date: compared as text, 12月25日 would sort before 12月7日."""
    match = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value)
    assert match, value
    return date(*(int(part) for part in match.groups()))


def test_index_lists_notices_newest_first_by_year_and_department(published: Published) -> None:
    tree = parse(published.site / "index.html")
    latest = rows(tree, "最新公告")
    dates = [chinese_date(r["日期"]) for r in latest]
    assert dates == sorted(dates, reverse=True)
    titles = " ".join(r["公告"] for r in latest)
    for kind in (
        "抽取前公告",
        "抽查对象名单",
        "抽查结果公示",
        "抽查情况统计",
        "工作计划",
        "事项清单",
    ):
        assert kind in titles
    assert "〔已作废〕" in titles and "〔已撤回〕" in titles
    hrefs = {a.attrib["href"] for a in tree.iter("a")}
    assert {"years/2027.html", "departments/SCJG.html", "departments/SYJ.html"} <= hrefs


def test_draw_notice_lists_every_drawn_object_with_its_fields(published: Published) -> None:
    visits = _visits(published, "2027-Q2", 1)
    tree = parse(published.site / PAGE_TYPES["draw"])
    listed = rows(tree, "抽查对象名单")
    assert [int(r["序号"]) for r in listed] == [v.number for v in visits]
    assert [r["统一社会信用代码"] for r in listed] == [v.object_id for v in visits]
    for row, visit in zip(listed, visits, strict=True):
        assert row["抽查事项"] == "、".join(visit.items.split(";"))
        assert row["检查类型"] == "不定向" and row["检查期限"] == "2027-04-01 至 2027-06-30"
        assert row["检查实施机关"].startswith("盘锦市")
    for a in tree.iter("a"):
        if "/objects/" in a.attrib["href"]:
            target = resolve(published.site, published.site / PAGE_TYPES["draw"], a.attrib["href"])
            assert target is not None
            assert text(parse(target[0]).find(".//h1")) == text(a)  # type: ignore[arg-type]


def test_draw_notice_carries_the_seed_entropy_algorithm_and_how_to_verify(
    published: Published,
) -> None:
    draw = _draw(published, "2027-Q2", 1)
    tree = parse(published.site / PAGE_TYPES["draw"])
    facts = _facts(tree)
    beacon = json.loads(draw.commitment)["beacon"]
    assert (facts["算法"], facts["随机种子"], facts["见证人掷骰"]) == (
        "DR-2",
        draw.seed,
        "无",  # 2027-Q2 takes no dice
    )
    assert facts["承诺值"] == draw.commitment_hash and "操作员密钥" not in facts
    assert f"第 {beacon['round']} 轮" in facts["公共随机信标"]
    assert "演示链" in facts["公共随机信标"]  # the tests pin the demo chain: the notice says so
    headings = [text(h) for h in tree.iter("h3")]
    assert "不会编程也能核验" in headings and "程序员核验" in headings
    downloads = [a.attrib["href"] for a in tree.iter("a") if "download" in a.attrib]
    # the registry snapshot, in the steps (it is shared, not this draw's attachment)
    snapshot = json.loads(draw.commitment)["digests"]["objects_public"]
    assert downloads[0].endswith(f"/snapshots/{snapshot}.tsv.gz")
    assert [Path(d).suffix for d in downloads[1:]] == [".csv", ".json", ".zip"]


def test_superseded_draw_stays_online_marked_and_linked_to_its_replacement(
    published: Published,
) -> None:
    old = parse(published.site / "draws/2027-Q1/1/index.html")
    banner = next(e for e in old.iter("div") if e.attrib.get("role") == "note")
    assert "本次抽取已作废" in text(banner) and SUPERSEDE_REASON in text(banner)
    assert [a.attrib["href"] for a in banner.iter("a")] == ["../../../draws/2027-Q1/2/index.html"]
    assert {r["状态"] for r in rows(old, "抽查对象名单")} == {"本次抽取已作废"}
    new = parse(published.site / "draws/2027-Q1/2/index.html")
    back = next(e for e in new.iter("div") if e.attrib.get("role") == "note")
    assert "第2次抽取" in text(back) and SUPERSEDE_REASON in text(back)
    assert [a.attrib["href"] for a in back.iter("a")] == ["../../../draws/2027-Q1/1/index.html"]


def test_predraw_notice_publishes_the_commitment_without_risk_strata(published: Published) -> None:
    draw = _draw(published, "2027-Q3", 1)
    commitment = json.loads(draw.commitment)
    tree = parse(published.site / PAGE_TYPES["predraw"])
    facts = _facts(tree)
    assert facts["承诺值（commitment.json 的 SHA-256）"] == draw.commitment_hash
    assert "操作员密钥的承诺" not in facts  # DR-2 has no operator secret
    assert facts["锁定的信标轮次"].startswith(f"第 {commitment['beacon']['round']} 轮")
    assert "演示链" in facts["公共随机信标"] and "不能用于真实抽查" in facts["公共随机信标"]
    assert facts["见证人掷骰"].startswith("是")
    assert "现场掷骰" in facts["公共随机数来源"] and facts["状态"] == "已承诺，待抽取"
    digests = {r["摘要值"] for r in rows(tree, "摘要值")}
    inputs = ("plan", "objects", "inspectors", "conflicts", "history")
    assert {commitment["digests"][k] for k in inputs} <= digests <= set(commitment["digests"].values())
    quotas = rows(tree, "各事项")
    assert {r["分层"] for r in quotas} == {"按信用风险分类分层（4 层）合计"}
    for item in commitment["plan"]["items"]:
        mine = [q for q in commitment["quotas"] if q["item"] == item]
        row = next(r for r in quotas if r["事项"].startswith(item + " "))
        assert int(row["检查对象数"].replace(",", "")) == sum(q["pool_size"] for q in mine)
        assert int(row["抽取数"].replace(",", "")) == sum(q["k"] for q in mine)


def test_withdrawn_commitment_is_marked_and_linked(published: Published) -> None:
    tree = parse(published.site / "draws/2027-Q4/1/predraw.html")
    banner = next(e for e in tree.iter("div") if e.attrib.get("role") == "note")
    assert "已撤回" in text(banner) and WITHDRAW_REASON in text(banner)
    assert [a.attrib["href"] for a in banner.iter("a")] == ["../../../draws/2027-Q4/2/predraw.html"]


def test_result_notice_shows_reviewed_results_with_standard_codes(published: Published) -> None:
    tree = parse(published.site / PAGE_TYPES["results"])
    shown = rows(tree, "检查结果")
    assert [(r["结果"], r["处置"]) for r in shown] == [(res, fu) for res, fu, _ in RESULTS]
    assert [r["日期"] for r in shown] == [f"2027-04-{10 + i}" for i in range(len(RESULTS))]
    assert all(r["类型"] == "不定向" and r["检查实施机关"] for r in shown)
    page = (published.site / PAGE_TYPES["results"]).read_text(encoding="utf-8")
    assert (
        "注销" not in {r["结果"] for r in shown} and INTERNAL_NOTE not in page
    )  # entered, not reviewed
    statuses = [r["状态"] for r in rows(parse(published.site / PAGE_TYPES["draw"]), "抽查对象名单")]
    assert statuses.count("结果已公示") == len(RESULTS) and "结果审核中" in statuses
    assert "已取消：经营者已迁出本市，依规定取消本次检查" in statuses


def test_publishing_marks_reviewed_results_published_in_the_audit_log(published: Published) -> None:
    draw = _draw(published, "2027-Q2", 1)
    with published.app.transaction() as session:
        states = session.execute(
            select(InspectionTaskRow.state, func.count())
            .where(InspectionTaskRow.draw_id == draw.id)
            .group_by(InspectionTaskRow.state)
        ).all()
        moves = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "task.state")).all()
        assert audit.verify(session).ok
    assert dict(states)["published"] == len(RESULTS) and "reviewed" not in dict(states)
    assert {json.loads(m.payload)["notice"] for m in moves} == {"draws/2027-Q2/1/results.html"}


def test_statistics_have_tables_and_server_side_svg_charts(published: Published) -> None:
    tree = parse(published.site / PAGE_TYPES["stats"])
    svg = "{http://www.w3.org/2000/svg}"  # the HTML parser puts inline SVG in its namespace
    charts = list(tree.iter(f"{svg}svg"))
    assert len(charts) == 2 and all(c.attrib["role"] == "img" for c in charts)
    assert all(
        c.find(f"{svg}title") is not None and c.find(f"{svg}desc") is not None for c in charts
    )
    assert all(len(c.findall(f"{svg}rect")) >= 1 for c in charts)
    results = {r["检查结果"]: int(r["户数"]) for r in rows(tree, "已公示的检查结果")}
    assert results == {
        "未发现问题": 2,
        "发现问题待后续处理": 1,
        "未按规定公示应当公示的信息": 1,
        "通过登记的住所(经营场所)无法联系": 1,
    }
    progress = {r["进度"]: int(r["户数"]) for r in rows(tree, "抽查对象的检查进度")}
    assert progress["结果已公示"] == len(RESULTS) and progress["已取消"] == 1
    assert sum(progress.values()) == len(_visits(published, "2027-Q2", 1))


def test_downloads_open_in_excel_and_in_programs(published: Published) -> None:
    visits = _visits(published, "2027-Q2", 1)
    raw = (published.site / "draws/2027-Q2/1/objects.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["代码"] for r in table] == [v.object_id for v in visits]
    assert [r["签号"] for r in table] == [v.ticket for v in visits]
    document = json.loads(
        (published.site / "draws/2027-Q2/1/objects.json").read_text(encoding="utf-8")
    )
    assert [o["id"] for o in document["objects"]] == [v.object_id for v in visits]
    assert document["draw"]["seed"] == _draw(published, "2027-Q2", 1).seed
    for path in files(published.site):
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        if path.suffix == ".csv":
            assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path


def test_bundle_zip_holds_the_dr2_public_tier_and_nothing_of_the_auditors(
    published: Published,
) -> None:
    """The zip beside a DR-2 notice is the public bundle of docs/BUNDLE.md Part II:
    the stored commitment, round and public files byte for byte, and no file of the
    auditor tier (salt key, internal snapshot, inspectors, teams)."""
    draw = _draw(published, "2027-Q1", 2)
    archive = zipfile.ZipFile(published.site / "draws/2027-Q1/2/2027-Q1-2-public-bundle.zip")
    names = {n.split("/", 1)[1] for n in archive.namelist()}
    assert names == {
        "README.txt",
        "verify.py",
        "MANIFEST.sha256",
        "bundle.json",
        "commitment.json",
        "plan.json",
        "beacon-round.json",
        "dice.txt",
        "quotas.tsv",
        "selection.tsv",
        "reserve-public.tsv",
        "exclusions-public.tsv",
        "bounds.tsv",
        "substitutions.tsv",
        "checkpoint.json",
        "inclusion.json",
    }  # the strata are risk classes: outside.tsv is not public (SPEC §21.6); the
    # registry snapshot is published once beside the draws (snapshots/), not in the zip
    with published.app.transaction() as session:
        stored = draw_files(session, draw.id)
    for name in (
        "commitment.json",
        "beacon-round.json",
        "selection.tsv",
        "reserve-public.tsv",
        "exclusions-public.tsv",
        "bounds.tsv",
    ):
        assert archive.read(f"2027-Q1-2-public/{name}") == stored[name], name
    assert "risk-salt-key.hex" in stored


def test_bundle_zip_is_the_public_bundle_and_its_verify_py_says_match(
    published: Published, tmp_path: Path
) -> None:
    draw = _draw(published, "2027-Q1", 2)
    archive = zipfile.ZipFile(published.site / "draws/2027-Q1/2/2027-Q1-2-public-bundle.zip")
    names = archive.namelist()
    assert names == sorted(names) and all(n.startswith("2027-Q1-2-public/") for n in names)
    drawn = draw.drawn_at if draw.drawn_at.tzinfo else draw.drawn_at.replace(tzinfo=UTC)  # type: ignore[union-attr]
    local = drawn.astimezone(published.app.settings.timezone)
    assert {i.date_time for i in archive.infolist()} == {local.timetuple()[:6]}
    with published.app.transaction() as session:
        fresh = export_bundle(session, "2027-Q1", tmp_path / "fresh", tier="public", attempt=2).path
    for name in names:
        assert archive.read(name) == (fresh / name.split("/", 1)[1]).read_bytes(), name
    archive.extractall(tmp_path)
    folder = tmp_path / "2027-Q1-2-public"
    digest = json.loads(draw_files_of(published, draw)["commitment.json"])["digests"][
        "objects_public"
    ]
    snapshot = published.site / "snapshots" / f"{digest}.tsv.gz"
    assert snapshot.is_file()
    bare = _verify_py(folder)
    assert bare.returncode == 1 and f"snapshots/{digest}.tsv.gz" in bare.stdout, bare.stdout
    assert bare.stdout.rstrip().splitlines()[-1] == "MISMATCH: snapshot"
    run = _verify_py(folder, "--snapshot", str(snapshot))
    verdict = run.stdout.rstrip().splitlines()[-1]
    assert run.returncode == 0 and verdict.startswith("MATCH"), run.stdout + run.stderr
    assert verify_bundle(folder, published.site).verdict == verdict  # the site's root works too
    (folder / snapshot.name).write_bytes(snapshot.read_bytes())  # as the notice's steps say
    assert _verify_py(folder).stdout.rstrip().splitlines()[-1] == verdict
    (folder / snapshot.name).unlink()
    wrong = tmp_path / "wrong.tsv.gz"
    data = gzip.decompress(snapshot.read_bytes())
    at = data.index(b"\n") + 3
    wrong.write_bytes(gzip.compress(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
    finding = (
        f"MISMATCH [snapshot] {wrong}: not the snapshot the commitment names "
        f"(objects_public {digest})"
    )
    refused = _verify_py(folder, "--snapshot", str(wrong))
    assert refused.returncode == 1 and finding in refused.stdout.splitlines(), refused.stdout
    ours = verify_bundle(folder, wrong)
    assert ours.mismatches == ("snapshot",) and f"[snapshot] {finding[20:]}" == ours.failure


def draw_files_of(published: Published, draw: DrawRow) -> dict[str, bytes]:
    with published.app.transaction() as session:
        return draw_files(session, draw.id)


def _verify_py(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_one_snapshot_per_registry_version_for_every_dr2_draw(published: Published) -> None:
    """Every DR-2 notice's zip refers to its registry snapshot, which the site holds
    once under the digest its commitment pins, however many draws use it."""
    with published.app.transaction() as session:
        rows = session.scalars(select(DrawRow).where(DrawRow.algorithm == "DR-2")).all()
        digests = {
            (row.plan_id, row.attempt): json.loads(draw_files(session, row.id)["commitment.json"])[
                "digests"
            ]["objects_public"]
            for row in rows
            if row.state in ("drawn", "superseded")
        }
    zips = {key for key in digests if (published.site / _zip(*key)).is_file()}
    assert zips == set(digests) and len(zips) >= 2
    assert len(set(digests.values())) < len(digests)  # two draws on one registry version
    held = sorted(p.name for p in (published.site / "snapshots").iterdir())
    assert held == sorted(f"{d}.tsv.gz" for d in set(digests.values()))
    for plan, attempt in zips:
        with zipfile.ZipFile(published.site / _zip(plan, attempt)) as archive:
            assert not [n for n in archive.namelist() if "objects-public" in n]
            meta = json.loads(archive.read(f"{plan}-{attempt}-public/bundle.json"))
        assert meta["snapshot"]["published"] == f"snapshots/{digests[plan, attempt]}.tsv.gz"


def _zip(plan: str, attempt: int) -> str:
    return f"draws/{plan}/{attempt}/{plan}-{attempt}-public-bundle.zip"


def test_feed_is_atom_with_stable_ids_and_the_sitemap_lists_every_page(
    published: Published,
) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(published.site / "feed.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert entries and len({e.findtext(f"{atom}id") for e in entries}) == len(entries)
    updated = [e.findtext(f"{atom}updated") or "" for e in entries]
    assert (
        updated == sorted(updated, reverse=True) and feed.findtext(f"{atom}updated") == updated[0]
    )
    assert feed.attrib["{http://www.w3.org/XML/1998/namespace}base"] == BASE_URL
    own = [link.attrib["href"] for link in feed.findall(f"{atom}link") if link.get("rel") == "self"]
    assert own == [f"{BASE_URL}feed.xml"]
    for entry in entries:
        assert (entry.findtext(f"{atom}id") or "").startswith("urn:uuid:")
        link = entry.find(f"{atom}link")
        assert link is not None and link.attrib["href"].startswith(BASE_URL)
        assert (published.site / link.attrib["href"].removeprefix(BASE_URL)).is_file()
    sitemap = ET.parse(published.site / "sitemap.xml").getroot()
    locs = [u.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc") for u in sitemap]
    assert locs == [BASE_URL + rel(published.site, p) for p in pages(published.site)]


def test_without_the_sites_address_no_sitemap_and_the_feed_links_resolve_from_itself(
    published: Published,
) -> None:
    out = published.folder / "no-address"
    with published.app.transaction() as session:
        report = publish_site(
            session, out, timezone=published.app.settings.timezone, now=PUBLISHED_AT, actor="tester"
        )
    assert not (out / "sitemap.xml").exists()
    assert "sitemap.xml" not in (out / "SHA256SUMS").read_text(encoding="utf-8")
    [(chinese, english)] = report.warnings
    assert chinese.startswith("未设置网站的公开地址") and "sitemap.xml" in chinese
    assert "sitemap.xml is left out" in english
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(out / "feed.xml").getroot()
    assert "{http://www.w3.org/XML/1998/namespace}base" not in feed.attrib
    assert all(link.get("rel") != "self" for link in feed.findall(f"{atom}link"))
    hrefs = [link.attrib["href"] for link in feed.iter(f"{atom}link")]
    assert hrefs and all(urlsplit(h).scheme == "" for h in hrefs)
    feed_url = "https://any.example/some/where/feed.xml"  # wherever the site is served
    for href in hrefs:
        resolved = urljoin(feed_url, href).removeprefix("https://any.example/some/where/")
        assert (out / resolved).is_file(), href


def test_every_drawn_object_has_its_page_and_is_in_the_search_index(published: Published) -> None:
    with published.app.transaction() as session:
        ids = set(session.scalars(select(DrawVisitRow.object_id)))
    index = json.loads((published.site / "search/index.json").read_text(encoding="utf-8"))
    entries = [
        e
        for s in index["shards"]
        for e in json.loads((published.site / "search" / s["file"]).read_text(encoding="utf-8"))
    ]
    assert [e[0] for e in entries] == sorted(ids, key=lambda i: i.encode("utf-8"))
    assert index["objects"] == len(ids)
    for object_id, name, href in entries:
        assert href == object_href(object_id)
        tree = parse(published.site / href)
        assert text(tree.find(".//h1")) == name  # type: ignore[arg-type]
        assert object_id in {text(dd) for dd in tree.iter("dd")}
    listed = sum(
        len(rows(parse(p), "检查对象名录"))
        for p in (published.site / "objects").glob("index*.html")
    )
    assert listed == len(ids)


def test_an_object_drawn_twice_shows_both_draws_and_its_result(published: Published) -> None:
    first = {v.object_id for v in _visits(published, "2027-Q1", 1)}
    twice = sorted(first & {v.object_id for v in _visits(published, "2027-Q1", 2)})
    assert twice
    tree = parse(published.site / object_href(twice[0]))
    appearances = rows(tree, "被抽取的批次")
    assert appearances[0]["状态"] == "本次抽取已作废" and len(appearances) == 2
    resulted = _visits(published, "2027-Q2", 1)[0].object_id
    results = rows(parse(published.site / object_href(resulted)), "抽查检查结果")
    assert results[0]["结果"] == RESULTS[0][0] and results[0]["日期"] == "2027-04-10"


def test_manifest_and_audit_entry_name_every_file(published: Published) -> None:
    listed = dict(
        reversed(line.split("  ", 1))
        for line in (published.site / "SHA256SUMS").read_text().splitlines()
    )
    assert sorted(listed) == sorted(
        rel(published.site, p) for p in files(published.site) if p.name != "SHA256SUMS"
    )
    for name, digest in listed.items():
        assert hashlib.sha256((published.site / name).read_bytes()).hexdigest() == digest
    with published.app.transaction() as session:
        entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "publish.site")
        ).first()
    assert entry is not None and entry.subject == str(published.site)
    payload = json.loads(entry.payload)
    assert (
        payload["sha256sums"]
        == hashlib.sha256((published.site / "SHA256SUMS").read_bytes()).hexdigest()
    )
    assert [
        "draws/2027-Q1/1/index.html",
        "SCJG抽〔2027〕3号",  # the department's third notice of 2027 (see test_numbers.py)
        "2026-12-22",
        "已作废",
    ] in payload["notices"]


def test_building_twice_from_the_same_database_gives_identical_bytes(published: Published) -> None:
    first = publish(published.app, published.folder / "again-1")
    second = publish(published.app, published.folder / "again-2")
    a, b = files(first), files(second)
    assert [rel(first, p) for p in a] == [rel(second, p) for p in b]
    for left, right in zip(a, b, strict=True):
        assert left.read_bytes() == right.read_bytes(), rel(first, left)


def test_the_first_publication_which_numbered_the_notices_is_rebuilt_byte_for_byte(
    published: Published,
) -> None:
    again = publish(published.app, published.folder / "again-first")
    first, second = files(published.site), files(again)
    assert [rel(published.site, p) for p in first] == [rel(again, p) for p in second]
    for left, right in zip(first, second, strict=True):
        assert left.read_bytes() == right.read_bytes(), rel(published.site, left)


def test_long_lists_are_paginated_with_every_row_on_exactly_one_page(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dualrandom.publish.shape._pager.ROWS_PER_PAGE", 7)
    monkeypatch.setattr("dualrandom.publish.pages._objects.SHARD_ROWS", 11)
    site = publish(published.app, published.folder / "paged")
    visits = _visits(published, "2027-Q2", 1)
    notice = sorted(
        (site / "draws/2027-Q2/1").glob("index*.html"),
        key=lambda p: int(p.stem.partition("-")[2] or 1),
    )
    assert len(notice) == -(-len(visits) // 7)
    numbers = []
    for number, page in enumerate(notice, start=1):
        tree = parse(page)
        listed = rows(tree, "抽查对象名单")
        assert 0 < len(listed) <= 7
        numbers += [int(r["序号"]) for r in listed]
        current = [e for e in tree.iter("span") if e.attrib.get("aria-current") == "page"]
        assert [text(e) for e in current] == [str(number)] * 2  # the pager above and below the list
    assert numbers == [v.number for v in visits]
    index = json.loads((site / "search/index.json").read_text(encoding="utf-8"))
    assert len(index["shards"]) > 1 and all(s["count"] <= 11 for s in index["shards"])
    # a status link into the paged result notice lands on the right page and row
    status = rows(parse(site / "draws/2027-Q2/1/index.html"), "抽查对象名单")
    assert status[0]["状态"] == "结果已公示"
