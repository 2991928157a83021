"""The stdlib-only checker agrees with the library on every fixture, and says when it could not check."""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, Pin, accept_round, parse_round
from dualrandom.errors import BeaconError
from tests.beacon.cases import RoundCase, case, round_cases

SOURCE = Path(__file__).resolve().parents[2] / "inspect" / "dualrandom" / "beacon" / "standalone.py"


@pytest.fixture(scope="module")
def standalone() -> ModuleType:
    """The file loaded on its own, as verify.py would carry it: not as part of dualrandom."""
    spec = importlib.util.spec_from_file_location("copied_beacon_check", SOURCE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_bls(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """py_ecc cannot be imported (None in sys.modules makes every import of it fail)."""
    for name in [n for n in sys.modules if n == "py_ecc" or n.startswith("py_ecc.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "py_ecc", None)
    yield


def test_it_imports_only_the_standard_library_and_py_ecc() -> None:
    allowed = set(sys.stdlib_module_names) | {"py_ecc", "__future__"}
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            names = [node.module or ""]
        for name in names:
            assert name.split(".")[0] in allowed, name


def _library_verdict(found: RoundCase, allow_demo: bool) -> tuple[bool, str]:
    try:
        accept_round(Pin.from_dict(found.pin.to_dict()), found.raw, allow_demo=allow_demo)
    except BeaconError as exc:
        return False, exc.fault
    return True, ""


# Every fixture as a real draw sees it; the demo's own rounds also as the demo sees them.
AGREEMENT = [(c, False) for c in round_cases()]
AGREEMENT += [(c, True) for c in round_cases() if c.pin.chain.is_demo]


@pytest.mark.parametrize(
    ("found", "allow_demo"),
    AGREEMENT,
    ids=[f"{c.name}{'-demo-allowed' if allowed else ''}" for c, allowed in AGREEMENT],
)
def test_it_agrees_with_the_library_on_every_fixture(
    standalone: ModuleType, found: RoundCase, allow_demo: bool
) -> None:
    verdict = standalone.check_beacon_round(found.pin.to_dict(), found.raw, allow_demo=allow_demo)
    accepted, fault = _library_verdict(found, allow_demo)
    assert (verdict.ok, verdict.fault) == (accepted, fault)
    assert verdict.status == ("verified" if accepted else "refused")
    if accepted:
        assert verdict.demo == (found.pin.chain == DEMO_CHAIN)
        assert verdict.randomness == parse_round(found.pin.chain, found.raw).randomness.hex()


def _tampered_pins() -> list[tuple[str, dict[str, Any]]]:
    pin = Pin(QUICKNET, 123).to_dict()
    chain = pin["chain"]
    return [
        ("wrong-hash", {**pin, "chain": {**chain, "chain_hash": DEMO_CHAIN.chain_hash}}),
        ("other-key", {**pin, "chain": {**chain, "public_key": DEMO_CHAIN.public_key.hex()}}),
        ("chained-scheme", {**pin, "chain": {**chain, "scheme": "pedersen-bls-chained"}}),
        ("demo-flag", {**pin, "chain": {**chain, "is_demo": True}}),
        ("extra-key", {**pin, "note": "x"}),
        ("round-zero", {**pin, "round": 0}),
        ("demo-unallowed", Pin(DEMO_CHAIN, 123).to_dict()),
    ]


@pytest.mark.parametrize(("name", "pinned"), _tampered_pins(), ids=[n for n, _ in _tampered_pins()])
def test_it_agrees_on_tampered_pins(
    standalone: ModuleType, name: str, pinned: dict[str, Any]
) -> None:
    raw = case("quicknet-123").raw
    verdict = standalone.check_beacon_round(pinned, raw)
    with pytest.raises(BeaconError) as caught:
        accept_round(Pin.from_dict(pinned), raw)
    assert not verdict.ok
    assert verdict.fault == caught.value.fault


@pytest.mark.usefixtures("no_bls")
@pytest.mark.parametrize("found", round_cases(), ids=lambda c: c.name)
def test_without_a_bls_library_it_says_so_plainly(standalone: ModuleType, found: RoundCase) -> None:
    verdict = standalone.check_beacon_round(found.pin.to_dict(), found.raw, allow_demo=True)
    signature_faults = {"bad-signature", "invalid-point"}
    if found.accepted or found.expect in signature_faults:
        # Everything the standard library can check passed; the signature was not checked.
        assert verdict.status == "signature-not-checked"
        assert verdict.ok and verdict.fault == ""
        assert str(verdict).startswith("signature not checked: no BLS library (pip install py_ecc)")
        assert "未检查签名" in verdict.message
    else:
        assert (verdict.status, verdict.fault) == ("refused", found.expect)


def test_the_no_bls_fixture_really_hides_py_ecc(no_bls: None) -> None:
    with pytest.raises(ImportError):
        import py_ecc.bls.hash_to_curve  # noqa: F401


def test_a_verified_verdict_reads_plainly(standalone: ModuleType) -> None:
    verdict = standalone.check_beacon_round(Pin(QUICKNET, 123).to_dict(), case("quicknet-123").raw)
    assert str(verdict) == "verified: round 123 of League of Entropy quicknet, BLS signature valid"
    assert verdict.message == "已验证：熵联盟 quicknet 第 123 轮，BLS 签名有效"
    demo = standalone.check_beacon_round(
        Pin(DEMO_CHAIN, 42).to_dict(), case("demo-42").raw, allow_demo=True
    )
    assert demo.demo and "proves nothing" in str(demo)


def test_the_constants_it_carries_are_the_librarys(standalone: ModuleType) -> None:
    assert QUICKNET.chain_hash == standalone.QUICKNET_CHAIN_HASH
    assert DEMO_CHAIN.chain_hash == standalone.DEMO_CHAIN_HASH
    assert QUICKNET.scheme == standalone.SCHEME
    from dualrandom.beacon import _bls

    assert standalone.DST == _bls.DST_G1
