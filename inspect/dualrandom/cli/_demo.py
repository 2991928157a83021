"""``dualrandom demo``: the main job from nothing, on an embedded SQLite database.

It builds a fresh demo workspace under ``var/demo/`` (its own config,
database and outputs), imports the sample registries, checks and loads the
rules, draws the first batch at a simulated ceremony, exports both bundles
and verifies them, publishes the notice site, then says where to look.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click

from dualrandom.app import App
from dualrandom.beacon import sign_demo_round
from dualrandom.cli._context import AppContext, current_actor
from dualrandom.config import load_settings
from dualrandom.db import as_utc
from dualrandom.draws import (
    TIERS,
    SecretStore,
    beacon_pin,
    dice_expected,
    export_bundle,
    latest_draw,
    prepare_draw,
    record_ceremony_dice,
    run_draw,
    verify_bundle,
)
from dualrandom.errors import IntegrityError
from dualrandom.lifecycle import (
    deadlines,
    import_results,
    move_many,
    standing_draw,
    substitute_objects,
    tasks_of,
    working_calendar,
)
from dualrandom.publish import consistent_reads, publish_site
from dualrandom.registry import import_registry
from dualrandom.rules.check import check_rules, store_rules
from dualrandom.rules.store import StoredPlan, list_plans
from dualrandom.schedule import batch_times, catch_up, supply_entropy

REGISTRIES = ("departments", "objects", "inspectors", "conflicts")
# The demo runs on a simulated clock, so it tells the same story on any day:
# the ceremony for the first 2027 batch is on a Monday morning in December 2026.
DEMO_START = datetime(2026, 12, 14, 1, 30, tzinfo=UTC)
# A demo stands in for the witnesses: a real ceremony types the digits they roll.
DEMO_DICE = "4 2 6 1 5 3 3 6 1 2 5 4 6 6 2 1 3 5 4 2"
# The ceremony of the first batch, after the commitment; the pinned round follows it.
DEMO_CEREMONY = DEMO_START + timedelta(minutes=30)
DEMO_CHAIN_NOTE = "演示链（非 League of Entropy）/ demo chain, not the League of Entropy"


def register(cli: click.Group) -> None:
    cli.add_command(demo)


@click.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Run the whole job on a fresh demo database under var/demo/."""
    base = ctx.find_object(AppContext)
    settings = load_settings(base.config if base else None)
    workspace = settings.var_dir / "demo"
    config = _fresh_workspace(workspace, settings.registries_dir, settings.rules_dir)
    app = App.from_settings(load_settings(config, environ={}))
    try:
        _run(app, workspace, config)
        _run_year(app, workspace, config)
    finally:
        app.close()


def _fresh_workspace(workspace: Path, registries: Path, rules: Path) -> Path:
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    config = workspace / "config.toml"
    config.write_text(
        "# Written by 'dualrandom demo'.\n"
        '[database]\nurl = "sqlite:///dualrandom.sqlite3"\n'
        f'[paths]\nregistries = "{registries.as_posix()}"\nrules = "{rules.as_posix()}"\nvar = "."\n'
        "# The demo's clock is simulated: its ceremonies lie where no real beacon round\n"
        "# exists, so it pins the demo chain, whose key is public. Never in production.\n"
        '[beacon]\nchain = "demo"\nallow_demo = true\n',
        encoding="utf-8",
    )
    return config


