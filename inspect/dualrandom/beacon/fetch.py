"""Getting a round's JSON: from drand's HTTP relays, or from a file saved anywhere.

Relays are mirrors, not authorities: a round is as good as its signature,
whoever served it. :func:`fetch_round` therefore tries the relays in turn and
keeps the first answer that parses as the wanted round and verifies under
the chain's key, so one relay that is down or lies costs nothing while
another answers honestly. It returns the bytes exactly as served, for the
bundle; the caller still accepts them with
:func:`dualrandom.beacon.verify.accept_round`, which decides.

Standard library only (urllib): no HTTP client to install or trust.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from http.client import HTTPException
from pathlib import Path

from dualrandom.beacon.chain import Chain, round_time
from dualrandom.beacon.faults import Fault
from dualrandom.beacon.rounds import MAX_ROUND_BYTES, parse_round
from dualrandom.beacon.verify import verify_round
from dualrandom.errors import BeaconError

__all__ = ["DEFAULT_RELAYS", "fetch_round", "load_round_file", "round_url"]

DEFAULT_RELAYS: tuple[str, ...] = (
    "https://api.drand.sh",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
    "https://drand.cloudflare.com",
)
"""The League of Entropy's public HTTP relays (drand documentation, "HTTP API")."""

_USER_AGENT = "dual-random (beacon fetch)"


def round_url(relay: str, chain: Chain, number: int) -> str:
    """drand's v1 HTTP API: ``{relay}/{chain hash}/public/{round}``."""
    return f"{relay.rstrip('/')}/{chain.chain_hash}/public/{number}"


def _download(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": _USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_ROUND_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open
        raise ValueError(f"HTTP {exc.code} {exc.reason}") from None
    return body


def _try_relay(relay: str, chain: Chain, number: int, timeout: float) -> bytes:
    """The relay's answer if it is the round and verifies; else BeaconError or OSError."""
    if not relay.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {relay!r}")
    raw = _download(round_url(relay, chain, number), timeout)
    beacon = parse_round(chain, raw)
    if beacon.number != number:
        raise ValueError(f"served round {beacon.number}, not {number}")
    verify_round(chain, beacon)
    return raw


def fetch_round(
    chain: Chain,
    number: int,
    *,
    relays: Sequence[str] = DEFAULT_RELAYS,
    timeout: float = 10.0,
) -> bytes:
    """Round ``number`` of ``chain`` as JSON bytes, from the first relay whose answer verifies.

    ``timeout`` (seconds) applies to each relay. Raises ``unreachable``,
    naming every relay and what went wrong with it, when none served a round
    that verifies (down, not yet produced, malformed or forged). The demo
    chain has no relays: sign its rounds with
    :func:`dualrandom.beacon.demo.sign_demo_round`.
    """
    round_time(chain, number)  # refuses a round number out of range
    if chain.is_demo:
        raise BeaconError(
            Fault.UNREACHABLE,
            f"“{chain.label}”是演示链，没有任何中继发布它的轮次",
            f"{chain.label!r} is the demo chain; no relay publishes its rounds",
        )
    failures: list[str] = []
    for relay in relays:
        try:
            return _try_relay(relay, chain, number, timeout)
        except BeaconError as exc:
            failures.append(f"{relay}: {exc.fault}: {exc.english}")
        except (OSError, HTTPException, ValueError) as exc:
            failures.append(f"{relay}: {_describe(exc)}")
    listed = "; ".join(failures) or "no relay was given"
    raise BeaconError(
        Fault.UNREACHABLE,
        f"没有任何中继提供可验证的第 {number} 轮（{len(failures)} 个中继均失败）："
        f"{listed}。联网后重试，或提供从别处保存的该轮 JSON 文件（命令行用 --beacon-file，"
        "工作台在抽取页上传）",
        f"no relay served a verifiable round {number} ({len(failures)} tried): {listed}. "
        "Retry when online, or give the round's JSON saved elsewhere (--beacon-file on the "
        "command line, the upload field of the console's draw page)",
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable ({exc.reason})"
    if isinstance(exc, ValueError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def load_round_file(path: Path) -> bytes:
    """The bytes of a round's JSON saved to a file (``--beacon-file``), unchecked.

    Any copy will do, from any relay or person: the signature is what counts,
    and :func:`dualrandom.beacon.verify.accept_round` checks it.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_ROUND_BYTES + 1)
    except OSError as exc:
        raise BeaconError(
            Fault.NO_FILE,
            f"无法读取信标轮次文件 {path}：{exc.strerror or exc}",
            f"cannot read the beacon round file {path}: {exc.strerror or exc}",
        ) from None
    return raw
