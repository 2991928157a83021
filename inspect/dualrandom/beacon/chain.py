"""A drand chain's public parameters, and the clock of its rounds.

A :class:`Chain` is what a commitment pins before anyone can know a round's
value: which network signs (its chain hash and public key), when round 1 was
(genesis) and how often a round follows (period). drand identifies a chain by
a hash of those parameters; :func:`drand_chain_hash` recomputes it exactly as
drand does, and a :class:`Chain` whose stated hash does not follow from its
parameters cannot be built, so a pinned hash always binds the key.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dualrandom.beacon.faults import Fault
from dualrandom.errors import BeaconError

__all__ = [
    "DEMO_BEACON_PREFIX",
    "MAX_ROUND",
    "QUICKNET",
    "SCHEME_G1_RFC9380",
    "SUPPORTED_SCHEMES",
    "Chain",
    "chain_json",
    "current_round",
    "drand_chain_hash",
    "round_after",
    "round_time",
]

SCHEME_G1_RFC9380 = "bls-unchained-g1-rfc9380"
"""Unchained rounds, signatures on G1 (48 bytes), public key on G2 (96 bytes), RFC 9380 hashing."""

# Byte lengths of a compressed public key and signature, per scheme.
_KEY_LENGTH = {SCHEME_G1_RFC9380: 96}
_SIGNATURE_LENGTH = {SCHEME_G1_RFC9380: 48}
SUPPORTED_SCHEMES = frozenset(_KEY_LENGTH)

MAX_ROUND = 2**64 - 1  # drand's round numbers are unsigned 64-bit integers
DEMO_BEACON_PREFIX = "dualrandom-demo"
"""Beacon ids of demo chains start with this; since the id enters the chain
hash, a demo chain cannot be relabelled as a real one without changing its hash."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_BEACON_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_DEFAULT_BEACON_IDS = frozenset({"", "default"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def drand_chain_hash(
    *, period: int, genesis_time: int, public_key: bytes, genesis_seed: bytes, beacon_id: str
) -> str:
    """drand's chain hash, as ``Info.Hash`` in drand/drand ``common/chain/info.go`` computes it.

    SHA-256 of ``u32be(period) ‖ i64be(genesis_time) ‖ public key ‖ genesis
    seed``, followed by the beacon id unless that id is ``default`` or empty
    (kept so for the original chain). The scheme is not part of the hash.
    """
    digest = hashlib.sha256(struct.pack(">Iq", period, genesis_time))
    digest.update(public_key)
    digest.update(genesis_seed)
    if beacon_id not in _DEFAULT_BEACON_IDS:
        digest.update(beacon_id.encode("ascii"))
    return digest.hexdigest()


