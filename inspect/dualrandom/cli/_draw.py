"""``dualrandom draw …`` and ``dualrandom verify``: the draw protocol on the command line."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.panel import Panel
from rich.text import Text
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.beacon import Pin, load_round_file, obtain_round
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_csv, print_json, print_rows
from dualrandom.core import DR2, DrawResult, record_dice
from dualrandom.draws import (
    TIERS,
    VISIT_COLUMNS,
    DrawState,
    SecretStore,
    beacon_pin,
    draw_summary,
    export_bundle,
    get_draw,
    prepare_draw,
    prepared_draw,
    public_entropy,
    record_ceremony_dice,
    recorded_ceremony_dice,
    run_draw,
    verify_bundle,
    visit_cells,
    visit_views,
    write_commitment_notice,
)
from dualrandom.draws.engine_pg import ENGINES, check_engine
from dualrandom.errors import BeaconError, DrawStateError, IntegrityError, UserError
from dualrandom.integrity import require_exportable
from dualrandom.rules.store import load_plan
from dualrandom.schedule.timeline import draw_time, is_scheduled
from dualrandom.tables import DrawRow
from dualrandom.workdays import load_calendar

# The longest the CLI waits, after the dice are confirmed, for the pinned round to be produced.
MAX_WAIT = timedelta(minutes=15)
FETCH_ATTEMPTS = 4  # a round may take a few seconds to reach every relay


def register(cli: click.Group) -> None:
    cli.add_command(draw)
    cli.add_command(verify)


def _secrets(app: App) -> SecretStore:
    return SecretStore(app.settings.secrets_dir)


@click.group()
def draw() -> None:
    """Draw a plan's batch: prepare (commit), run (reveal and draw), show, export."""


@draw.command()
@click.argument("plan_id")
@click.option(
    "--entropy-source",
    type=click.Choice(["dice", "beacon", "typed"]),
    help="How the public entropy will be obtained [default: the plan's].",
)
@click.option(
    "--supersede", is_flag=True, help="Replace an earlier draw of this plan (kept on record)."
)
@click.option("--reason", help="Why the earlier draw is superseded (required with --supersede).")
@click.option(
    "--ceremony-at",
    help="When the public draw ceremony starts, ISO 8601 (e.g. 2027-01-04T09:30+08:00); the "
    "commitment pins the first beacon round after it plus [beacon] margin_seconds "
    "[default: the plan's scheduled draw time].",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="python",
    show_default=True,
    help="Where the pass over the object registry runs: python, or postgresql (inside a "
    "PostgreSQL database; DR-1 plans only). Both give the same bytes.",
)
@pass_app
def prepare(
    app: App,
    plan_id: str,
    entropy_source: str | None,
    supersede: bool,
    reason: str | None,
    ceremony_at: str | None,
    engine: str,
) -> None:
    """Freeze the inputs and publish the commitment (抽取前公告), before any randomness.

    A beacon plan (DR-2) pins a future round of the public beacon: nobody,
    the operator included, can know the result before that round exists.
    """
    if supersede != (reason is not None):
        raise click.UsageError("--supersede 与 --reason 理由 须同时给出 (--supersede and --reason TEXT go together)")
    with app.transaction() as session:
        prepared = prepare_draw(
            session,
            plan_id,
            secrets=_secrets(app),
            now=datetime.now(UTC),
            actor=current_actor(),
            entropy_source=entropy_source,
            supersede_reason=reason,
            ceremony_at=_ceremony_at(app, session, plan_id, ceremony_at),
            beacon=app.settings.beacon,
            engine=engine,
        )
        row = prepared.draw
        notice = write_commitment_notice(app.settings.var_dir, row)
    print_rows(
        (
            "检查事项 item",
            "分层 stratum",
            "抽查池 pool",
            "应抽 k",
            "备选 reserve",
            "缺额 shortfall",
        ),
        (
            (
                q["item"],
                q["stratum"],
                str(q["pool_size"]),
                str(q["k"]),
                str(q["reserve"]),
                str(q["shortfall"] or ""),
            )
            for q in json.loads(row.commitment)["quotas"]
        ),
        f"{plan_id} 第 {row.attempt} 次准备的抽取数量 (attempt {row.attempt}: quotas)",
    )
    click.echo(f"承诺 Commitment {row.commitment_hash} 已写入 written to {notice}")
    if row.algorithm == DR2:
        _show_pin(json.loads(row.commitment))
    else:
        click.echo(
            f"操作员密钥保存在 {prepared.secret_path}，只公布其哈希 "
            "(operator secret kept there; only its hash is published)."
        )
    click.echo(
        f"下一步：dualrandom publish 公布承诺，抽取仪式上运行 dualrandom draw run {plan_id} "
        "(Next: publish the commitment, then run the draw at the ceremony)."
    )


