"""Round and time arithmetic: round r is produced at genesis + (r − 1) × period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dualrandom.beacon import (
    QUICKNET,
    Fault,
    Pin,
    current_round,
    round_after,
    round_time,
)
from dualrandom.beacon.chain import MAX_ROUND
from dualrandom.errors import BeaconError

GENESIS = datetime(2023, 8, 23, 15, 9, 27, tzinfo=UTC)  # 1692803367, quicknet round 1
BEIJING = timezone(timedelta(hours=8))
S = timedelta(seconds=1)
US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, GENESIS),
        (2, GENESIS + 3 * S),
        (123, GENESIS + 366 * S),
        (12040883, datetime(2024, 10, 14, 17, 13, 33, tzinfo=UTC)),
        (
            10**9,
            datetime(2118, 9, 16, 20, 29, 24, tzinfo=UTC),
        ),  # date -u -d @$((1692803367 + 2999999997))
    ],
)
def test_round_time(number: int, expected: datetime) -> None:
    assert round_time(QUICKNET, number) == expected
    assert round_time(QUICKNET, number).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (GENESIS - US, 0),
        (GENESIS, 1),
        (GENESIS + 3 * S - US, 1),
        (GENESIS + 3 * S, 2),
        (GENESIS + 366 * S, 123),
        (GENESIS + 368 * S, 123),
        (GENESIS + 369 * S, 124),
    ],
)
def test_current_round(moment: datetime, expected: int) -> None:
    assert current_round(QUICKNET, moment) == expected


@pytest.mark.parametrize(
    ("moment", "margin", "expected"),
    [
        # Long before genesis: round 1 is the first one after.
        (datetime(2000, 1, 1, tzinfo=UTC), timedelta(0), 1),
        (GENESIS - US, timedelta(0), 1),
        # Exactly at a round: that round is not *after*, the next is.
        (GENESIS, timedelta(0), 2),
        (GENESIS + 366 * S, timedelta(0), 124),
        (GENESIS + 366 * S - US, timedelta(0), 123),
        (GENESIS + 366 * S + US, timedelta(0), 124),
        # The margin moves the instant; a boundary reached through the margin too.
        (GENESIS + 300 * S, 66 * S, 124),
        (GENESIS + 300 * S, 66 * S - US, 123),
        (GENESIS, timedelta(minutes=10), 202),
    ],
)
def test_round_after(moment: datetime, margin: timedelta, expected: int) -> None:
    chosen = round_after(QUICKNET, moment, margin)
    assert chosen == expected
    # The defining property, independently of the formula:
    assert round_time(QUICKNET, chosen) > moment + margin
    if chosen > 1:
        assert round_time(QUICKNET, chosen - 1) <= moment + margin


def test_round_after_a_ceremony_in_beijing_time() -> None:
    """The time zone of the instant does not matter, only the instant."""
    ceremony = datetime(2026, 12, 14, 9, 30, tzinfo=BEIJING)  # 01:30 UTC
    chosen = round_after(QUICKNET, ceremony, timedelta(minutes=5))
    assert chosen == round_after(QUICKNET, ceremony.astimezone(UTC), timedelta(minutes=5))
    # 2026-12-14T01:35:00Z is 104,408,733 s after genesis, a multiple of 3:
    # a round is produced exactly then, so the one after it is pinned.
    assert round_time(QUICKNET, chosen) == datetime(2026, 12, 14, 1, 35, 3, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 12, 14, 9, 30)
    for call in (
        lambda: round_after(QUICKNET, naive),
        lambda: current_round(QUICKNET, naive),
    ):
        with pytest.raises(BeaconError) as caught:
            call()
        assert caught.value.fault == Fault.BAD_TIME
        assert "no time zone" in caught.value.english


def test_a_negative_margin_is_refused() -> None:
    with pytest.raises(BeaconError) as caught:
        round_after(QUICKNET, GENESIS, -S)
    assert caught.value.fault == Fault.BAD_TIME


@pytest.mark.parametrize("number", [0, -1, MAX_ROUND, MAX_ROUND + 1, True, 1.0])
def test_round_numbers_out_of_range_are_refused(number: object) -> None:
    """Not 1…2**64-1, not an int, or (2**64-1) a round whose time no datetime can hold."""
    with pytest.raises(BeaconError) as caught:
        round_time(QUICKNET, number)  # type: ignore[arg-type]
    assert caught.value.fault == Fault.BAD_TIME
    with pytest.raises(BeaconError):
        Pin(QUICKNET, number)  # type: ignore[arg-type]


def test_a_pin_knows_its_time_and_round_trips() -> None:
    pin = Pin(QUICKNET, 124)
    assert pin.time == GENESIS + 369 * S
    assert Pin.from_dict(pin.to_dict()) == pin
    with pytest.raises(BeaconError):
        Pin.from_dict({**pin.to_dict(), "extra": 1})
