"""Check a drand beacon round with Python's standard library alone (and py_ecc, if installed).

Written to be copied into a bundle's stdlib-only ``verify.py``: it imports
nothing from dual-random, only the standard library, and py_ecc when it is
importable. It is a second implementation of what ``dualrandom.beacon``
does, from docs/BEACON.md, and reports the same fault words.

:func:`check_beacon_round` takes the pin a commitment recorded
(``{"chain": {...}, "round": R}``) and a round's JSON bytes, and checks,
in order: the pinned chain's parameters hash to its chain hash as drand
computes it; that chain is the League of Entropy's quicknet (or, only where
the caller allows it, the demo chain); the bytes are a round in drand's
JSON; randomness = SHA-256(signature); the round is the pinned one; and,
when py_ecc can be imported, the BLS signature. It never raises on bad
input: it returns a :class:`BeaconVerdict`, whose ``status`` is

* ``verified`` - everything above holds, the signature included;
* ``signature-not-checked`` - everything but the signature holds, and no
  BLS library could be imported (``pip install py_ecc`` to check it);
* ``refused`` - ``fault`` names the first check that failed.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BLS_INSTALL_HINT", "BeaconVerdict", "check_beacon_round"]

QUICKNET_CHAIN_HASH = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
DEMO_CHAIN_HASH = "c925f6147b60bce971b935ecd782d72b2a5d761d543f06d5af8d2c7e12317aad"
SCHEME = "bls-unchained-g1-rfc9380"
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DEMO_PREFIX = "dualrandom-demo"
BLS_INSTALL_HINT = "pip install py_ecc"
CHAIN_KEYS = frozenset(
    {
        "chain_hash",
        "public_key",
        "genesis_time",
        "period",
        "scheme",
        "genesis_seed",
        "beacon_id",
        "label",
        "is_demo",
    }
)
HEX = re.compile(r"(?:[0-9a-f]{2})*")
MAX_BYTES = 64 * 1024
MAX_ROUND = 2**64 - 1


@dataclass(frozen=True)
class BeaconVerdict:
    """The outcome: ``status``, the fault word if refused, and one line for people."""

    status: str  # "verified" | "signature-not-checked" | "refused"
    fault: str  # "" unless refused
    message: str  # Chinese
    english: str
    randomness: str = ""  # hex SHA-256(signature), once the round was read
    demo: bool = False  # the pinned chain is the demo chain: the round proves nothing

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def __str__(self) -> str:
        return self.english


class _Refusal(Exception):
    def __init__(self, fault: str, message: str, english: str) -> None:
        super().__init__(english)
        self.fault, self.message, self.english = fault, message, english


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hex(value: object, length: int, what: str, fault: str) -> bytes:
    if not isinstance(value, str) or not HEX.fullmatch(value) or len(value) != 2 * length:
        raise _Refusal(
            fault,
            f"{what} 不是 {length} 字节的小写十六进制",
            f"{what} is not {length} bytes of lowercase hex",
        )
    return bytes.fromhex(value)


def _chain(pinned: object, allow_demo: bool) -> tuple[dict[str, Any], int]:
    """The pinned chain and round, once the chain is known and consistent."""
    bad = "bad-chain"
    if not isinstance(pinned, Mapping) or set(pinned) != {"chain", "round"}:
        raise _Refusal(bad, "信标锁定应只有 chain 与 round", "the pin must have chain and round")
    chain, number = pinned["chain"], pinned["round"]
    if not isinstance(chain, Mapping) or set(chain) != CHAIN_KEYS:
        raise _Refusal(bad, "信标链参数的键不对", "the pinned chain has the wrong keys")
    period, genesis, beacon_id = chain["period"], chain["genesis_time"], chain["beacon_id"]
    label, is_demo = chain["label"], chain["is_demo"]
    if (
        chain["scheme"] != SCHEME
        or not (_is_int(period) and _is_int(genesis) and isinstance(beacon_id, str))
        or not (period >= 1 and genesis >= 1 and isinstance(is_demo, bool))
        or not (isinstance(label, str) and label.strip())
        or is_demo != beacon_id.startswith(DEMO_PREFIX)
        or (is_demo and "演示" not in label)
    ):
        raise _Refusal(bad, "信标链参数无效", "the pinned chain's parameters are invalid")
    key = _hex(chain["public_key"], 96, "public_key", bad)
    seed = _hex(chain["genesis_seed"], 32, "genesis_seed", bad)
    # drand/drand common/chain/info.go, Info.Hash
    digest = hashlib.sha256(struct.pack(">Iq", period, genesis) + key + seed)
    if beacon_id not in ("", "default"):
        digest.update(beacon_id.encode("ascii"))
    if digest.hexdigest() != chain["chain_hash"]:
        raise _Refusal(
            bad, "链哈希与链参数不符", "the chain hash does not follow from its parameters"
        )
    if not _is_int(number) or not 1 <= number <= MAX_ROUND:
        raise _Refusal(
            "bad-time", f"锁定的轮次 {number!r} 无效", f"pinned round {number!r} is invalid"
        )
    trusted = {QUICKNET_CHAIN_HASH} | ({DEMO_CHAIN_HASH} if allow_demo else set())
    if chain["chain_hash"] not in trusted:
        raise _Refusal(
            "wrong-chain",
            f"信标链 {chain['chain_hash']} 不是熵联盟 quicknet",
            f"beacon chain {chain['chain_hash']} is not the League of Entropy's quicknet",
        )
    return dict(chain), number


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Refusal("malformed", "JSON 中有重复的键", "a key appears twice in the JSON")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _Refusal("malformed", f"不允许 {name}", f"{name} is not allowed")


def _round(raw: bytes) -> tuple[int, bytes]:
    """The round number and signature, once the bytes are a well-formed round."""
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        document = json.loads(
            raw.decode("utf-8-sig"), object_pairs_hook=_unique, parse_constant=_no_constant
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise _Refusal(
            "malformed", f"不是信标轮次的 JSON：{exc}", f"not a round's JSON: {exc}"
        ) from None
    if not isinstance(document, dict) or not (
        {"round", "signature"} <= set(document) <= {"round", "signature", "randomness"}
    ):
        raise _Refusal(
            "malformed",
            "键应为 round、signature，可选 randomness",
            "the keys must be round, signature and optionally randomness",
        )
    number = document["round"]
    if not _is_int(number) or not 1 <= number <= MAX_ROUND:
        raise _Refusal("malformed", f"round {number!r} 无效", f"round {number!r} is invalid")
    signature = _hex(document["signature"], 48, "signature", "malformed")
    if "randomness" in document:
        randomness = _hex(document["randomness"], 32, "randomness", "malformed")
        if randomness != hashlib.sha256(signature).digest():
            raise _Refusal(
                "randomness-mismatch",
                "randomness 不等于 SHA-256(signature)",
                "randomness is not SHA-256(signature)",
            )
    return number, signature


# The pairing check is a pure function of (key, round, signature) and takes
# about a second in pure Python: a process that checks one round again (the
# tests check one bundle in many altered copies) pays for it once.
_SIGNATURES: dict[tuple[bytes, int, bytes], str] = {}


def _bls_verifier() -> Callable[[bytes, int, bytes], str] | None:
    """A function (key, round, signature) -> fault word or "", or None without py_ecc."""
    try:
        from py_ecc.bls.g2_primitives import subgroup_check
        from py_ecc.bls.hash_to_curve import hash_to_G1
        from py_ecc.bls.point_compression import decompress_G1, decompress_G2
        from py_ecc.bls.typing import G1Compressed, G2Compressed
        from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
        from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, neg
        from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing
    except ImportError:
        return None

    def verify(key: bytes, number: int, signature: bytes) -> str:
        try:
            sigma = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
        except ValueError:
            return "invalid-point"
        if is_inf(sigma) or not subgroup_check(sigma):
            return "invalid-point"
        try:
            halves = (int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big"))
            public = decompress_G2(G2Compressed(halves))
        except ValueError:
            return "bad-chain"
        if is_inf(public) or not subgroup_check(public):
            return "bad-chain"
        message = hashlib.sha256(number.to_bytes(8, "big")).digest()
        hashed = hash_to_G1(message, DST, hashlib.sha256)  # type: ignore[arg-type]
        product = pairing(G2, neg(sigma), final_exponentiate=False) * pairing(
            public, hashed, final_exponentiate=False
        )
        return "" if final_exponentiate(product) == FQ12.one() else "bad-signature"

    return verify


def check_beacon_round(
    pinned: Mapping[str, Any], raw: bytes, *, allow_demo: bool = False
) -> BeaconVerdict:
    """Check round JSON ``raw`` against the ``pinned`` chain and round; see the module docstring."""
    try:
        chain, pinned_round = _chain(pinned, allow_demo)
        number, signature = _round(raw)
        if number != pinned_round:
            raise _Refusal(
                "wrong-round",
                f"这是第 {number} 轮，锁定的是第 {pinned_round} 轮",
                f"this is round {number}, but round {pinned_round} was pinned",
            )
    except _Refusal as refusal:
        return BeaconVerdict(
            "refused",
            refusal.fault,
            refusal.message,
            f"refused ({refusal.fault}): {refusal.english}",
        )
    randomness = hashlib.sha256(signature).hexdigest()
    demo = bool(chain["is_demo"])
    name = "演示链（私钥公开，不证明任何事）" if demo else "熵联盟 quicknet"
    name_en = (
        "the demo chain (public key, proves nothing)" if demo else "League of Entropy quicknet"
    )
    verify = _bls_verifier()
    if verify is None:
        return BeaconVerdict(
            "signature-not-checked",
            "",
            f"未检查签名：没有 BLS 库（{BLS_INSTALL_HINT}）；第 {number} 轮的其余各项均符合",
            f"signature not checked: no BLS library ({BLS_INSTALL_HINT}); "
            f"round {number} of {name_en} passed every other check",
            randomness,
            demo,
        )
    checked = (bytes.fromhex(chain["public_key"]), number, signature)
    if checked not in _SIGNATURES:
        if len(_SIGNATURES) >= 256:
            _SIGNATURES.clear()
        _SIGNATURES[checked] = verify(*checked)
    fault = _SIGNATURES[checked]
    if fault:
        return BeaconVerdict(
            "refused",
            fault,
            f"第 {number} 轮的 BLS 签名无效（{fault}）",
            f"refused ({fault}): the BLS signature of round {number} does not verify",
            randomness,
            demo,
        )
    return BeaconVerdict(
        "verified",
        "",
        f"已验证：{name} 第 {number} 轮，BLS 签名有效",
        f"verified: round {number} of {name_en}, BLS signature valid",
        randomness,
        demo,
    )
