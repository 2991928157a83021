"""Hostile registry text is shown as text, everywhere; and a plan that publishes
inspector names shows names and roles, never certificate numbers.

A small registry of our own goes through the real importer: names that are
HTML, an attribute break-out, a spreadsheet formula, and inspectors whose
names are markup too.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.draws import SecretStore
from dualrandom.publish.names import object_href
from dualrandom.registry import import_registry
from dualrandom.rules.check import check_rules, store_rules
from dualrandom.tables import InspectionTaskRow
from tests.drawing import draw_dr2
from tests.draws.conftest import fixed_token
from tests.publish.html import pages, parse, rows, text
from tests.publish.scenario import T0, publish

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
HOSTILE_OFFICER = "<svg onload=alert(2)>"
OBJECTS = {
    "XSS-0001": SCRIPT,
    "XSS-0002": BREAKOUT,
    "XSS-0003": FORMULA,
    "XSS-0004": "盘锦&lt;正常&gt;商店",
}
DEPARTMENTS = "code,name,level\nXA,<b>测试</b>监管局,市\n"
INSPECTORS = [("T0001", HOSTILE_OFFICER), ("T0002", "李'四"), ("T0003", "王五"), ("T0004", "赵六")]
ITEMS = """[[item]]
code = "XA-01"
name = "<i>事项</i>"
legal_basis = "《测试条例》第一条 <script>x</script>"
department = "XA"
class = "重点"
methods = ["现场检查"]
ratio = "1"
"""
PLAN = """id = "T-1"
title = "测试抽查 </title><script>alert(3)</script>"
year = 2027
batch = "B1"
type = "专项"
department = "XA"
items = ["XA-01"]
entropy = "beacon"

[window]
start = 2027-03-01
end = 2027-03-31

[team]
size = 2

