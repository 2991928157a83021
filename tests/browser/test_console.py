"""The console (监管工作台) end to end in Chromium: from an empty database to a
published batch, by the people whose job it is, with axe-core on every page.

One database and one live server for the module; the tests run in order and
each continues where the one before stopped (an administrator, then the
registries, the plan, the ceremony, the inspection, the review, publication).
The console's clock is pinned and moved by the tests: the ceremony is in
December 2026, the inspection in February 2027.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from dualrandom.accounts import add_user
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.console import create_app
from dualrandom.tables import DrawMemberRow, DrawRow, InspectorRow
from tests.browser.conftest import AXE, HERE
from tests.conftest import REPO
from tests.console.conftest import PASSWORD, Clock
from tests.publish.scenario import database_url, make_app

# The console in Chromium, every role through one live server, in order (the last
# test runs axe-core over every page the others opened): about 90 s, CI only.
pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
DICE = "6 2 5 1 3 4 4 2 6 1 5 3 2 6 4 1 3 5 2 6"
BAD_ROWS = 3


@dataclass
class Live:
    app: App
    url: str
    clock: Clock
    folder: Path
    pages: dict[str, set[str]] = field(default_factory=dict)  # role → paths seen


@pytest.fixture(scope="module")
def live(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("console-e2e")
    (folder / "rules" / "plans").mkdir(parents=True)
    with database_url("sqlite", folder) as url:
        app = make_app(url, folder)
        (folder / "config.toml").write_text(
            f'[database]\nurl = "{url}"\n[paths]\nvar = "var"\nrules = "rules"\n'
            # DR-2 on the demo chain, which signs its own rounds: no network
            '[beacon]\nchain = "demo"\nallow_demo = true\n',
            encoding="utf-8",
        )
        app.close()
        app = App.from_settings(load_settings(folder / "config.toml", environ={}))
        clock = Clock(datetime(2026, 12, 18, 1, 0, tzinfo=UTC))
        with app.transaction() as session:  # the first administrator: `dualrandom users add`
            add_user(session, "admin", "系统管理员", "admin", PASSWORD, now=clock.now, actor="cli")
        web = create_app(app, clock=clock, secret_key=b"e2e" * 11)
        server = make_server("127.0.0.1", 0, web, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(app, f"http://127.0.0.1:{server.server_port}", clock, folder)
        finally:
            server.shutdown()
            checks = web.extensions.get("dualrandom.checked")
            if checks is not None:
                checks.settle()  # no integrity check may hold a connection when the engine goes
            app.close()


@pytest.fixture(scope="module")
def people(browser: Any) -> Iterator[dict[str, Any]]:
    """One browser context per person, so each keeps their own session."""
    contexts: dict[str, Any] = {}

    def context(name: str, **options: Any) -> Any:
        if name not in contexts:
            contexts[name] = browser.new_context(
                viewport=options.pop("viewport", {"width": 1366, "height": 900}),
                accept_downloads=True,
                locale="zh-CN",
                **options,
            )
        return contexts[name]

    yield {"context": context}
    for ctx in contexts.values():
        ctx.close()


def _tab(people: dict[str, Any], live: Live, name: str, **options: Any) -> Any:
    ctx = people["context"](name, **options)
    tab = ctx.pages[0] if ctx.pages else ctx.new_page()
    if not getattr(tab, "_watched", False):
        tab._watched = True
        tab._errors = []
        tab.on("console", lambda m: tab._errors.append(m.text) if m.type == "error" else None)
        tab.on("dialog", lambda d: d.accept())
    return tab


def _visit(live: Live, tab: Any, role: str, path: str) -> None:
    tab.goto(live.url + path)
    _seen(live, tab, role)


def _seen(live: Live, tab: Any, role: str) -> None:
    path = tab.url.removeprefix(live.url)
    live.pages.setdefault(role, set()).add(path)
    assert not [e for e in tab._errors if "Content Security Policy" in e], tab._errors


def _login(people: dict[str, Any], live: Live, username: str, **options: Any) -> Any:
    tab = _tab(people, live, username, **options)
    tab.goto(live.url + "/login")
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(PASSWORD)
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_load_state()
    assert "/login" not in tab.url, tab.locator("main").inner_text()
    return tab


def _upload_registry(tab: Any, kind: str, path: Path) -> None:
    form = tab.locator(f"#upload-{kind}")
    form.locator("input[type=file]").set_input_files(str(path))
    form.get_by_role("button", name="检查文件").click()
    tab.wait_for_load_state()


def _import_registry(live: Live, tab: Any, kind: str, path: Path, role: str) -> None:
    _visit(live, tab, role, "/registries/")
    _upload_registry(tab, kind, path)
    assert "检查通过" in tab.locator("main").inner_text(), tab.locator("main").inner_text()
    _seen(live, tab, role)
    tab.get_by_role("button", name="确认导入").click()
    tab.wait_for_load_state()
    assert "已导入" in tab.locator(".notice.success").inner_text()


def test_the_vendored_htmx_is_the_npm_package_unchanged() -> None:
    vendored = REPO / "inspect" / "dualrandom" / "console" / "static" / "htmx.min.js"
    package = HERE / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
    record = (vendored.parent / "htmx.VERSION.txt").read_text(encoding="utf-8")
    digest = hashlib.sha256(vendored.read_bytes()).hexdigest()
    assert digest in record
    assert hashlib.sha256(package.read_bytes()).hexdigest() == digest


def test_an_administrator_imports_the_departments_and_creates_the_users(
    live: Live, people: dict[str, Any]
) -> None:
    tab = _login(people, live, "admin")
    _import_registry(live, tab, "departments", REPO / "registries" / "departments.csv", "admin")
    _visit(live, tab, "admin", "/admin/users")
    for username, name, role, department in (
        ("op", "李明", "operator", "SCJG"),
        ("op.cz", "王芳", "operator", "CZ"),
        ("reviewer", "赵静", "reviewer", ""),
        ("auditor", "孙强", "auditor", ""),
    ):
        tab.get_by_label("用户名").fill(username)
        tab.get_by_label("姓名").fill(name)
        tab.get_by_label("角色").select_option(role)
        tab.get_by_label("所属部门代码（部门操作员必填）").fill(department)
        tab.get_by_label("初始密码（至少 10 个字符）").fill(PASSWORD)
        tab.get_by_role("button", name="添加").click()
        tab.wait_for_load_state()
        assert f"已添加用户 {username}" in tab.locator(".notice.success").inner_text()
    assert tab.locator("tbody tr").count() == 5
    _seen(live, tab, "admin")


def test_an_operator_sees_every_bad_row_fixes_the_file_and_imports(
    live: Live, people: dict[str, Any]
) -> None:
    tab = _login(people, live, "op")
    _seen(live, tab, "op")
    with (REPO / "registries" / "objects.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    bad = [list(r) for r in rows]
    bad[1][0] = bad[1][0][:-1] + ("0" if bad[1][0][-1] != "0" else "1")  # wrong check character
    bad[2][9] = "2014-13-45"  # no such date
    bad[3][8] = "营业中"  # not a registration status
    path = live.folder / "objects-bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(bad)
    _visit(live, tab, "op", "/registries/")
    _upload_registry(tab, "objects", path)
    _seen(live, tab, "op")
    problems = tab.locator(".problems tbody tr")
    assert problems.count() == BAD_ROWS
    assert [problems.nth(i).locator("td").nth(1).inner_text() for i in range(BAD_ROWS)] == [
        "2",
        "3",
        "4",
    ]
    assert "未写入任何数据" in tab.locator("main").inner_text()
    _visit(live, tab, "op", "/registries/")
    objects_row = tab.locator("tbody tr", has_text="检查对象名录")
    assert objects_row.locator("td").nth(1).inner_text() == "—"  # nothing written
    for kind in ("objects", "inspectors", "conflicts"):
        _import_registry(live, tab, kind, REPO / "registries" / f"{kind}.csv", "op")
    _visit(live, tab, "op", "/registries/objects")


def test_an_operator_loads_the_item_list_and_a_plan(live: Live, people: dict[str, Any]) -> None:
    tab = _tab(people, live, "op")
    _visit(live, tab, "op", "/items")
    tab.get_by_label("载入事项清单（items.toml，或 CSV/XLSX 表格）").set_input_files(
        str(REPO / "rules" / "items.toml")
    )
    tab.get_by_role("button", name="检查并载入").click()
    tab.wait_for_load_state()
    assert "已载入抽查事项清单" in tab.locator(".notice.success").inner_text()
    _visit(live, tab, "op", "/plans/new")
    text = (REPO / "rules" / "plans" / "2027-Q1.toml").read_text(encoding="utf-8")
    broken = live.folder / "2027-Q1.toml"
    broken.write_text(text.replace('ratio = "0.01"', 'ratio = "百分之一"'), encoding="utf-8")
    tab.get_by_label("计划文件（文件名须与计划编号一致，如 2027-Q1.toml）").set_input_files(
        str(broken)
    )
    tab.get_by_role("button", name="检查").first.click()
    tab.wait_for_load_state()
    _seen(live, tab, "op")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if 'ratio = "0.01"' in t)
    assert tab.locator(".problems tbody tr td").nth(1).inner_text() == str(line)
    tab.get_by_label("计划文本（TOML）").fill(text)
    tab.get_by_role("button", name="重新检查").click()
    tab.wait_for_load_state()
    assert "检查通过" in tab.locator(".notice.success").inner_text()
    tab.get_by_role("button", name="载入计划").click()
    tab.wait_for_load_state()
    assert "计划 2027-Q1 已载入" in tab.locator(".notice.success").inner_text()
    _seen(live, tab, "op")
    assert (live.folder / "rules" / "plans" / "2027-Q1.toml").read_text(encoding="utf-8") == text


def test_a_ceremony_prepares_publishes_draws_and_reveals_the_teams(
    live: Live, people: dict[str, Any], screenshots: Path
) -> None:
    live.clock.advance(days=10)  # 2026-12-28: the ceremony; yesterday's sessions have ended
    tab = _tab(people, live, "op")
    tab.goto(live.url + "/")
    assert tab.url.endswith("/login")
    tab = _login(people, live, "op")
    _visit(live, tab, "op", "/plans/2027-Q1/ceremony/")
    tab.get_by_label("抽取仪式开始时间", exact=False).fill("2026-12-28T09:00")  # Asia/Shanghai: now
    tab.get_by_role("button", name="准备（生成承诺）").click()
    tab.wait_for_load_state()
    assert "已生成第 1 次抽取的承诺" in tab.locator(".notice.success").inner_text()
    tab.get_by_role("button", name="公布抽取前公告（发布公示网站）").click()
    tab.wait_for_load_state()
    assert (live.folder / "var" / "site" / "index.html").is_file()
    tab.get_by_role("link", name="打开投影屏幕").click()
    tab.wait_for_load_state()
    _seen(live, tab, "op")
    # The countdown runs from the seconds the server counted (its clock is pinned at
    # 09:00, the round about 09:01), not from this machine's clock, weeks away.
    countdown = tab.locator("[data-countdown]")
    remaining = int(countdown.get_attribute("data-remaining") or "")
    assert 60 < remaining <= 180
    minutes, seconds = countdown.inner_text().split(":")
    assert remaining - 60 <= int(minutes) * 60 + int(seconds) <= remaining
    tab.get_by_label("见证人掷出的点数").press_sequentially(DICE.replace(" ", "")[:7])
    assert tab.locator("[data-dice-echo] span").count() == 7
    tab.get_by_label("见证人掷出的点数").fill(DICE)
    tab.get_by_label("见证人掷出的点数").dispatch_event("input")
    assert tab.locator("[data-dice-echo] span").count() == 20
    tab.screenshot(path=screenshots / "console-projector.png", full_page=True)
    tab.get_by_label("复核人用户名").fill("reviewer")
    tab.get_by_label("复核人密码").fill(PASSWORD)
    assert "演示链" in tab.locator("main").inner_text()
    tab.get_by_role("button", name="复核无误，记录骰子").click()
    tab.wait_for_load_state()
    assert DICE.replace(" ", "") in tab.locator("main").inner_text()  # recorded
    live.clock.advance(minutes=5)  # 09:05: the pinned round (about 09:01) is out
    tab.get_by_role("button", name="信标轮次已产生，开始抽取").click()
    tab.wait_for_load_state()
    assert "抽取结果" in tab.locator("main").inner_text()
    assert tab.locator("table.visits tbody tr").count() > 0
    _seen(live, tab, "op")
    tab.get_by_role("link", name="抽取记录（打印签字）").click()
    tab.wait_for_load_state()
    assert "抽取记录" in tab.locator("h1").inner_text()
    _seen(live, tab, "op")
    _visit(live, tab, "op", "/plans/2027-Q1/draws/1")
    team = tab.locator("table.visits tbody tr").first.locator("ul.team li")
    assert team.count() >= 2 and "组长" in team.first.inner_text()
    tab.screenshot(path=screenshots / "console-draw-teams.png", full_page=False)
    _visit(live, tab, "op", "/")
    tab.screenshot(path=screenshots / "console-dashboard.png", full_page=True)
    _visit(live, tab, "op", "/plans/2027-Q1/tasks")
    _visit(live, tab, "op", "/deadlines")


def test_another_departments_operator_can_neither_see_nor_act(
    live: Live, people: dict[str, Any]
) -> None:
    tab = _login(people, live, "op.cz")
    _visit(live, tab, "op.cz", "/plans")
    assert "2027-Q1" not in tab.locator("main").inner_text()
    for path in ("/plans/2027-Q1", "/plans/2027-Q1/draws/1", "/plans/2027-Q1/tasks"):
        response = tab.goto(live.url + path)
        assert response.status == 404, path
    token = tab.locator("input[name=csrf_token]").first.get_attribute("value")
    for path in ("/plans/2027-Q1/ceremony/prepare", "/plans/2027-Q1/tasks/move/notified"):
        response = tab.request.post(live.url + path, form={"csrf_token": token})
        assert response.status in (403, 404), path
    _visit(live, tab, "op.cz", "/plans/new")
    tab.get_by_label("计划文件（文件名须与计划编号一致，如 2027-Q1.toml）").set_input_files(
        str(REPO / "rules" / "plans" / "2027-Q1.toml")
    )
    tab.get_by_role("button", name="检查").first.click()
    tab.wait_for_load_state()
    assert "不是您的部门，不能载入" in tab.locator("main").inner_text()
    assert tab.get_by_role("button", name="载入计划").count() == 0


def test_an_inspector_enters_a_result_on_a_phone(
    live: Live, people: dict[str, Any], screenshots: Path
) -> None:
    with live.app.transaction() as session:
        draw = session.scalars(select(DrawRow).where(DrawRow.plan_id == "2027-Q1")).one()
        cert = session.scalars(
            select(DrawMemberRow.cert_no)
            .where(DrawMemberRow.draw_id == draw.id)
            .order_by(DrawMemberRow.visit, DrawMemberRow.slot)
        ).first()
        name = session.scalars(
            select(InspectorRow.name).where(InspectorRow.cert_no == cert)
        ).first()
    admin = _login(people, live, "admin")
    _visit(live, admin, "admin", "/admin/users")
    admin.get_by_label("用户名").fill("inspector")
    admin.get_by_label("姓名").fill(str(name))
    admin.get_by_label("角色").select_option("inspector")
    admin.get_by_label("执法证号（执法检查人员必填）").fill(str(cert))
    admin.get_by_label("初始密码（至少 10 个字符）").fill(PASSWORD)
    admin.get_by_role("button", name="添加").click()
    admin.wait_for_load_state()
    live.clock.now = datetime(2027, 2, 15, 2, 0, tzinfo=UTC)  # the inspection
    tab = _login(people, live, "inspector", viewport=PHONE, is_mobile=True, device_scale_factor=2)
    assert tab.url.endswith("/my/tasks")
    _seen(live, tab, "inspector")
    cards = tab.locator(".task-cards > li")
    assert cards.count() >= 1
    cards.first.locator("h2 a").click()
    tab.wait_for_load_state()
    _seen(live, tab, "inspector")
    tab.get_by_label("检查完成日期").fill("2027-02-10")
    tab.get_by_label("检查结果", exact=True).select_option("未发现问题")
    tab.get_by_label("后续处置").select_option("无需后续处置")
    tab.screenshot(path=screenshots / "console-inspector-phone.png", full_page=True)
    width = tab.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"{width[0]}px of content on a {width[1]}px screen"
    tab.get_by_role("button", name="保存检查结果").click()
    tab.wait_for_load_state()
    assert "已录入第" in tab.locator(".notice.success").inner_text()
    assert "结果已录入" in tab.locator(".task-cards").inner_text()


def test_a_reviewer_approves_and_the_site_is_published(live: Live, people: dict[str, Any]) -> None:
    tab = _login(people, live, "reviewer")
    _visit(live, tab, "reviewer", "/review")
    tab.get_by_role("link", name="2027-Q1", exact=False).first.click()
    tab.wait_for_load_state()
    _seen(live, tab, "reviewer")
    tab.get_by_role("button", name="审核通过所选结果").click()
    tab.wait_for_load_state()
    assert "1 项任务已审核通过" in tab.locator(".notice.success").inner_text()
    _visit(live, tab, "reviewer", "/publish")
    tab.get_by_role("button", name="发布公示网站").click()
    tab.wait_for_load_state()
    assert "已发布公示网站" in tab.locator(".notice.success").inner_text()
    results = live.folder / "var" / "site" / "draws" / "2027-Q1" / "1" / "results.html"
    assert results.is_file() and "未发现问题" in results.read_text(encoding="utf-8")
    auditor = _login(people, live, "auditor")
    _visit(live, auditor, "auditor", "/audit/")
    log = auditor.locator("main").inner_text()
    for actor, action in (
        ("op", "draw.run"),
        ("reviewer", "draw.entropy_confirmed"),
        ("inspector", "task.state"),
        ("reviewer", "publish.site"),
    ):
        assert auditor.locator("tbody tr", has_text=action).filter(has_text=actor).count() >= 1, (
            actor,
            action,
            log[:500],
        )
    _visit(live, auditor, "auditor", "/audit/verify")
    assert "完整：记录与其承诺、检查点一致" in auditor.locator("main").inner_text()
    _visit(live, auditor, "auditor", "/plans/2027-Q1/draws/1")


def test_axe_finds_no_serious_or_critical_violation_on_any_console_page(
    live: Live, browser: Any
) -> None:
    assert sum(len(p) for p in live.pages.values()) >= 20
    for role, paths in sorted(live.pages.items()):
        context = browser.new_context(bypass_csp=True, viewport={"width": 1366, "height": 900})
        try:
            tab = context.new_page()
            tab.goto(live.url + "/login")
            tab.get_by_label("用户名").fill(role)
            tab.get_by_label("密码").fill(PASSWORD)
            tab.get_by_role("button", name="登录").click()
            tab.wait_for_load_state()
            for path in sorted(paths | {"/login"}):
                tab.goto(live.url + path)
                tab.add_script_tag(path=str(AXE))
                result = tab.evaluate(
                    "async () => await axe.run(document, {resultTypes: ['violations']})"
                )
                serious = [
                    f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                    for v in result["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                assert not serious, f"{role} {path}:\n" + "\n".join(serious)
        finally:
            context.close()