def _ceremony_at(app: App, session: Session, plan_id: str, text: str | None) -> datetime | None:
    """--ceremony-at (a time without offset is in [time] timezone), else the plan's
    scheduled draw time, else None (prepare then says to give one)."""
    tz = app.settings.timezone
    if text is not None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UserError(
                f"--ceremony-at {text!r} 不是 ISO 8601 时间，例如 2027-01-04T09:30+08:00",
                f"--ceremony-at {text!r} is not an ISO 8601 time, e.g. 2027-01-04T09:30+08:00",
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    plan = load_plan(session, plan_id)
    if plan.entropy != "beacon" or not is_scheduled(plan):
        return None
    moment, _ = draw_time(plan, load_calendar(session), tz, app.settings.scheduler.draw_time)
    return moment


def _chain_line(beacon: dict[str, object]) -> str:
    chain = beacon["chain"]
    assert isinstance(chain, dict)
    label = str(chain["label"])
    return f"{label} [演示 DEMO]" if chain["demo"] else label


def _show_pin(commitment: dict[str, object]) -> None:
    beacon = commitment["beacon"]
    dice = commitment["dice"]
    assert isinstance(beacon, dict) and isinstance(dice, dict)
    number, at = beacon["round"], beacon["round_time"]
    click.echo(f"信标 Beacon: {_chain_line(beacon)}，第 {number} 轮 {at} (round {number} at {at})")
    click.echo(
        f"仪式 Ceremony: {commitment['ceremony_at']}；骰子 dice: "
        + (
            "须在该轮次时刻之前录入至少 20 次 1-6 的掷骰结果 "
            "(expected: at least 20 rolls of 1-6, typed before the round's time)"
            if dice["expected"]
            else "不使用 (not used)"
        )
    )
    click.echo(
        "没有操作员密钥：种子只取决于承诺、该信标轮次和骰子 "
        "(no operator secret: the seed is the commitment, that round and the dice, SPEC §19)."
    )


@draw.command()
@click.argument("plan_id")
@click.option(
    "--entropy", help="The public entropy (witnesses' dice, beacon value); prompted for if omitted."
)
@click.option(
    "--yes", "-y", is_flag=True, help="Draw without asking to confirm the entropy (for scripts)."
)
@click.option(
    "--dice", help="DR-2: the witnesses' rolls (1-6, at least 20); prompted for if omitted."
)
@click.option(
    "--beacon-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DR-2: the pinned round's JSON, saved from any relay (offline); else fetched.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="python",
    show_default=True,
    help="Where the pass over the object registry runs: python, or postgresql (inside a "
    "PostgreSQL database; DR-1 plans only). Both give the same bytes.",
)
@pass_app
def run(
    app: App,
    plan_id: str,
    entropy: str | None,
    yes: bool,
    dice: str | None,
    beacon_file: Path | None,
    engine: str,
) -> None:
    """Derive the seed and draw, in one transaction.

    DR-2 (beacon plans): the witnesses' dice are typed, shown back and
    confirmed before the pinned round's time; then the round is read from
    --beacon-file or fetched from the relays, its signature checked offline,
    and the draw made. DR-1 (earlier plans): the entropy is shown back,
    character by character, and the operator secret revealed. Nothing is
    drawn until the value is confirmed (or with --yes): a typo cannot be undone.
    """
    with app.transaction() as session:
        row = prepared_draw(session, plan_id)  # refuse before anyone types the entropy
        check_engine(session, engine, row.algorithm)
    if row.algorithm == DR2:
        _run_dr2(app, plan_id, row.commitment, dice, beacon_file, yes)
        return
    if entropy is None:
        entropy = click.prompt("公开随机数 Public entropy (e.g. the digits the witnesses rolled)")
    value = public_entropy(entropy)
    _show_entropy(value)
    if not yes and not click.confirm(
        "核对无误，开始抽取？抽取不可撤销 (Is it right? The draw cannot be undone)", default=False
    ):
        raise UserError(
            f"公开随机数未确认，没有抽取；请重新运行 dualrandom draw run {plan_id}",
            f"the entropy was not confirmed; nothing was drawn. Run 'dualrandom draw run {plan_id}' again",
        )
    with app.transaction() as session:
        row, result = run_draw(
            session,
            plan_id,
            value,
            secrets=_secrets(app),
            now=datetime.now(UTC),
            actor=current_actor(),
            engine=engine,
        )
    _report_drawn(plan_id, row, result)
    click.echo(
        f"下一步 Next: dualrandom draw show {plan_id} 或 or dualrandom draw export {plan_id} DIR"
    )


def _run_dr2(
    app: App,
    plan_id: str,
    commitment_text: str,
    dice: str | None,
    beacon_file: Path | None,
    yes: bool,
) -> None:
    commitment = json.loads(commitment_text)
    pin = beacon_pin(commitment)
    expected = bool(commitment["dice"]["expected"])
    _show_pin(commitment)
    with app.transaction() as session:
        row = prepared_draw(session, plan_id)
        recorded = recorded_ceremony_dice(session, row) if expected else None
    wait = pin.time - datetime.now(UTC)
    if recorded is None and wait > (MAX_WAIT if expected else timedelta(0)):
        raise DrawStateError(
            f"锁定的信标第 {pin.round} 轮将于 {pin.time.isoformat()} 产生，尚不存在；"
            + ("请在抽取仪式开始时（该时刻前）运行并输入骰子" if expected else "请在该时刻之后运行"),
            f"the pinned beacon round {pin.round} will be produced at {pin.time.isoformat()}; "
            + (
                "run this at the ceremony, shortly before that time, to enter the dice"
                if expected
                else "run this after that time"
            ),
        )
    if expected and recorded is None:
        typed = dice if dice is not None else click.prompt("骰子点数 Dice (the witnesses' rolls)")
        _show_entropy(record_dice(typed, True), "骰子 dice")
        _confirm(plan_id, yes)
        with app.transaction() as session:
            row = prepared_draw(session, plan_id)
            recorded = record_ceremony_dice(
                session, row, typed, now=datetime.now(UTC), actor=current_actor()
            )
        click.echo(f"骰子已记录 Dice recorded at {recorded.at.isoformat()} (audit log: draw.dice).")
    elif recorded is not None:
        click.echo(f"骰子已于 {recorded.at.isoformat()} 记录 Dice recorded earlier: {recorded.dice}")
    elif dice:
        record_dice(dice, False)  # refuses, saying this draw takes none
    raw = _obtain_round(app, pin, beacon_file, yes)
    with app.transaction() as session:
        row, result = run_draw(
            session,
            plan_id,
            recorded.dice if recorded else "",
            secrets=_secrets(app),
            now=datetime.now(UTC),
            actor=current_actor(),
            beacon_round=raw,
            allow_demo=app.settings.beacon.allow_demo,
            dice_at=recorded.at if recorded else None,
        )
    _report_drawn(plan_id, row, result)
    click.echo(
        f"下一步 Next: dualrandom draw show {plan_id} 或 or dualrandom draw export {plan_id} DIR"
    )


def _report_drawn(plan_id: str, row: DrawRow, result: DrawResult) -> None:
    click.echo(
        f"已抽取 Drew {plan_id} 第 {row.attempt} 次 attempt {row.attempt}: "
        f"{len(result.visits)} 次检查 visits, 种子 seed {row.seed}"
    )
    for quota in result.shortfalls:
        click.echo(
            f"不足 Shortfall: {quota.item}/{quota.stratum} 仅有 {quota.pool_size} 个对象，低于最少 "
            f"{quota.min_count} 个 (has {quota.pool_size} objects, below its minimum {quota.min_count})"
        )


def sleep_until(moment: datetime) -> None:
    """Wait for ``moment`` (tests replace this to move their pinned clock instead)."""
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 1.0))


