"""Attacks on a DR-2 draw (issue 8, "a draw nobody can steer"), each written as the attack.

The operator who prepares a draw would like to know, or choose, its result.
These tests try: reading everything stored at prepare to predict the seed,
handing the draw a round of their own making, a genuine round of the wrong
number or chain, a demo round under a real pin, dice typed after the beacon
is out, and drawing again until the result suits.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.beacon import QUICKNET, BeaconRound, Pin, round_after, round_time, sign_demo_round
from dualrandom.config import BeaconSettings
from dualrandom.core import derive_seed_dr2
from dualrandom.draws import SecretStore, draw_files, get_draw, prepare_draw, run_draw
from dualrandom.errors import BeaconError, DrawStateError
from dualrandom.tables import AuditEntryRow, DrawRow
from tests.beacon.cases import case
from tests.drawing import DICE, demo_round, pin_of, prepare_dr2, run_dr2
from tests.draws.conftest import NOW

PLAN = "2027-Q1"  # entropy = "beacon", dice = true
PLAN_NO_DICE = "2027-Q2"  # entropy = "beacon"


def _prepare(app: App, secrets: SecretStore, plan: str = PLAN, **kwargs: object) -> DrawRow:
    with app.transaction() as session:
        return prepare_dr2(session, plan, secrets=secrets, now=NOW, **kwargs)  # type: ignore[arg-type]


def _stored_bytes(app: App, row: DrawRow) -> bytes:
    """Everything the operator can read after prepare: the row, its files, the audit log."""
    with app.transaction() as session:
        stored = session.get(DrawRow, row.id)
        assert stored is not None
        columns = repr({c.name: getattr(stored, c.name) for c in DrawRow.__table__.columns})
        files = b"".join(draw_files(session, row.id).values())
        log = repr([(e.action, e.payload) for e in session.scalars(select(AuditEntryRow))])
    return columns.encode() + files + log.encode()


def test_grind_nothing_stored_at_prepare_determines_the_result(
    sample_app: App, secrets: SecretStore
) -> None:
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    assert pin.time > NOW  # the pinned round does not exist when the commitment is made
    stored = _stored_bytes(sample_app, row)
    # the seed of the round that will come, and of any other: none is in what prepare stored
    for number in (pin.round, pin.round + 1):
        randomness = sign_demo_round(number).randomness
        seed = derive_seed_dr2(row.commitment_hash, randomness, DICE, True)
        assert seed.hex().encode() not in stored and seed not in stored
        assert randomness.hex().encode() not in stored
    assert row.seed is None and row.secret is None and row.secret_hash == ""


def test_the_result_is_a_function_of_the_future_round(sample_app: App, secrets: SecretStore) -> None:
    """Two different genuine rounds for the same commitment give different draws: the
    operator, who knows everything stored at prepare, does not know which one comes."""
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    results = []
    for number in (pin.round, pin.round + 1):
        # the same commitment drawn twice in two databases could not be: so the seed is
        # computed as the draw computes it, and the draw itself is run with the real round
        randomness = sign_demo_round(number).randomness
        results.append(derive_seed_dr2(row.commitment_hash, randomness, DICE, True))
    assert results[0] != results[1]
    with sample_app.transaction() as session:
        drawn, result = run_dr2(session, PLAN, row, secrets=secrets)
    assert drawn.seed == results[0].hex() and result.seed == results[0]


def test_different_rounds_draw_different_businesses(app: App, secrets: SecretStore) -> None:
    """The whole draw, twice, from the same inputs and dice, with two genuine demo rounds."""
    from tests.draws.conftest import load_sample

    load_sample(app)
    row = _prepare(app, secrets)
    pin = pin_of(row)
    with app.transaction() as session:
        _, first = run_dr2(session, PLAN, row, secrets=secrets)
        assert first.visits
    # a superseding draw pinned to a later round: same inputs, same dice
    with app.transaction() as session:
        again = prepare_dr2(
            session,
            PLAN,
            secrets=secrets,
            now=pin.time + timedelta(seconds=5),
            supersede_reason="show that another round gives another draw",
        )
    assert pin_of(again).round != pin.round
    with app.transaction() as session:
        _, second = run_dr2(session, PLAN, again, secrets=secrets)
    assert {v.object_id for v in first.visits} != {v.object_id for v in second.visits}


@pytest.mark.parametrize(
    ("forgery", "fault"),
    [
        ("another-round", "wrong-round"),  # genuine, but not the pinned round
        ("relabelled-round", "bad-signature"),  # another round's signature, renumbered
        ("garbage", "malformed"),
    ],
)
def test_a_forged_round_is_refused_by_name(
    sample_app: App, secrets: SecretStore, forgery: str, fault: str
) -> None:
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    genuine_other = sign_demo_round(pin.round + 7)
    raw = {
        "another-round": genuine_other.to_json(),
        "relabelled-round": BeaconRound(pin.round, genuine_other.signature).to_json(),
        "garbage": b'{"round": "soon"}',
    }[forgery]
    with sample_app.transaction() as session, pytest.raises(BeaconError) as refused:
        run_dr2(session, PLAN, row, secrets=secrets, beacon_round=raw)
    assert refused.value.fault == fault
    with sample_app.transaction() as session:
        assert get_draw(session, PLAN).state == "prepared"  # nothing was drawn


def test_a_chain_of_the_operators_own_making_is_refused(
    sample_app: App, secrets: SecretStore
) -> None:
    """An operator who pinned a chain whose key they hold could sign any round value: the
    draw accepts only the chains dual-random trusts."""
    from dualrandom.beacon import _bls
    from dualrandom.beacon.demo import demo_chain, demo_secret_key

    label = "演示链 of the operator's own"
    own = demo_chain(label)  # a valid chain, with a key its maker knows
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    with sample_app.transaction() as session:
        stored = get_draw(session, PLAN)
        commitment = json.loads(stored.commitment)
        commitment["beacon"]["chain"] = own.to_dict()
        stored.commitment = json.dumps(commitment)
    signature = _bls.sign(demo_secret_key(label), _bls.round_message(pin.round))
    with sample_app.transaction() as session, pytest.raises(BeaconError) as refused:
        run_dr2(
            session,
            PLAN,
            get_draw(session, PLAN),
            secrets=secrets,
            beacon_round=BeaconRound(pin.round, signature).to_json(),
        )
    assert refused.value.fault == "wrong-chain"


def test_a_demo_round_under_a_quicknet_pin_is_refused(sample_app: App, secrets: SecretStore) -> None:
    with sample_app.transaction() as session:
        row = prepare_draw(
            session, PLAN, secrets=secrets, now=NOW, actor="tester", ceremony_at=NOW + timedelta(hours=1)
        ).draw  # the default beacon: quicknet
    pin = pin_of(row)
    assert pin.chain == QUICKNET and json.loads(row.commitment)["beacon"]["chain"]["demo"] is False
    with sample_app.transaction() as session, pytest.raises(BeaconError) as refused:
        run_draw(
            session,
            PLAN,
            DICE,
            secrets=secrets,
            now=pin.time + timedelta(seconds=1),
            actor="tester",
            beacon_round=demo_round(pin.round),
            allow_demo=True,  # even where the demo is allowed: the pin says quicknet
            dice_at=NOW + timedelta(hours=1),
        )
    assert refused.value.fault == "bad-signature"


def test_the_demo_chain_is_refused_unless_the_draw_allows_it(
    sample_app: App, secrets: SecretStore
) -> None:
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    assert json.loads(row.commitment)["beacon"]["chain"]["demo"] is True
    with sample_app.transaction() as session, pytest.raises(BeaconError) as refused:
        run_draw(
            session,
            PLAN,
            DICE,
            secrets=secrets,
            now=pin.time + timedelta(seconds=1),
            actor="tester",
            beacon_round=demo_round(pin.round),
            dice_at=NOW + timedelta(minutes=10),
        )
    assert refused.value.fault == "wrong-chain"


def test_the_demo_chain_needs_allow_demo_in_the_config() -> None:
    with pytest.raises(Exception, match="allow_demo"):
        BeaconSettings(chain="demo")


def test_dice_entered_after_the_round_is_out_are_refused(
    sample_app: App, secrets: SecretStore
) -> None:
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="before the pinned round"):
        run_draw(
            session,
            PLAN,
            DICE,
            secrets=secrets,
            now=pin.time + timedelta(seconds=30),
            actor="tester",
            beacon_round=demo_round(pin.round),
            allow_demo=True,
            dice_at=pin.time,  # the round is public at this instant: the dice could be chosen
        )


def test_the_draw_is_refused_before_the_round_exists(sample_app: App, secrets: SecretStore) -> None:
    row = _prepare(sample_app, secrets)
    pin = pin_of(row)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="does not exist yet"):
        run_draw(
            session,
            PLAN,
            DICE,
            secrets=secrets,
            now=pin.time - timedelta(seconds=1),
            actor="tester",
            beacon_round=demo_round(pin.round),
            allow_demo=True,
            dice_at=NOW,
        )


def test_dice_are_refused_when_none_are_expected_and_required_when_they_are(
    sample_app: App, secrets: SecretStore
) -> None:
    with_dice = _prepare(sample_app, secrets)
    without = _prepare(sample_app, secrets, plan=PLAN_NO_DICE)
    with sample_app.transaction() as session, pytest.raises(Exception, match="at least 20"):
        run_dr2(session, PLAN, with_dice, secrets=secrets, dice="123")
    with sample_app.transaction() as session, pytest.raises(Exception, match="takes no dice"):
        run_dr2(session, PLAN_NO_DICE, without, secrets=secrets, dice=DICE)


def test_abort_and_redo_only_through_a_recorded_supersede(
    sample_app: App, secrets: SecretStore
) -> None:
    row = _prepare(sample_app, secrets)
    with sample_app.transaction() as session:
        first, _ = run_dr2(session, PLAN, row, secrets=secrets)
    # a second prepare after seeing the result is refused without a public reason
    with pytest.raises(DrawStateError, match="--supersede --reason"):
        _prepare(sample_app, secrets)
    again = _prepare(sample_app, secrets, supersede_reason="the result did not suit us")
    with sample_app.transaction() as session:
        run_dr2(session, PLAN, again, secrets=secrets)
        entries = [
            (e.action, json.loads(e.payload))
            for e in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))
            if e.action.startswith("draw.")
        ]
        assert session.get(DrawRow, first.id).state == "superseded"
    prepares = [p for a, p in entries if a == "draw.prepare"]
    assert prepares[-1]["supersedes"] == {"attempt": 1, "reason": "the result did not suit us"}
    assert [a for a, _ in entries] == ["draw.prepare", "draw.run", "draw.prepare", "draw.run"]


def test_a_real_quicknet_round_end_to_end(sample_app: App, secrets: SecretStore) -> None:
    """A genuine League of Entropy round (tests/beacon/fixtures), pinned by a commitment made
    just before that round's time, accepted and drawn with."""
    real = case("quicknet-12040883")
    number = real.pin.round
    due = round_time(QUICKNET, number)
    ceremony = due - timedelta(seconds=61)  # round_after(ceremony + 60 s) is this round
    prepared_at = ceremony - timedelta(minutes=5)
    assert round_after(QUICKNET, ceremony, timedelta(seconds=60)) == number
    with sample_app.transaction() as session:
        row = prepare_draw(
            session, PLAN, secrets=secrets, now=prepared_at, actor="tester", ceremony_at=ceremony
        ).draw
    assert pin_of(row) == Pin(QUICKNET, number)
    with sample_app.transaction() as session:
        drawn, result = run_draw(
            session,
            PLAN,
            " ".join(DICE),  # typed with spaces: recorded without
            secrets=secrets,
            now=due + timedelta(seconds=2),
            actor="tester",
            beacon_round=real.raw,
            dice_at=ceremony,
        )
        stored = draw_files(session, drawn.id)
        run_entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "draw.run")
        ).one()
    randomness = BeaconRound(number, bytes.fromhex(json.loads(real.raw)["signature"])).randomness
    assert drawn.seed == derive_seed_dr2(drawn.commitment_hash, randomness, DICE, True).hex()
    assert (drawn.algorithm, drawn.entropy, drawn.state) == ("DR-2", DICE, "drawn")
    assert stored["beacon-round.json"] == real.raw
    assert {"selection.tsv", "bounds.tsv", "result.tsv", "risk-salt-key.hex"} <= set(stored)
    assert json.loads(run_entry.payload)["beacon_round"] == number
    assert json.loads(run_entry.payload)["beacon_randomness"] == randomness.hex()
    assert json.loads(run_entry.payload)["result_digest"] == result.digest == drawn.result_digest
