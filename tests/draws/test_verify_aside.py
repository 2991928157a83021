"""dualrandom verify's checks made by a second process (draws.verify_aside).

The checks are forced into the child on the small test bundles
(IN_PARALLEL_FROM = 0); each test compares the report with the one made in
this process alone, and attacks the child: one that fails, one that answers
nonsense or only in part, one that lies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualrandom.beacon.demo import sign_demo_round
from dualrandom.children import Answers
from dualrandom.draws import verify_aside, verify_bundle
from dualrandom.draws.bundle_dr2 import Dr2Draw, bundle_files
from tests.core.vector_inputs import PLAN, PLAN_MIXED
from tests.draws.dr2_bundles import make_draw, tampered, write

EVERY_ANSWER = {"round", "public", "internal", "risk"}


@pytest.fixture(scope="module")
def draws() -> dict[str, Dr2Draw]:
    return {"risk": make_draw(PLAN), "mixed": make_draw(PLAN_MIXED)}


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Answers]]:
    """What each child answered, as this process read it."""
    made: list[Answers] = []
    start = verify_aside._answers

    def recorded(child: Any) -> Answers:
        made.append(start(child))
        return made[-1]

    monkeypatch.setattr(verify_aside, "_answers", recorded)
    monkeypatch.setattr(verify_aside, "IN_PARALLEL_FROM", 0)
    yield made


def _report(folder: Path) -> tuple[str, tuple[str, ...], list[str]]:
    report = verify_bundle(folder)
    return report.verdict, report.mismatches, report.checks


def _alone(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, tuple[str, ...], list[str]]:
    with monkeypatch.context() as patch:
        patch.setattr(verify_aside, "IN_PARALLEL_FROM", 10**9)
        return _report(folder)


@pytest.mark.parametrize("plan", ["risk", "mixed"])
def test_the_checks_made_aside_give_the_same_report(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Answers],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    folder = write(tmp_path / "b", bundle_files(draws[plan], "auditor"))
    made = _report(folder)
    assert [set(a.read) for a in answers] == [EVERY_ANSWER]
    assert answers[0].read["round"] == {"fault": None}
    assert made[0].startswith("MATCH") and "risk root" in made[0] and made[1] == ()
    assert made == _alone(folder, monkeypatch)


def _forged_round(data: bytes) -> bytes:
    number = json.loads(data)["round"]
    other = sign_demo_round(number + 1)  # a genuine signature, of another round
    return json.dumps({"round": number, "signature": other.signature.hex()}).encode()


@pytest.mark.parametrize(
    ("name", "change", "code"),
    [
        ("salt-key.txt", lambda _: b"00" * 32 + b"\n", "risk-root"),
        ("beacon-round.json", _forged_round, "bad-signature"),
    ],
    ids=["wrong-salt", "forged-round"],
)
def test_what_is_wrong_is_found_aside(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Answers],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    change: Any,
    code: str,
) -> None:
    folder = tampered(tmp_path / "b", bundle_files(draws["mixed"], "auditor"), name, change)
    made = _report(folder)
    assert made[1] == (code,)
    read = answers[0].read
    assert read["risk" if code == "risk-root" else "round"] not in (None, {"fault": None})
    assert made == _alone(folder, monkeypatch)


ANSWERS_ONLY_THE_ROUND = (
    "import sys; sys.stdin.buffer.readline(); "
    "print('{\"round\": {\"fault\": null}}', flush=True); sys.exit(3)"
)


@pytest.mark.parametrize(
    ("child", "answered"),
    [
        ("import sys; sys.exit(3)", {}),
        ("import sys; sys.stdin.buffer.read(); print('[')", {}),
        ("import sys; sys.stdin.buffer.read(); print('{\"public\": 1, \"risk\": {}}')", None),
        (ANSWERS_ONLY_THE_ROUND, {"round": {"fault": None}}),
    ],
    ids=["fails", "answers-nonsense", "answers-no-digest", "answers-in-part"],
)
def test_what_the_child_does_not_answer_is_made_here(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Answers],
    monkeypatch: pytest.MonkeyPatch,
    child: str,
    answered: dict[str, Any] | None,
) -> None:
    monkeypatch.setattr(verify_aside, "_CHILD", ("-c", child))
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "auditor"))
    made = _report(folder)
    if answered is not None:
        assert answers[0].read == answered
    assert made[0].startswith("MATCH") and "risk root" in made[0]
    assert made == _alone(folder, monkeypatch)


def _lies(name: str, value: object) -> str:
    """A child that answers every check truly (the real one's lines) but ``name``."""
    return (
        "import json, subprocess, sys; "
        "run = subprocess.run([sys.executable, '-m', 'dualrandom.draws.verify_aside'], "
        "input=sys.stdin.buffer.read(), capture_output=True, check=True); "
        "lines = [json.loads(line) for line in run.stdout.splitlines()]; "
        f"lines = [{{k: {value!r} if k == {name!r} else v for k, v in d.items()}} for d in lines]; "
        "print(*map(json.dumps, lines), sep='\\n')"
    )


@pytest.mark.parametrize(
    ("name", "value", "codes"),
    [
        ("public", "0" * 64, ("snapshot",)),
        ("internal", "0" * 64, ("digest",)),
        ("risk", {"root": "0" * 64, "leaves": 1}, ("risk-root",)),
        ("round", {"fault": "bad-signature", "message": "签名无效", "english": "bad"}, None),
    ],
    ids=["public-digest", "internal-digest", "risk-root", "signature"],
)
def test_a_child_that_lies_is_a_mismatch_not_a_match(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Answers],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: object,
    codes: tuple[str, ...] | None,
) -> None:
    monkeypatch.setattr(verify_aside, "_CHILD", ("-c", _lies(name, value)))
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "auditor"))
    made = _report(folder)
    assert answers[0].read[name] == value
    assert made[0].startswith("MISMATCH") and made[1] == (codes or ("bad-signature",))