def _run(app: App, workspace: Path, config: Path) -> None:
    now = DEMO_START
    today = now.astimezone(app.settings.timezone).date()
    app.upgrade()
    click.echo(f"1. 已创建数据库 Created the database {app.engine.url.render_as_string()}")
    with app.transaction() as session:
        for kind in REGISTRIES:
            summary = import_registry(
                session,
                kind,
                app.settings.registries_dir / f"{kind}.csv",
                today=today,
                at=now,
                actor=current_actor(),
            )
            click.echo(
                f"2. 已导入 Imported {kind}: {summary.total} 行 rows, 摘要 digest {summary.digest[:16]}…"
            )
        rules = check_rules(session, app.settings.rules_dir)
        store_rules(session, rules, actor=current_actor())
        plans = list_plans(session)
    click.echo(f"3. 已检查并载入规则 Checked and loaded the rules: {len(plans)} 个计划 plans")
    plan = _next_plan(plans, today)
    secrets = SecretStore(app.settings.secrets_dir)
    with app.transaction() as session:
        prepared = prepare_draw(
            session,
            plan,
            secrets=secrets,
            now=now,
            actor=current_actor(),
            ceremony_at=DEMO_CEREMONY,
            beacon=app.settings.beacon,
        )
    row = prepared.draw
    pin = beacon_pin(json.loads(row.commitment))
    click.echo(
        f"4. 已准备 Prepared {plan}: 承诺 commitment {row.commitment_hash[:16]}… 在任何随机数之前公布 "
        f"(published before any randomness); 锁定 pins round {pin.round} of the {DEMO_CHAIN_NOTE}, "
        f"{pin.time.isoformat()}"
    )
    with app.transaction() as session:
        dice = (
            record_ceremony_dice(session, row, DEMO_DICE, now=DEMO_CEREMONY, actor=current_actor())
            if dice_expected(row)
            else None
        )
    drawn_at = pin.time + timedelta(seconds=2)
    with app.transaction() as session:
        _, result = run_draw(
            session,
            plan,
            dice.dice if dice else "",
            secrets=secrets,
            now=drawn_at,
            actor=current_actor(),
            beacon_round=sign_demo_round(pin.round).to_json(),
            allow_demo=True,
            dice_at=dice.at if dice else None,
        )
    click.echo(
        f"5. 已抽取 Drew {plan}: 信标 round {pin.round} of the {DEMO_CHAIN_NOTE}, 签名已核验 (signature verified)"
        + (f", 骰子 dice {dice.dice}" if dice else "")
        + f": {len(result.visits)} 次检查 visits, 种子 seed {result.seed.hex()[:16]}…"
    )
    _export_and_verify(app, workspace, plan)
    site = _publish(app, drawn_at)
    click.echo("\n去哪里看 Where to look:")
    click.echo(f"  dualrandom --config {config} draw show {plan}")
    click.echo(f"  dualrandom --config {config} audit verify")
    click.echo(f"\n公示网站在 The public notice site is in {site}; 预览 preview it with:")
    click.echo(f"  dualrandom --config {config} serve --dir {site}")


def _export_and_verify(app: App, workspace: Path, plan: str) -> None:
    """Step 6: both bundles, each checked by the verifier an outsider would run."""
    for tier in TIERS:
        with app.transaction() as session:
            report = export_bundle(session, plan, workspace / "bundles" / f"{plan}-{tier}", tier=tier)
        checked = verify_bundle(report.path)
        if not checked.ok:
            raise IntegrityError(
                f"演示的{tier}数据包核验不一致：{checked.failure}",
                f"the demo's {tier} bundle does not verify: {checked.failure}",
            )
        click.echo(
            f"6. 已导出并核验 Exported and verified the {tier} bundle ({report.path}): {checked.verdict}"
        )


def _publish(app: App, now: datetime) -> Path:
    """Step 7: the public notice site (一公开), built and swapped in."""
    with app.transaction() as session:
        consistent_reads(session)
        report = publish_site(
            session,
            app.settings.site_dir,
            timezone=app.settings.timezone,
            site=app.settings.site,
            now=now,
            actor=current_actor(),
        )
    click.echo(
        f"7. 已发布公示网站 Published the notice site: {report.notices} 份公告 notices, "
        f"{report.pages} 页 pages ({report.path})"
    )
    return report.path