def _refuse(chinese: str, english: str) -> BeaconError:
    return BeaconError(Fault.BAD_CHAIN, chinese, english)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Chain:
    """The public parameters of one drand chain, validated at construction.

    ``label`` names the chain for people (it is shown wherever the chain is);
    it does not take part in equality, so a relabelled constant in a later
    version still equals the chain an old commitment pinned.
    """

    chain_hash: str  # 64 lowercase hex digits: drand's chain hash
    public_key: bytes  # the group public key, compressed (96 bytes on G2 for the G1 scheme)
    genesis_time: int  # Unix seconds of round 1
    period: int  # seconds from one round to the next
    scheme: str  # drand's scheme id
    genesis_seed: bytes  # drand's "group hash" / "genesis_seed", 32 bytes
    beacon_id: str  # drand's beacon id, e.g. "quicknet"
    label: str = field(compare=False)
    is_demo: bool = False

    def __post_init__(self) -> None:
        self._check_types()
        if self.scheme not in SUPPORTED_SCHEMES:
            raise _refuse(
                f"不支持信标方案 {self.scheme!r}；只支持 {SCHEME_G1_RFC9380}",
                f"beacon scheme {self.scheme!r} is not supported; only {SCHEME_G1_RFC9380} is",
            )
        key_length = _KEY_LENGTH[self.scheme]
        if len(self.public_key) != key_length:
            raise _refuse(
                f"公钥应为 {key_length} 字节，实为 {len(self.public_key)} 字节",
                f"the public key has {len(self.public_key)} bytes, not {key_length}",
            )
        if not _HEX64.fullmatch(self.chain_hash):
            raise _refuse(
                f"链哈希 {self.chain_hash!r} 不是 64 位小写十六进制",
                f"chain hash {self.chain_hash!r} is not 64 lowercase hex digits",
            )
        if self.period < 1 or self.genesis_time < 1 or len(self.genesis_seed) != 32:
            raise _refuse(
                f"周期 {self.period} 秒、创世时间 {self.genesis_time} 或创世种子长度 "
                f"{len(self.genesis_seed)} 无效",
                f"period {self.period} s, genesis time {self.genesis_time} or genesis seed "
                f"length {len(self.genesis_seed)} is invalid",
            )
        self._check_identity()

    def _check_types(self) -> None:
        texts = (self.chain_hash, self.scheme, self.beacon_id, self.label)
        blobs = (self.public_key, self.genesis_seed)
        if (
            not all(isinstance(t, str) for t in texts)
            or not all(isinstance(b, bytes) for b in blobs)
            or not (_is_int(self.period) and _is_int(self.genesis_time))
            or not isinstance(self.is_demo, bool)
        ):
            raise _refuse("信标链参数类型错误", "a beacon chain parameter has the wrong type")

    def _check_identity(self) -> None:
        if not _BEACON_ID.fullmatch(self.beacon_id) or not self.label.strip():
            raise _refuse(
                f"信标 id {self.beacon_id!r} 或名称 {self.label!r} 无效",
                f"beacon id {self.beacon_id!r} or label {self.label!r} is invalid",
            )
        if self.is_demo != self.beacon_id.startswith(DEMO_BEACON_PREFIX):
            raise _refuse(
                f"演示标志与信标 id {self.beacon_id!r} 不符：演示链的 id 必须以 "
                f"{DEMO_BEACON_PREFIX} 开头，真实链的不得如此",
                f"is_demo={self.is_demo} contradicts beacon id {self.beacon_id!r}: demo chains, "
                f"and only they, have ids starting with {DEMO_BEACON_PREFIX!r}",
            )
        if self.is_demo and "演示" not in self.label:
            raise _refuse(
                f"演示链的名称必须写明“演示”：{self.label!r}",
                f"a demo chain's label must say 演示 (demo): {self.label!r}",
            )
        derived = drand_chain_hash(
            period=self.period,
            genesis_time=self.genesis_time,
            public_key=self.public_key,
            genesis_seed=self.genesis_seed,
            beacon_id=self.beacon_id,
        )
        if derived != self.chain_hash:
            raise _refuse(
                f"链哈希 {self.chain_hash} 与链参数不符（按 drand 的算法应为 {derived}）",
                f"chain hash {self.chain_hash} does not follow from the chain's parameters "
                f"(drand's derivation gives {derived})",
            )

    @property
    def signature_length(self) -> int:
        """Bytes of one round's signature under this chain's scheme."""
        return _SIGNATURE_LENGTH[self.scheme]

    @property
    def genesis(self) -> datetime:
        """The instant of round 1, in UTC."""
        return _EPOCH + timedelta(seconds=self.genesis_time)

    def to_dict(self) -> dict[str, Any]:
        """The chain as JSON-ready values (bytes as lowercase hex), for a commitment or bundle."""
        return {
            "chain_hash": self.chain_hash,
            "public_key": self.public_key.hex(),
            "genesis_time": self.genesis_time,
            "period": self.period,
            "scheme": self.scheme,
            "genesis_seed": self.genesis_seed.hex(),
            "beacon_id": self.beacon_id,
            "label": self.label,
            "is_demo": self.is_demo,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Chain:
        """The chain :meth:`to_dict` wrote; refuses unknown or missing keys and bad hex."""
        expected = set(cls.__dataclass_fields__)
        if not isinstance(data, Mapping) or set(data) != expected:
            keys = sorted(data) if isinstance(data, Mapping) else type(data).__name__
            raise _refuse(
                f"信标链参数的键应为 {sorted(expected)}，实为 {keys}",
                f"beacon chain keys must be {sorted(expected)}, not {keys}",
            )
        try:
            public_key = bytes.fromhex(data["public_key"])
            genesis_seed = bytes.fromhex(data["genesis_seed"])
        except (TypeError, ValueError):
            raise _refuse(
                "信标链的公钥或创世种子不是十六进制", "public_key or genesis_seed is not hex"
            ) from None
        values = {**data, "public_key": public_key, "genesis_seed": genesis_seed}
        return cls(**values)


QUICKNET = Chain(
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key=bytes.fromhex(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    genesis_time=1692803367,
    period=3,
    scheme=SCHEME_G1_RFC9380,
    genesis_seed=bytes.fromhex("f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e"),
    beacon_id="quicknet",
    label="熵联盟 quicknet 公共随机信标 / League of Entropy drand quicknet",
)
"""The League of Entropy's quicknet: a round every 3 s since 2023-08-23 (drand chain info)."""


def _check_moment(moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise BeaconError(
            Fault.BAD_TIME,
            f"时刻 {moment!r} 没有时区；请给出带时区的时间",
            f"instant {moment!r} has no time zone; pass a timezone-aware datetime",
        )


def _check_round(number: int) -> None:
    if not _is_int(number) or not 1 <= number <= MAX_ROUND:
        raise BeaconError(
            Fault.BAD_TIME,
            f"信标轮次 {number!r} 超出范围 1…2⁶⁴−1",
            f"beacon round {number!r} is outside 1…2**64-1",
        )


def round_time(chain: Chain, number: int) -> datetime:
    """When round ``number`` is produced: genesis + (number − 1) × period, in UTC."""
    _check_round(number)
    try:
        return chain.genesis + timedelta(seconds=(number - 1) * chain.period)
    except OverflowError:
        raise BeaconError(
            Fault.BAD_TIME,
            f"信标轮次 {number} 的时间超出可表示的范围（公元 9999 年以后）",
            f"beacon round {number} lies beyond the year 9999",
        ) from None


def current_round(chain: Chain, moment: datetime) -> int:
    """The newest round at ``moment`` (0 before genesis): the round a relay serves as latest."""
    _check_moment(moment)
    elapsed = moment - chain.genesis
    if elapsed < timedelta(0):
        return 0
    return elapsed // timedelta(seconds=chain.period) + 1


def round_after(chain: Chain, moment: datetime, margin: timedelta = timedelta(0)) -> int:
    """The first round produced strictly after ``moment + margin``.

    This is the round a commitment pins: nobody, the operator included, can
    know its value at ``moment``, and ``margin`` leaves time for the announced
    ceremony to start. A round produced exactly at ``moment + margin`` is not
    after it, so the next one is chosen. Exact: whole microseconds, no floats.
    """
    _check_moment(moment)
    if not isinstance(margin, timedelta) or margin < timedelta(0):
        raise BeaconError(
            Fault.BAD_TIME,
            f"余量 {margin!r} 不能为负",
            f"margin {margin!r} must be a non-negative timedelta",
        )
    # current_round(t) rounds have been produced by t (round 1 at genesis);
    # the next one is the first strictly later.
    return current_round(chain, moment + margin) + 1


def chain_json(chain: Chain) -> dict[str, Any]:
    """A chain as a DR-2 commitment pins it (SPEC §17: ``beacon.chain``)."""
    return {
        "demo": chain.is_demo,
        "genesis": chain.genesis.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hash": chain.chain_hash,
        "label": chain.label,
        "period": chain.period,
        "public_key": chain.public_key.hex(),
        "scheme": chain.scheme,
    }