[publication]
inspector_names = true
mask_person_names = true
"""


def _registry_files(folder: Path) -> Path:
    folder.mkdir()
    (folder / "departments.csv").write_text(DEPARTMENTS, encoding="utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "id_type", "name", "type", "industry", "district", "status", "risk_class"]
    )
    for object_id, name in OBJECTS.items():
        writer.writerow([object_id, "other", name, "企业", "F5211", "东区", "存续", "B"])
    (folder / "objects.csv").write_text(out.getvalue(), encoding="utf-8")
    lines = ["cert_no,name,department,cert_valid_until,status"]
    lines += [
        f'{cert},"{name.replace(chr(34), chr(34) * 2)}",XA,2030-01-01,在岗'
        for cert, name in INSPECTORS
    ]
    (folder / "inspectors.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def hostile_site(app: App, tmp_path: Path) -> Path:
    registries = _registry_files(tmp_path / "registries")
    rules = tmp_path / "rules"
    (rules / "plans").mkdir(parents=True)
    (rules / "items.toml").write_text(ITEMS, encoding="utf-8")
    (rules / "plans" / "T-1.toml").write_text(PLAN, encoding="utf-8")
    with app.transaction() as session:
        for kind in ("departments", "objects", "inspectors"):
            import_registry(session, kind, registries / f"{kind}.csv", today=T0.date(), at=T0, actor="tester")
        store_rules(session, check_rules(session, rules), actor="tester")
    secrets = SecretStore(tmp_path / "secrets", token=fixed_token(3))
    with app.transaction() as session:
        draw_dr2(session, "T-1", secrets=secrets, now=T0)
    return publish(app, tmp_path / "site")


def test_hostile_names_render_as_text_on_every_page(hostile_site: Path) -> None:
    for page in pages(hostile_site):
        tree = parse(page)
        for element in tree.iter():
            assert not [a for a in element.attrib if a.lower().startswith("on")], (
                page,
                element.tag,
            )
        assert (
            not list(tree.iter("img")) and not list(tree.iter("i")) and not list(tree.iter("b"))
        ), page
        assert all(
            s.attrib.get("src", "").endswith("static/search.js") for s in tree.iter("script")
        ), page
    notice = rows(parse(hostile_site / "draws/T-1/1/index.html"), "抽查对象名单")
    assert {r["统一社会信用代码"]: r["检查对象名称"] for r in notice} == OBJECTS
    for object_id, name in OBJECTS.items():
        tree = parse(hostile_site / object_href(object_id))
        assert text(tree.find(".//h1")) == name  # type: ignore[arg-type]
        assert text(tree.find(".//title")).startswith(f"{name}（{object_id}）")  # type: ignore[arg-type]


def test_titles_departments_and_items_are_text_too(hostile_site: Path) -> None:
    tree = parse(hostile_site / "draws/T-1/1/index.html")
    assert text(tree.find(".//h1")) == "测试抽查 </title><script>alert(3)</script>抽查对象名单"  # type: ignore[arg-type]
    assert text(tree.find(".//p[@class='issuer-banner']")) == "<b>测试</b>监管局"  # type: ignore[arg-type]
    items = rows(parse(hostile_site / "items.html"), "<b>测试</b>监管局")
    assert items[0]["抽查事项"] == "<i>事项</i>" and "<script>x</script>" in items[0]["检查依据"]


def test_downloads_carry_the_names_as_data_and_defuse_formulas(hostile_site: Path) -> None:
    table = list(
        csv.DictReader(
            io.StringIO((hostile_site / "draws/T-1/1/objects.csv").read_text(encoding="utf-8-sig"))
        )
    )
    names = {r["代码"]: r["检查对象名称"] for r in table}
    assert names["XSS-0003"] == "'" + FORMULA and names["XSS-0001"] == SCRIPT
    document = json.loads((hostile_site / "draws/T-1/1/objects.json").read_text(encoding="utf-8"))
    assert {o["id"]: o["name"] for o in document["objects"]} == OBJECTS
    shard = json.loads((hostile_site / "search/0001.json").read_text(encoding="utf-8"))
    assert {entry[0]: entry[1] for entry in shard} == OBJECTS


def test_inspector_names_and_roles_appear_only_where_the_plan_publishes_them(
    hostile_site: Path,
) -> None:
    notice = rows(parse(hostile_site / "draws/T-1/1/index.html"), "抽查对象名单")
    team = [r["检查人员"] for r in notice]
    names = {name for _, name in INSPECTORS}
    for members in team:
        shown = [m.rsplit("（", 1)[0] for m in members.split("、")]
        assert len(shown) == 2 and set(shown) <= names, members
    assert any(HOSTILE_OFFICER in members for members in team)
    for page in pages(hostile_site):
        content = page.read_text(encoding="utf-8")
        assert not [cert for cert, _ in INSPECTORS if cert in content], page


def test_a_public_stratum_is_shown_by_name(hostile_site: Path) -> None:
    quotas = rows(parse(hostile_site / "draws/T-1/1/predraw.html"), "各事项")
    assert [(q["分层"], q["检查对象数"], q["抽取数"]) for q in quotas] == [("全部", "4", "4")]


def test_a_substituted_object_links_to_its_replacement(app: App, hostile_site: Path) -> None:
    with app.transaction() as session:
        tasks = session.scalars(select(InspectionTaskRow).order_by(InspectionTaskRow.visit)).all()
        tasks[0].state, tasks[0].reason, tasks[0].replaced_by_visit = "substituted", "对象已注销", 2
    site = publish(app, hostile_site)
    tree = parse(site / "draws/T-1/1/index.html")
    first = next(tr for tr in tree.iter("tr") if tr.attrib.get("id") == "v1")
    status = next(td for td in first.iter("td") if td.attrib.get("data-label") == "状态")
    assert text(status) == "已替补：对象已注销"
    assert [a.attrib["href"] for a in status.iter("a")] == ["../../../draws/T-1/1/index.html#v2"]
