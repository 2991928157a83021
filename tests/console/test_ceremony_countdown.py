"""The projector's countdown to the pinned beacon round (issue #13, 抽取仪式).

The screen carries the round's time, machine-readable (``data-countdown`` and a
``<time datetime>``), and the seconds left by the server's clock
(``data-remaining``), which the projector counts down from, so that a laptop
with a wrong clock still shows the right countdown; the text is there before
any JavaScript runs. The console's clock is pinned and moved by the test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib
import pytest
from flask.testing import FlaskClient

from dualrandom.accounts import add_user
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.console import create_app
from dualrandom.draws import get_draw
from tests.console.conftest import PASSWORD, Clock, csrf_token, sign_in
from tests.draws.conftest import load_sample, store_dr1_plans
from tests.publish.html import text

T0 = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
CEREMONY_LOCAL = "2026-12-21T09:30"  # Asia/Shanghai: 01:30 UTC
CEREMONY_UTC = datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
SCREEN = "/plans/2027-Q1/ceremony/screen"


class Projector:
    def __init__(self, app: App, clock: Clock, client: FlaskClient) -> None:
        self.app, self.clock, self.client = app, clock, client

    def at(self, moment: datetime) -> None:
        """Move the console's clock (and sign in again: sessions end each day)."""
        self.clock.now = moment
        sign_in(self.client, "op")

    def countdown(self) -> ET.Element | None:
        response = self.client.get(SCREEN)
        assert response.status_code == 200
        tree = html5lib.parse(response.get_data(), namespaceHTMLElements=False)
        found = tree.findall(".//*[@data-countdown]")
        assert len(found) <= 1
        return found[0] if found else None


@pytest.fixture(scope="module")
def projector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Projector]:
    folder = tmp_path_factory.mktemp("console-countdown")
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{folder / "c.sqlite"}"\n[paths]\nvar = "var"\n'
        '[beacon]\nchain = "demo"\nallow_demo = true\n',
        encoding="utf-8",
    )
    app = App.from_settings(load_settings(Path(config), environ={}))
    app.upgrade()
    load_sample(app)
    store_dr1_plans(app, "2027-Q3")  # a plan of before DR-2: dice, no beacon round
    with app.transaction() as session:
        add_user(session, "op", "OP", "operator", PASSWORD, department="SCJG", now=T0, actor="t")
    clock = Clock(T0)
    client = create_app(app, clock=clock, secret_key=b"k" * 32, testing=True).test_client()
    sign_in(client, "op")
    for plan_id in ("2027-Q1", "2027-Q3"):
        base = f"/plans/{plan_id}/ceremony/"
        token = csrf_token(client, base)
        response = client.post(
            base + "prepare", data={"csrf_token": token, "ceremony_at": CEREMONY_LOCAL}
        )
        assert response.status_code == 302
    yield Projector(app, clock, client)
    app.close()


def _round_time(p: Projector) -> datetime:
    with p.app.transaction() as session:
        beacon = json.loads(get_draw(session, "2027-Q1").commitment)["beacon"]
    moment = datetime.fromisoformat(beacon["round_time"])
    # the first round after the ceremony plus [beacon] margin_seconds (60)
    assert CEREMONY_UTC + timedelta(seconds=60) < moment <= CEREMONY_UTC + timedelta(minutes=2)
    return moment


def test_the_screen_counts_down_from_the_servers_clock_to_the_pinned_round(
    projector: Projector,
) -> None:
    p = projector
    round_time = _round_time(p)
    p.at(round_time - timedelta(hours=1, minutes=2, seconds=3))
    shown = p.countdown()
    assert shown is not None
    assert datetime.fromisoformat(shown.attrib["data-countdown"]) == round_time
    assert shown.attrib["data-remaining"] == "3723"  # 1 h 2 min 3 s
    [moment] = shown.findall("time")
    assert datetime.fromisoformat(moment.attrib["datetime"]) == round_time
    assert text(shown) == "1:02:03"

    p.at(round_time - timedelta(minutes=4, seconds=59))
    shown = p.countdown()
    assert shown is not None
    assert (shown.attrib["data-remaining"], text(shown)) == ("299", "04:59")


def test_a_part_second_left_still_counts_as_a_second(projector: Projector) -> None:
    """The screen never says 00:00 while the round is still to come."""
    p = projector
    round_time = _round_time(p)
    p.at(round_time - timedelta(milliseconds=400))
    shown = p.countdown()
    assert shown is not None
    assert (shown.attrib["data-remaining"], text(shown)) == ("1", "00:01")


def test_once_the_round_is_due_the_countdown_stands_at_zero(projector: Projector) -> None:
    p = projector
    round_time = _round_time(p)
    p.at(round_time + timedelta(minutes=7))
    shown = p.countdown()
    assert shown is not None
    assert (shown.attrib["data-remaining"], text(shown)) == ("0", "00:00")
    assert datetime.fromisoformat(shown.attrib["data-countdown"]) == round_time


def test_a_draw_without_a_beacon_round_has_no_countdown(projector: Projector) -> None:
    p = projector
    p.at(T0)
    response = p.client.get("/plans/2027-Q3/ceremony/screen")
    assert response.status_code == 200
    tree = html5lib.parse(response.get_data(), namespaceHTMLElements=False)
    assert tree.findall(".//*[@data-countdown]") == []
    assert tree.findall(".//*[@data-remaining]") == []
    assert "见证人掷骰" in text(tree)
