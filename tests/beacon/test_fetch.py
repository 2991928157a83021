"""Fetching from relays that may be down or lie, against local HTTP servers only (127.0.0.1)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from dualrandom.beacon import QUICKNET, Fault, Pin, accept_round, fetch_round, load_round_file
from dualrandom.beacon.fetch import DEFAULT_RELAYS, round_url
from dualrandom.beacon.rounds import MAX_ROUND_BYTES
from dualrandom.errors import BeaconError
from tests.beacon.cases import case

RIGHT = case("quicknet-123").raw
FORGED = case("forged-123-negated").raw  # well-formed, signature does not verify
OTHER_ROUND = case("quicknet-657413").raw  # genuine, but another round than asked


class Relays:
    """One local server playing several relays, each under its own path prefix."""

    answers: ClassVar[dict[str, tuple[int, bytes, float]]] = {
        "right": (200, RIGHT, 0.0),
        "forged": (200, FORGED, 0.0),
        "other-round": (200, OTHER_ROUND, 0.0),
        "missing": (404, b"Not Found", 0.0),
        "garbage": (200, b"<html>bad gateway</html>", 0.0),
        "huge": (200, b" " * (MAX_ROUND_BYTES + 10) + RIGHT, 0.0),
        "slow": (200, RIGHT, 1.0),
    }

    def __init__(self) -> None:
        self.requests: list[str] = []
        relays = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                relays.requests.append(self.path)
                status, body, delay = relays.answers[self.path.split("/")[1]]
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout): nothing to tell it
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"


@pytest.fixture
def relays() -> Iterator[Relays]:
    served = Relays()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
    served.thread.join(timeout=5)


@pytest.fixture
def down() -> str:
    """The URL of a relay that is down: a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_down_and_lying_relays_are_skipped_for_the_honest_one(relays: Relays, down: str) -> None:
    order = [down, relays.url("forged"), relays.url("right")]
    raw = fetch_round(QUICKNET, 123, relays=order, timeout=5)
    assert raw == RIGHT  # the bytes exactly as served, for the bundle
    assert accept_round(Pin(QUICKNET, 123), raw).number == 123
    chain_path = f"/{QUICKNET.chain_hash}/public/123"
    assert relays.requests == [f"/forged{chain_path}", f"/right{chain_path}"]


def test_the_first_relay_that_verifies_is_used(relays: Relays) -> None:
    fetch_round(QUICKNET, 123, relays=[relays.url("right"), relays.url("forged")], timeout=5)
    assert len(relays.requests) == 1


def test_when_no_relay_serves_a_verifiable_round_each_is_named(relays: Relays, down: str) -> None:
    order = [
        down,
        relays.url("forged"),
        relays.url("missing"),
        relays.url("garbage"),
        relays.url("other-round"),
        relays.url("huge"),
        "file:///etc/passwd",
    ]
    with pytest.raises(BeaconError) as caught:
        fetch_round(QUICKNET, 123, relays=order, timeout=5)
    error = caught.value
    assert error.fault == Fault.UNREACHABLE
    english = error.english
    assert f"{down}: unreachable" in english
    assert f"{relays.url('forged')}: bad-signature" in english
    assert f"{relays.url('missing')}: HTTP 404" in english
    assert f"{relays.url('garbage')}: malformed" in english
    assert f"{relays.url('other-round')}: served round 657413, not 123" in english
    assert f"{relays.url('huge')}: malformed" in english and "too large" in english
    assert "file:///etc/passwd: not an http(s) URL" in english
    assert "(7 tried)" in english and "--beacon-file" in english
    assert error.message.startswith("没有任何中继提供可验证的第 123 轮")


def test_a_slow_relay_times_out_and_the_next_answers(relays: Relays) -> None:
    raw = fetch_round(QUICKNET, 123, relays=[relays.url("slow"), relays.url("right")], timeout=0.2)
    assert raw == RIGHT


def test_no_relays_at_all() -> None:
    with pytest.raises(BeaconError) as caught:
        fetch_round(QUICKNET, 123, relays=[])
    assert caught.value.fault == Fault.UNREACHABLE
    assert "no relay was given" in caught.value.english


def test_round_urls_follow_drands_http_api() -> None:
    assert round_url("https://api.drand.sh/", QUICKNET, 123) == (
        "https://api.drand.sh/52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
        "/public/123"
    )
    assert all(relay.startswith("https://") for relay in DEFAULT_RELAYS)


def test_load_round_file_returns_the_bytes_as_saved(tmp_path: Path) -> None:
    saved = tmp_path / "round-42.json"
    saved.write_bytes(case("quicknet-42-docs").raw)
    raw = load_round_file(saved)
    assert raw == case("quicknet-42-docs").raw
    assert accept_round(Pin(QUICKNET, 42), raw).number == 42


@pytest.mark.parametrize(
    "make", [lambda p: p / "absent.json", lambda p: p], ids=["missing", "folder"]
)
def test_load_round_file_refuses_what_it_cannot_read(tmp_path: Path, make: object) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(BeaconError) as caught:
        load_round_file(path)
    assert caught.value.fault == Fault.NO_FILE
    assert str(path) in caught.value.english
