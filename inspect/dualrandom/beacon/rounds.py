"""One beacon round as drand publishes it, read strictly; and the pin a commitment makes.

A relay answers ``GET /{chain hash}/public/{round}`` with
``{"round": 123, "randomness": "…", "signature": "…"}``. For unchained
schemes there is no ``previous_signature``. drand's v2 API leaves
``randomness`` out, since it is only ``SHA-256(signature)``: it may be
absent here too, and when present it must be exactly that.

Parsing is strict because a round file can come from anywhere: unknown or
duplicate keys, a round that is not an integer, upper-case or wrong-length
hex are all refused, each with the reason named. Parsing proves nothing
about the signature; :func:`dualrandom.beacon.verify.accept_round` does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dualrandom.beacon.chain import MAX_ROUND, Chain, round_time
from dualrandom.beacon.faults import Fault
from dualrandom.errors import BeaconError

__all__ = ["MAX_ROUND_BYTES", "BeaconRound", "Pin", "parse_round"]

MAX_ROUND_BYTES = 64 * 1024  # a round is ~200 bytes; anything far larger is not one
_REQUIRED = frozenset({"round", "signature"})
_ALLOWED = _REQUIRED | {"randomness"}
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def _malformed(chinese: str, english: str) -> BeaconError:
    return BeaconError(
        Fault.MALFORMED, f"信标轮次数据格式错误：{chinese}", f"malformed beacon round: {english}"
    )


@dataclass(frozen=True, slots=True)
class BeaconRound:
    """A round's number and signature; its randomness follows from the signature.

    Nothing here says the signature is genuine: that is
    :func:`dualrandom.beacon.verify.verify_round`'s job.
    """

    number: int
    signature: bytes

    def __post_init__(self) -> None:
        number_ok = isinstance(self.number, int) and not isinstance(self.number, bool)
        if not number_ok or not 1 <= self.number <= MAX_ROUND:
            raise _malformed(
                f"轮次 {self.number!r} 不是 1…2⁶⁴−1 之间的整数",
                f"round {self.number!r} is not an integer in 1…2**64-1",
            )
        if not isinstance(self.signature, bytes) or not self.signature:
            raise _malformed("签名为空", "the signature is empty")

    @property
    def randomness(self) -> bytes:
        """SHA-256 of the signature: drand's definition of a round's randomness."""
        return hashlib.sha256(self.signature).digest()

    def to_json(self) -> bytes:
        """The round as a relay's v1 API serves it, compact, in drand's key order."""
        document = {
            "round": self.number,
            "randomness": self.randomness.hex(),
            "signature": self.signature.hex(),
        }
        return json.dumps(document, separators=(",", ":")).encode("ascii")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise _malformed(f"键 {repeated} 出现多次", f"key(s) {repeated} appear more than once")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _malformed(f"不允许 {name}", f"{name} is not allowed")


def _load_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_ROUND_BYTES:
        raise _malformed(f"数据有 {len(raw)} 字节，过大", f"{len(raw)} bytes is far too large")
    try:
        text = raw.decode("utf-8-sig")
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _malformed(f"不是 UTF-8 JSON（{exc}）", f"not UTF-8 JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _malformed("顶层不是 JSON 对象", "the top level is not a JSON object")
    keys = set(document)
    if not _REQUIRED <= keys <= _ALLOWED:
        raise _malformed(
            f"键为 {sorted(keys)}；应为 round、signature，可选 randomness"
            "（链式方案的 previous_signature 不属于本方案）",
            f"keys are {sorted(keys)}; expected round, signature and optionally randomness "
            "(a chained scheme's previous_signature does not belong to this scheme)",
        )
    return document


def _hex_field(document: Mapping[str, Any], key: str, length: int) -> bytes:
    value = document[key]
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise _malformed(f"{key} 不是小写十六进制", f"{key} is not lowercase hex")
    if len(value) != 2 * length:
        raise _malformed(
            f"{key} 应为 {length} 字节（{2 * length} 位十六进制），实为 {len(value) // 2} 字节",
            f"{key} must be {length} bytes ({2 * length} hex digits), not {len(value) // 2}",
        )
    return bytes.fromhex(value)


def parse_round(chain: Chain, raw: bytes) -> BeaconRound:
    """Read one round of ``chain`` from a relay's (or a saved file's) JSON bytes.

    Refuses (``malformed``) anything but ``round``, ``signature`` and an
    optional ``randomness``; a signature of the wrong length for the chain's
    scheme; and (``randomness-mismatch``) a randomness that is not
    SHA-256(signature).
    """
    document = _load_object(raw)
    number = document["round"]
    if not isinstance(number, int) or isinstance(number, bool):
        raise _malformed(f"round {number!r} 不是整数", f"round {number!r} is not an integer")
    signature = _hex_field(document, "signature", chain.signature_length)
    beacon = BeaconRound(number, signature)
    if "randomness" in document:
        randomness = _hex_field(document, "randomness", 32)
        if randomness != beacon.randomness:
            raise BeaconError(
                Fault.RANDOMNESS,
                f"第 {number} 轮的 randomness 不等于 SHA-256(signature)：数据被改动过",
                f"round {number}: randomness is not SHA-256(signature); the data was altered",
            )
    return beacon


@dataclass(frozen=True, slots=True)
class Pin:
    """What a commitment fixes before the draw: the chain, and the one round to use."""

    chain: Chain
    round: int

    def __post_init__(self) -> None:
        round_time(self.chain, self.round)  # refuses a round outside 1…2**64-1

    @property
    def time(self) -> datetime:
        """When the pinned round is produced (UTC)."""
        return round_time(self.chain, self.round)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"chain": {…}, "round": R}``."""
        return {"chain": self.chain.to_dict(), "round": self.round}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pin:
        """The pin :meth:`to_dict` wrote; the chain is validated as it is rebuilt."""
        if not isinstance(data, Mapping) or set(data) != {"chain", "round"}:
            raise BeaconError(
                Fault.BAD_CHAIN,
                "信标锁定应只有 chain 与 round 两个键",
                "a beacon pin has exactly the keys chain and round",
            )
        return cls(Chain.from_dict(data["chain"]), data["round"])
