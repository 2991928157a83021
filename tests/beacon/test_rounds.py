"""Reading a round's JSON strictly: exact keys, integer round, hex lengths, randomness = SHA-256(signature)."""

from __future__ import annotations

import hashlib
import json

import pytest

from dualrandom.beacon import QUICKNET, BeaconRound, Fault, parse_round
from dualrandom.beacon.rounds import MAX_ROUND_BYTES
from dualrandom.errors import BeaconError
from tests.beacon.cases import case, real_cases, round_cases

SIGNATURE_123 = bytes.fromhex(
    "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"
)


@pytest.mark.parametrize("name", [c.name for c in real_cases()])
def test_real_rounds_parse(name: str) -> None:
    found = case(name)
    beacon = parse_round(QUICKNET, found.raw)
    assert beacon.number == found.pin.round
    document = json.loads(found.raw)
    assert beacon.signature.hex() == document["signature"]
    if "randomness" in document:
        assert beacon.randomness.hex() == document["randomness"]


def test_randomness_is_sha256_of_the_signature_as_published_by_drand() -> None:
    """drand's definition, checked on rounds whose randomness drand's docs and clients published."""
    published = [case("default-chain-5347804"), case("default-chain-1-no-previous")]
    published += [case("quicknet-657413")]
    for found in published:
        document = json.loads(found.raw)
        signature = bytes.fromhex(document["signature"])
        assert hashlib.sha256(signature).hexdigest() == document["randomness"], found.name


def test_the_v2_form_without_randomness_is_read() -> None:
    beacon = parse_round(QUICKNET, case("quicknet-42-docs").raw)
    assert beacon.number == 42
    assert beacon.randomness == hashlib.sha256(beacon.signature).digest()


def test_to_json_is_what_a_relay_serves() -> None:
    """drand's v1 relay form: compact, keys round, randomness, signature."""
    found = case("quicknet-123")
    beacon = parse_round(QUICKNET, found.raw)
    assert beacon.to_json() == found.raw
    assert parse_round(QUICKNET, beacon.to_json()) == beacon


@pytest.mark.parametrize(
    "found",
    [c for c in round_cases() if c.expect in ("malformed", "randomness-mismatch")],
    ids=lambda c: c.name,
)
def test_malformed_fixtures_are_refused_at_parsing(found: object) -> None:
    with pytest.raises(BeaconError) as caught:
        parse_round(QUICKNET, found.raw)  # type: ignore[attr-defined]
    assert caught.value.fault == found.expect  # type: ignore[attr-defined]


def _raw(**document: object) -> bytes:
    return json.dumps(document).encode()


GOOD = {
    "round": 123,
    "randomness": hashlib.sha256(SIGNATURE_123).hexdigest(),
    "signature": SIGNATURE_123.hex(),
}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (_raw(**{**GOOD, "round": True}), "round True"),
        (_raw(**{**GOOD, "round": 0}), "round 0"),
        (_raw(**{**GOOD, "round": -5}), "round -5"),
        (_raw(**{**GOOD, "round": 2**64}), "round 18446744073709551616"),
        (_raw(**{**GOOD, "round": None}), "round None"),
        (_raw(**{**GOOD, "signature": 7}), "signature is not lowercase hex"),
        (
            _raw(**{**GOOD, "signature": SIGNATURE_123.hex() + "0"}),
            "signature is not lowercase hex",
        ),
        (_raw(**{**GOOD, "signature": SIGNATURE_123.hex() * 2}), "not 96"),
        (_raw(**{**GOOD, "randomness": GOOD["randomness"][:-2]}), "not 31"),
        (_raw(round=123), "keys are ['round']"),
        (_raw(signature=SIGNATURE_123.hex()), "keys are ['signature']"),
        (_raw(**GOOD, previous_signature="00"), "previous_signature"),
        (b"\xff\xfe{}", "not UTF-8 JSON"),
        (b'"a string"', "not a JSON object"),
        (b"[" * 100_000, "far too large"),
        (b"[" * 60_000 + b"]" * 60_000, "far too large"),
        (b"[[]]", "not a JSON object"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_malformation_is_named(raw: bytes, named: str) -> None:
    with pytest.raises(BeaconError) as caught:
        parse_round(QUICKNET, raw)
    assert caught.value.fault == Fault.MALFORMED
    assert named in caught.value.english
    assert caught.value.message.startswith("信标轮次数据格式错误")


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    raw = b'{"round":' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    with pytest.raises(BeaconError) as caught:
        parse_round(QUICKNET, raw)
    assert caught.value.fault == Fault.MALFORMED


def test_a_byte_order_mark_and_whitespace_are_fine() -> None:
    """A file saved by a Windows editor, or pretty-printed by jq, is still the round."""
    raw = "\ufeff" + json.dumps(GOOD, indent=4) + "\r\n"
    assert parse_round(QUICKNET, raw.encode("utf-8")).number == 123


def test_largest_accepted_input() -> None:
    padded = _raw(**GOOD).replace(b"{", b"{" + b" " * (MAX_ROUND_BYTES - len(_raw(**GOOD))), 1)
    assert len(padded) == MAX_ROUND_BYTES
    assert parse_round(QUICKNET, padded).number == 123
    with pytest.raises(BeaconError):
        parse_round(QUICKNET, b" " + padded)


def test_a_beacon_round_refuses_invalid_state() -> None:
    with pytest.raises(BeaconError):
        BeaconRound(0, SIGNATURE_123)
    with pytest.raises(BeaconError):
        BeaconRound(1, b"")
