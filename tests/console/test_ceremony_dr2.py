"""The console's beacon ceremony (DR-2), end to end on the demo chain.

Prepare with a ceremony time typed in the configured time zone; the screen
shows the pinned chain (演示链), round and time; the dice are typed by one
operator and confirmed by a reviewer before the round's time; the draw is
refused before the round exists and made after it, with the demo chain
signing its own round (``[beacon] allow_demo``). Dice typed after the
round's time are refused.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from dualrandom.accounts import add_user
from dualrandom.app import App
from dualrandom.beacon import BeaconRound, sign_demo_round
from dualrandom.config import load_settings
from dualrandom.console import create_app
from dualrandom.draws import BEACON_ROUND_FILE, draw_files, get_draw, visit_count
from dualrandom.tables import AuditEntryRow
from tests.console.conftest import PASSWORD, Clock, csrf_token, sign_in
from tests.draws.conftest import load_sample

T0 = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
# 2026-12-21 09:30 in Asia/Shanghai (the default [time] timezone) is 01:30 UTC.
CEREMONY_LOCAL = "2026-12-21T09:30"
CEREMONY_UTC = datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
ROLLS = "3 1 4 1 5 2 6 5 3 5 6 2 1 4 4 6 2 3 3 1"


class Ceremony:
    def __init__(self, app: App, clock: Clock, client: FlaskClient) -> None:
        self.app, self.clock, self.client = app, clock, client
        self.flask = client.application



@pytest.fixture(scope="module")
def ceremony(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ceremony]:
    folder = tmp_path_factory.mktemp("console-dr2")
    url = f"sqlite:///{folder / 'dr.sqlite'}"
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n[paths]\nvar = "var"\n'
        '[beacon]\nchain = "demo"\nallow_demo = true\n',
        encoding="utf-8",
    )
    app = App.from_settings(load_settings(config, environ={}))
    app.upgrade()
    load_sample(app)
    with app.transaction() as session:
        add_user(session, "op", "OP", "operator", PASSWORD, department="SCJG", now=T0, actor="t")
        add_user(session, "reviewer", "REV", "reviewer", PASSWORD, now=T0, actor="t")
    clock = Clock(T0)
    web = create_app(app, clock=clock, secret_key=b"k" * 32, testing=True)
    client = web.test_client()
    sign_in(client, "op")
    yield Ceremony(app, clock, client)
    app.close()


def _at(c: Ceremony, moment: datetime) -> None:
    """Move the console's clock (the operator signs in again: sessions end each day)."""
    c.clock.now = moment
    sign_in(c.client, "op")


def _prepare(c: Ceremony, plan_id: str) -> None:
    base = f"/plans/{plan_id}/ceremony/"
    token = csrf_token(c.client, base)
    response = c.client.post(
        base + "prepare", data={"csrf_token": token, "ceremony_at": CEREMONY_LOCAL}
    )
    assert response.status_code == 302


def _pin(c: Ceremony, plan_id: str) -> tuple[int, datetime]:
    with c.app.transaction() as session:
        beacon = json.loads(get_draw(session, plan_id).commitment)["beacon"]
    return int(beacon["round"]), datetime.fromisoformat(beacon["round_time"])


def _dice(c: Ceremony, plan_id: str, confirmer: str = "reviewer") -> tuple[int, str]:
    screen = f"/plans/{plan_id}/ceremony/screen"
    token = csrf_token(c.client, screen)
    response = c.client.post(
        f"/plans/{plan_id}/ceremony/run",
        data={
            "csrf_token": token,
            "dice": ROLLS,
            "confirmer": confirmer,
            "confirmer_password": PASSWORD,
        },
    )
    return response.status_code, response.get_data(as_text=True)