def _obtain_round(app: App, pin: Pin, beacon_file: Path | None, yes: bool) -> bytes:
    """The pinned round's bytes, once it is out: from the file, or from the relays
    (retrying with backoff); offline, the path of a saved copy is asked for."""
    if datetime.now(UTC) < pin.time:
        click.echo(
            f"等待信标第 {pin.round} 轮 Waiting for round {pin.round} ({pin.time.isoformat()}) …"
        )
        sleep_until(pin.time + timedelta(seconds=1))
    if beacon_file is not None:
        return load_round_file(beacon_file)
    beacon = app.settings.beacon
    try:
        return obtain_round(
            pin, relays=beacon.relays, allow_demo=beacon.allow_demo, attempts=FETCH_ATTEMPTS
        )
    except BeaconError:
        if yes or pin.chain.is_demo:
            raise
    path = click.prompt(
        "无法联网获取信标；请输入在别处保存的该轮 JSON 文件路径 "
        "(offline: path of the round's JSON saved elsewhere)",
        type=click.Path(dir_okay=False, path_type=Path),
    )
    return load_round_file(path)


def _confirm(plan_id: str, yes: bool) -> None:
    if not yes and not click.confirm(
        "核对无误，开始抽取？抽取不可撤销 (Is it right? The draw cannot be undone)", default=False
    ):
        raise UserError(
            f"输入未确认，没有抽取；请重新运行 dualrandom draw run {plan_id}",
            f"the value was not confirmed; nothing was drawn. Run 'dualrandom draw run {plan_id}' again",
        )