def _next_plan(plans: list[StoredPlan], today: date) -> str:
    """The first plan whose window has not started, else the latest one."""
    upcoming = sorted(
        (p for p in plans if p.plan.window_start >= today), key=lambda p: p.plan.window_start
    )
    chosen = upcoming[0] if upcoming else max(plans, key=lambda p: p.plan.window_start)
    return str(chosen.plan.id)


# -- A year on the scheduler (issue 5) ----------------------------------------
#
# The four 2027 batches run on the scheduler's own entry points with a
# simulated clock: each prepare and draw happens at its scheduled time (the
# batch drawn by hand above is recorded as such), one drawn object is found
# deregistered and replaced from the reserve, the teams' result files are
# imported, reviewed and published.

_DEMO_RESULTS = (
    ("发现问题待后续处理", "责令改正"),
    ("未按规定公示应当公示的信息", "责令改正"),
    ("通过登记的住所(经营场所)无法联系", "其他"),
    ("发现问题经责令已改正", "责令改正"),
) + (("未发现问题", "无需后续处置"),) * 6


def _run_year(app: App, workspace: Path, config: Path) -> None:
    click.echo("\n8. 定时任务运行一年（模拟时钟，北京时间） The year on the scheduler, on a simulated clock:")
    with app.transaction() as session:
        batches = [b for b in batch_times(session, app.settings, 2027, DEMO_START) if b.draw]
    events: list[tuple[datetime, str, str]] = []  # when, what, plan
    for batch in batches:
        assert batch.prepare is not None and batch.draw is not None
        events += [
            (batch.prepare.due, "step", batch.plan_id),
            (batch.draw.due, "dice", batch.plan_id),  # the witnesses roll at the ceremony
            # the pinned round comes [beacon] margin_seconds after the ceremony: the draw
            # step would wait for it; the simulated clock moves on instead
            (batch.draw.due + timedelta(minutes=2), "step", batch.plan_id),
        ]
        end = date.fromisoformat(batch.window[1])
        checked = datetime.combine(end + timedelta(days=2), time(10), tzinfo=app.settings.timezone)
        events.append((checked.astimezone(UTC), "results", batch.plan_id))
        if batch.batch == "Q2":  # one drawn object turns out to be deregistered
            events.append((batch.draw.due + timedelta(days=2), "substitute", batch.plan_id))
    for moment, what, plan_id in sorted(events):
        if what == "step":
            _catch_up(app, moment)
        elif what == "dice":
            _dice(app, plan_id, moment)
        elif what == "substitute":
            _substitute(app, plan_id, moment)
        else:
            _inspect_batch(app, workspace, plan_id, moment)
    last = max(moment for moment, _, _ in events)
    with app.transaction() as session:
        calendar = working_calendar(
            session, app.settings.lifecycle, now=last, actor=current_actor()
        )
        rows = deadlines(session, calendar, app.settings.lifecycle, last.date())
    late = sum(r.level == "red" for r in rows)
    click.echo(
        f"   年末 At the end: {len(rows)} 项任务未结 task(s) still open, {late} 项超过公示期限 "
        "past the publication deadline."
    )
    site = app.settings.site_dir
    click.echo("\n全年 The year:")
    click.echo(f"  dualrandom --config {config} scheduler plan 2027")
    click.echo(f"  dualrandom --config {config} tasks list 2027-Q2")
    click.echo(
        f"  dualrandom --config {config} calendar show 2027   # 国务院通知载入前为暂定 provisional"
    )
    click.echo(f"  检查组的结果文件 the teams' result files: {workspace / 'results'}")
    click.echo("\n公示网站已含全年公告 The notice site now holds the whole year; 预览 preview it with:")
    click.echo(f"  dualrandom --config {config} serve --dir {site}")