def _draw(c: Ceremony, plan_id: str) -> tuple[int, str]:
    token = csrf_token(c.client, f"/plans/{plan_id}/ceremony/screen")
    response = c.client.post(f"/plans/{plan_id}/ceremony/draw", data={"csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


def _actions(c: Ceremony, subject: str) -> list[tuple[str, str, dict[str, object]]]:
    with c.app.transaction() as session:
        rows = session.query(AuditEntryRow).filter(AuditEntryRow.subject == subject)
        return [(r.action, r.actor, json.loads(r.payload)) for r in rows.order_by(AuditEntryRow.seq)]


def test_a_beacon_ceremony_pins_a_round_takes_the_dice_and_draws_after_it(
    ceremony: Ceremony,
) -> None:
    c = ceremony
    _at(c, T0)
    _prepare(c, "2027-Q1")
    with c.app.transaction() as session:
        row = get_draw(session, "2027-Q1")
        assert row.algorithm == "DR-2"
        assert row.secret_hash in (None, "")
    number, round_time = _pin(c, "2027-Q1")
    # the first round after the ceremony plus [beacon] margin_seconds (60)
    assert CEREMONY_UTC + timedelta(seconds=60) < round_time <= CEREMONY_UTC + timedelta(minutes=2)

    screen = c.client.get("/plans/2027-Q1/ceremony/screen").get_data(as_text=True)
    assert "演示链" in screen
    assert f"第 {number} 轮" in screen
    assert "2026-12-21 09:3" in screen  # the round's time, in the configured time zone
    assert "复核无误，记录骰子" in screen

    _at(c, CEREMONY_UTC)  # the ceremony: before the round
    status, page = _draw(c, "2027-Q1")
    assert status == 422 and "尚不存在" in page
    status, page = _dice(c, "2027-Q1", confirmer="op")  # the typist cannot confirm
    assert status == 422 and "另一位" in page
    status, _ = _dice(c, "2027-Q1")
    assert status == 302
    screen = c.client.get("/plans/2027-Q1/ceremony/screen").get_data(as_text=True)
    assert "复核无误，记录骰子" not in screen and "31415265356214462331" in screen
    status, page = _draw(c, "2027-Q1")  # the dice are in, the round still is not
    assert status == 422 and "尚不存在" in page
    with c.app.transaction() as session:
        assert get_draw(session, "2027-Q1").state == "prepared"

    _at(c, round_time + timedelta(seconds=1))
    status, _ = _draw(c, "2027-Q1")
    assert status == 302
    with c.app.transaction() as session:
        row = get_draw(session, "2027-Q1")
        assert row.state == "drawn" and row.seed
    trail = _actions(c, "2027-Q1#1")
    assert [a for a, _, _ in trail] == [
        "draw.prepare",
        "draw.dice",
        "draw.entropy_confirmed",
        "draw.run",
    ]
    assert trail[1][1] == "op" and trail[1][2]["dice"] == "31415265356214462331"
    assert trail[2][1] == "reviewer" and trail[2][2]["entered_by"] == "op"
    run = trail[3][2]
    assert run["beacon_round"] == number and run["demo"] is True
    assert run["dice"] == "31415265356214462331"
    revealed = c.client.get("/plans/2027-Q1/ceremony/screen").get_data(as_text=True)
    assert "抽取结果" in revealed


def test_dice_after_the_round_are_refused_and_nothing_can_be_drawn(ceremony: Ceremony) -> None:
    c = ceremony
    _at(c, T0)
    _prepare(c, "2027-Q3")
    _, round_time = _pin(c, "2027-Q3")
    _at(c, round_time + timedelta(seconds=5))
    status, page = _dice(c, "2027-Q3")
    assert status == 422 and "骰子必须在此之前记录" in page
    status, page = _draw(c, "2027-Q3")
    assert status == 422 and "骰子未在信标轮次产生前录入" in page
    with c.app.transaction() as session:
        assert get_draw(session, "2027-Q3").state == "prepared"
    assert "draw.dice" not in [a for a, _, _ in _actions(c, "2027-Q3#1")]


def test_a_beacon_draw_without_dice_takes_none_and_draws_after_the_round(
    ceremony: Ceremony,
) -> None:
    c = ceremony
    _at(c, T0)
    _prepare(c, "2027-Q2")  # beacon, dice = false
    number, round_time = _pin(c, "2027-Q2")
    screen = c.client.get("/plans/2027-Q2/ceremony/screen").get_data(as_text=True)
    assert "不使用" in screen and "复核无误，记录骰子" not in screen
    status, page = _dice(c, "2027-Q2")
    assert status == 422 and "不使用骰子" in page
    _at(c, round_time + timedelta(seconds=1))
    status, _ = _draw(c, "2027-Q2")
    assert status == 302
    run = _actions(c, "2027-Q2#1")[-1]
    assert run[0] == "draw.run" and run[2]["beacon_round"] == number and run[2]["dice"] == ""


def _upload(c: Ceremony, plan_id: str, raw: bytes) -> tuple[int, str]:
    """The operator draws with a round file saved elsewhere (the relays unreachable)."""
    token = csrf_token(c.client, f"/plans/{plan_id}/ceremony/screen")
    response = c.client.post(
        f"/plans/{plan_id}/ceremony/draw",
        data={"csrf_token": token, "round_file": (io.BytesIO(raw), "round.json")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def _nothing_drawn(c: Ceremony, plan_id: str) -> None:
    with c.app.transaction() as session:
        row = get_draw(session, plan_id)
        assert row.state == "prepared" and not row.seed
        assert visit_count(session, row) == 0
        assert BEACON_ROUND_FILE not in draw_files(session, row.id)
    assert "draw.run" not in [a for a, _, _ in _actions(c, f"{plan_id}#1")]


def test_an_uploaded_round_file_is_checked_before_anything_is_drawn(ceremony: Ceremony) -> None:
    """A genuine round of another number, a signature relabelled to the pinned round
    and a file that is no round are each refused by name, Chinese first, with
    nothing written; the genuine pinned round, uploaded, is drawn with and kept
    byte for byte (indented as a person saves it: not what the demo chain signs)."""
    c = ceremony
    _at(c, T0)
    _prepare(c, "2027-Q4")  # beacon, no dice
    number, round_time = _pin(c, "2027-Q4")
    _at(c, round_time + timedelta(seconds=1))
    other = sign_demo_round(number + 7)
    refused = [
        (
            other.to_json(),
            f"这是第 {number + 7} 轮，而承诺锁定的是第 {number} 轮",
            f"this is round {number + 7}, but the commitment pinned round {number}",
        ),
        (
            BeaconRound(number, other.signature).to_json(),
            f"第 {number} 轮的 BLS 签名不能用",
            f"round {number}: the BLS signature does not verify",
        ),
        (b"<html>relay error</html>", "信标轮次数据格式错误", "malformed beacon round"),
    ]
    for raw, chinese, english in refused:
        status, page = _upload(c, "2027-Q4", raw)
        assert status == 422, chinese
        assert chinese in page and english in page
        assert page.index(chinese) < page.index(english)
        _nothing_drawn(c, "2027-Q4")

    genuine = json.dumps(json.loads(sign_demo_round(number).to_json()), indent=2).encode()
    assert genuine != sign_demo_round(number).to_json()
    status, _ = _upload(c, "2027-Q4", genuine)
    assert status == 302
    with c.app.transaction() as session:
        row = get_draw(session, "2027-Q4")
        assert row.state == "drawn" and row.seed
        assert draw_files(session, row.id)[BEACON_ROUND_FILE] == genuine
    run = _actions(c, "2027-Q4#1")[-1]
    assert run[0] == "draw.run" and run[2]["beacon_round"] == number