def _show_entropy(value: str, title: str = "公开随机数 public entropy") -> None:
    """The entropy large and unmistakable: characters spaced apart, a space as ␣."""
    spaced = " ".join("␣" if char == " " else char for char in value)
    console.print(
        Panel(
            Text(spaced, style="bold", justify="center"),
            title=title,
            expand=False,
            padding=(1, 4),
        )
    )
    spaces = "，␣ 为空格 (␣ is a space)" if " " in value else ""
    click.echo(f"共 {len(value)} 个字符 ({len(value)} characters){spaces}")


@draw.command()
@click.argument("plan_id")
@click.option("--attempt", type=int, help="An earlier attempt [default: the latest].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for Excel (UTF-8 with BOM) on stdout.")
@pass_app
def show(app: App, plan_id: str, attempt: int | None, as_json: bool, as_csv: bool) -> None:
    """Print a draw: state, seed and each visit's business, items and team.

    For internal use: the teams are shown with the officers' names and
    roles (组长, 组员, …), which the public notices do not publish.
    """
    if as_json and as_csv:
        raise click.UsageError("--json 与 --csv 只能选一个 (--json and --csv: choose one)")
    with app.transaction() as session:
        row = get_draw(session, plan_id, attempt)
        summary = draw_summary(session, row) if as_json else None
        visits = [] if as_json else visit_views(session, row)
    if summary is not None:
        print_json(summary)
        return
    if as_csv:
        print_csv(VISIT_COLUMNS, (visit_cells(v) for v in visits))
        return
    state = DrawState(row.state)
    click.echo(
        f"计划 {plan_id} 第 {row.attempt} 次抽取：{state.label}"
        f"（plan {plan_id} attempt {row.attempt}: {state}, {row.algorithm}）"
    )
    click.echo(f"承诺 commitment {row.commitment_hash}  种子 seed {row.seed or '-'}")
    print_rows(VISIT_COLUMNS, (visit_cells(v) for v in visits), f"{len(visits)} 户 visits")


