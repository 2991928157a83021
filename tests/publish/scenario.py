"""A sample database with every kind of notice, for the publishing tests.

On the sample registries and rules:

* 2027-Q1 drawn, then superseded (with a reason) by a second draw;
* 2027-Q2 drawn, with results: reviewed ones (published by the publish step
  itself), already published ones, one only entered (not yet public, and
  carrying an internal note that must never appear), one cancelled;
* 2027-Q3 prepared only (a pre-draw notice and nothing else);
* 2027-Q4 prepared, then withdrawn by a new commitment.

Everything is timed, keyed and seeded by constants, so two databases built
by :func:`build_scenario` hold the same content.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from dualrandom.app import App
from dualrandom.config import SiteSettings
from dualrandom.draws import SecretStore
from dualrandom.publish import publish_site
from dualrandom.tables import DrawRow, InspectionTaskRow
from tests import databases
from tests.drawing import prepare_dr2, run_dr2
from tests.draws.conftest import fixed_token, load_sample

T0 = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
PUBLISHED_AT = datetime(2027, 5, 20, 8, 0, tzinfo=UTC)
BASE_URL = "https://example.gov.cn/sjsgk/"
ADDRESSED = SiteSettings(base_url=BASE_URL)
SUPERSEDE_REASON = "见证人未按时到场，依规定重新组织抽取"
WITHDRAW_REASON = "名录库更新后重新承诺"
INTERNAL_NOTE = "内部备注：经营者自述曾受处罚-不公开-7f3a"
RESULTS = (  # (result, follow-up, state) for the first Q2 visits
    ("未发现问题", "无需后续处置", "reviewed"),
    ("发现问题待后续处理", "责令改正", "reviewed"),
    ("未按规定公示应当公示的信息", "责令改正", "published"),
    ("通过登记的住所(经营场所)无法联系", "抄告相关部门", "reviewed"),
    ("未发现问题", "无需后续处置", "published"),
)


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """An empty database: a SQLite file in ``folder``, or a fresh PostgreSQL schema."""
    with databases.empty_database(backend, folder, "publish") as url:
        yield url


def make_app(url: str, folder: Path) -> App:
    config = folder / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n[paths]\nvar = "var"\n', encoding="utf-8")
    return databases.migrated_app(config)


def _draw(
    app: App,
    secrets: SecretStore,
    plan: str,
    at: datetime,
    reason: str | None = None,
    entropy: str | None = None,
) -> None:
    """Prepare a DR-2 draw at ``at`` (ceremony two days later, demo beacon); run it if
    ``entropy`` is given (the dice are the helper's, or none where the plan has none)."""
    with app.transaction() as session:
        row = prepare_dr2(
            session,
            plan,
            secrets=secrets,
            now=at,
            ceremony_at=at + timedelta(days=2),
            supersede_reason=reason,
        )
    if entropy is not None:
        with app.transaction() as session:
            run_dr2(session, plan, row, secrets=secrets)


def _results(app: App) -> None:
    with app.transaction() as session:
        draw = session.scalars(
            select(DrawRow).where(DrawRow.plan_id == "2027-Q2", DrawRow.state == "drawn")
        ).one()
        tasks = list(
            session.scalars(
                select(InspectionTaskRow)
                .where(InspectionTaskRow.draw_id == draw.id)
                .order_by(InspectionTaskRow.visit)
            )
        )
        for i, (task, (result, follow_up, state)) in enumerate(zip(tasks, RESULTS, strict=False)):
            task.result_code, task.follow_up, task.state = result, follow_up, state
            task.checked_on = date(2027, 4, 10 + i)
            task.updated_at = datetime(2027, 4, 20 + i, 2, 0, tzinfo=UTC)
        entered, cancelled = tasks[len(RESULTS)], tasks[len(RESULTS) + 1]
        entered.state, entered.result_code, entered.follow_up = "result_entered", "注销", "其他"
        entered.checked_on, entered.result_note = date(2027, 4, 28), INTERNAL_NOTE
        cancelled.state, cancelled.reason = "cancelled", "经营者已迁出本市，依规定取消本次检查"


def build_scenario(app: App, folder: Path) -> None:
    """The scenario in the empty database behind ``app``: built for real once per
    test process and backend, then copied (tests/databases.py), as it takes
    4-6 s and a dozen modules start from it. Its DR-2 draws leave nothing
    on disk: everything is in the database."""
    databases.filled(app, "scenario", lambda first: _build(first, folder))


def _build(app: App, folder: Path) -> None:
    load_sample(app)
    secrets = SecretStore(folder / "secrets", token=fixed_token(7))
    _draw(app, secrets, "2027-Q1", T0, entropy="3 1 4 1 5 9 2 6")
    _draw(app, secrets, "2027-Q1", T0 + timedelta(days=3), SUPERSEDE_REASON, entropy="2 7 1 8 2 8")
    _draw(app, secrets, "2027-Q2", T0 + timedelta(days=90), entropy="1 6 1 8 0 3 3")
    _draw(app, secrets, "2027-Q3", T0 + timedelta(days=180))
    _draw(app, secrets, "2027-Q4", T0 + timedelta(days=260))
    _draw(app, secrets, "2027-Q4", T0 + timedelta(days=262), WITHDRAW_REASON)
    _results(app)


def publish(
    app: App,
    out: Path,
    now: datetime = PUBLISHED_AT,
    site: SiteSettings = ADDRESSED,
    **options: str,
) -> Path:
    """Publish as a configured site does: with its public address, unless told otherwise."""
    with app.transaction() as session:
        options.setdefault("actor", "tester")
        publish_site(session, out, timezone=app.settings.timezone, now=now, site=site, **options)  # type: ignore[arg-type]
    return out