def _dice(app: App, plan_id: str, moment: datetime) -> None:
    """The witnesses' dice of a scheduled draw that asks for them, before its round."""
    with app.transaction() as session:
        row = latest_draw(session, plan_id)
        if row is None or row.state != "prepared" or not dice_expected(row):
            return
        supply_entropy(session, plan_id, DEMO_DICE, now=moment, actor=current_actor())
    when = moment.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")
    click.echo(f"   {when}  {plan_id}: 见证人骰子已在信标轮次前记录 the witnesses' dice recorded before the round")


def _catch_up(app: App, moment: datetime) -> None:
    for outcome in catch_up(app, now=moment):
        when = moment.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")
        click.echo(f"   {when}  {outcome.key}: {outcome.status} — {outcome.detail}")


def _substitute(app: App, plan_id: str, moment: datetime) -> None:
    with app.transaction() as session:
        gone = tasks_of(session, standing_draw(session, plan_id))[0]
        report = substitute_objects(
            session, plan_id, [gone.object_id], "注销（登记机关已注销）", now=moment, actor=current_actor()
        )
    when = moment.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")
    new = ", ".join(f"#{v.number} {v.object_id}" for v in report.visits)
    click.echo(
        f"   {when}  {plan_id}: {gone.object_id} 已注销，由备选 {new} 递补 "
        "(deregistered; the reserve gives the next)"
    )


def _inspect_batch(app: App, workspace: Path, plan_id: str, moment: datetime) -> None:
    """Inspect a drawn batch: results in from the teams' file, reviewed, published."""
    with app.transaction() as session:
        draw = standing_draw(session, plan_id)
        window = next(p.plan for p in list_plans(session, 2027) if p.plan.id == plan_id)
        drawn_on = as_utc(draw.drawn_at or DEMO_START).date()
        tasks = tasks_of(session, draw, ("drawn", "notified", "in_inspection"))
    # The checks end in the last weeks of the window, so that results published
    # two days after it are within the 20 working days of every check.
    end = max(window.window_end, drawn_on)
    start = max(window.window_start, drawn_on, end - timedelta(days=24))
    path = _results_file(workspace, plan_id, [t.object_id for t in tasks], start, end)
    moment = max(moment, as_utc(draw.drawn_at or moment) + timedelta(days=1))  # a batch drawn by hand
    with app.transaction() as session:
        calendar = working_calendar(
            session, app.settings.lifecycle, now=moment, actor=current_actor()
        )
        summary = import_results(
            session,
            path,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=moment.date(),
            now=moment,
            actor=current_actor(),
        )
        move_many(
            session,
            plan_id,
            (),
            "reviewed",
            from_states=("result_entered",),
            now=moment,
            actor=current_actor(),
        )
    with app.transaction() as session:
        consistent_reads(session)
        site = publish_site(
            session,
            app.settings.site_dir,
            timezone=app.settings.timezone,
            site=app.settings.site,
            now=moment,
            actor=current_actor(),
        )
    problems = sum(n for code, n in summary.by_result.items() if code != "未发现问题")
    when = moment.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f"   {when}  {plan_id}: 从 {path.name} 导入 {len(summary.entered)} 条结果（{problems} 条发现问题），"
        f"已审核并公示 {site.notices} 份公告 (results imported, reviewed and published)"
    )


def _results_file(
    workspace: Path, plan_id: str, objects: list[str], start: date, end: date
) -> Path:
    """What the teams hand in: one row per visit, checks spread over the window's weekdays."""
    path = workspace / "results" / f"results-{plan_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    span = max((end - start).days - 3, 0)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["计划编号", "统一社会信用代码", "检查完成日期", "检查结果", "后续处置", "备注"]
        )
        for i, object_id in enumerate(objects):
            day = start + timedelta(days=span * i // max(len(objects), 1))
            day -= timedelta(days=max(day.weekday() - 4, 0))  # a weekend check is dated Friday
            result, follow_up = _DEMO_RESULTS[i % len(_DEMO_RESULTS)]
            writer.writerow(
                [plan_id, object_id, max(day, start).isoformat(), result, follow_up, ""]
            )
    return path