@draw.command()
@click.argument("plan_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tier",
    type=click.Choice(TIERS),
    default="public",
    show_default=True,
    help="public: for everyone; auditor: re-runs the whole draw.",
)
@click.option("--attempt", type=int, help="An earlier attempt [default: the latest].")
@click.option(
    "--snapshot/--no-snapshot",
    default=True,
    show_default=True,
    help="DR-2: include the registry snapshot objects-public.tsv.gz (the notice site "
    "publishes it once per registry version; verify takes it with --snapshot).",
)
@pass_app
def export(
    app: App, plan_id: str, folder: Path, tier: str, attempt: int | None, snapshot: bool
) -> None:
    """Write the verification bundle of a draw into FOLDER."""
    with app.transaction() as session:
        require_exportable(session, plan_id, attempt, site=app.settings.site_dir)
        report = export_bundle(
            session, plan_id, folder, tier=tier, attempt=attempt, snapshot=snapshot
        )
    click.echo(
        f"已写出{'公开' if report.tier == 'public' else '审计'}核验数据包 Wrote the {report.tier} "
        f"bundle: {report.files} 个文件 files, {report.bytes} 字节 bytes, in {report.path}"
    )
    click.echo(f"核验 Check it with: python3 {report.path / 'verify.py'}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--snapshot",
    type=click.Path(exists=True, path_type=Path),
    help="DR-2: the registry snapshot (snapshots/<digest>.tsv.gz from the notice site, "
    "or a folder holding it) when the bundle does not carry objects-public.tsv.gz.",
)
def verify(bundle: Path, snapshot: Path | None) -> None:
    """Recompute a draw from its bundle; print MATCH or the first difference."""
    report = verify_bundle(bundle, snapshot)
    if "snapshot" in report.mismatches:
        _refuse_snapshot(bundle, snapshot, report.failure)
    verdict_last = bool(report.verdict) and report.ok  # a DR-2 MATCH verdict closes the checks
    for check in report.checks[:-1] if verdict_last else report.checks:
        click.echo(f"通过 ok  {check}")
    if not report.ok:
        verdict = report.verdict or "MISMATCH"
        raise IntegrityError(
            f"核验不一致（{report.tier} 数据包）：{report.failure}\n{verdict}",
            f"MISMATCH ({report.tier} bundle): {report.failure}",
        )
    click.echo(report.verdict or "MATCH")


def _refuse_snapshot(bundle: Path, snapshot: Path | None, failure: str | None) -> None:
    """The registry snapshot is missing or not the committed one: say which one is
    needed and where it is published, Chinese first."""
    try:
        meta = json.loads((bundle / "bundle.json").read_bytes())["snapshot"]
        digest, published = str(meta["digest"]), str(meta["published"])
    except (OSError, ValueError, KeyError, TypeError):
        digest, published = "?", "snapshots/<digest>.tsv.gz"
    given = f"--snapshot {snapshot}" if snapshot else ""
    raise IntegrityError(
        f"核验不一致：缺少检查对象名录快照，或其摘要不是承诺的 {digest}（{given or '数据包中'}）。"
        f"该快照在公示网站上按名录版本只发布一次：{published}；"
        f"请下载后运行 dualrandom verify {bundle} --snapshot 文件\n{failure}",
        f"MISMATCH: the registry snapshot is missing or its digest is not the committed "
        f"{digest} ({given or 'in the bundle'}); the notice site publishes it once per registry version as "
        f"{published}: download it and run dualrandom verify {bundle} --snapshot FILE",
    )
