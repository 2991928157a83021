"""dualrandom verify's risk-class root made by a second process (draws.verify_aside).

The root is forced into the child on the small test bundles
(IN_PARALLEL_FROM = 0); each test compares the verdict with the one made in
this process alone, and attacks the child: one that fails, one that answers
nonsense, one that lies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dualrandom.draws import verify_aside, verify_bundle
from dualrandom.draws.bundle_dr2 import Dr2Draw, bundle_files
from tests.core.vector_inputs import PLAN, PLAN_MIXED
from tests.draws.dr2_bundles import make_draw, tampered, write


@pytest.fixture(scope="module")
def draws() -> dict[str, Dr2Draw]:
    return {"risk": make_draw(PLAN), "mixed": make_draw(PLAN_MIXED)}


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The child's answers as this process read them (None: missing or nonsense)."""
    read: list[Any] = []
    answer = verify_aside._answer

    def recorded(child: Any) -> Any:
        made = answer(child)
        read.append(made)
        return made

    monkeypatch.setattr(verify_aside, "_answer", recorded)
    monkeypatch.setattr(verify_aside, "IN_PARALLEL_FROM", 0)
    yield read


def _alone(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, tuple[str, ...], list[str]]:
    with monkeypatch.context() as patch:
        patch.setattr(verify_aside, "IN_PARALLEL_FROM", 10**9)
        report = verify_bundle(folder)
    return report.verdict, report.mismatches, report.checks


@pytest.mark.parametrize("plan", ["risk", "mixed"])
def test_the_checks_made_aside_give_the_same_verdict(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    folder = write(tmp_path / "b", bundle_files(draws[plan], "auditor"))
    report = verify_bundle(folder)
    assert [set(a) for a in answers] == [{"root", "leaves"}]
    assert report.verdict.startswith("MATCH") and "risk root" in report.verdict
    assert (report.verdict, report.mismatches, report.checks) == _alone(folder, monkeypatch)


def test_a_wrong_salt_is_found_aside(
    draws: dict[str, Dr2Draw], tmp_path: Path, answers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = bundle_files(draws["mixed"], "auditor")
    salt = tampered(tmp_path / "salt", files, "salt-key.txt", lambda d: b"00" * 32 + b"\n")
    report = verify_bundle(salt)
    assert report.mismatches == ("risk-root",) and len(answers) == 1 and answers[0]
    assert (report.verdict, report.mismatches, report.checks) == _alone(salt, monkeypatch)


LIES_ABOUT_THE_ROOT = (
    "import sys; sys.stdin.buffer.read(); "
    "print('{\"root\": \"' + '0' * 64 + '\", \"leaves\": 1}')"
)


@pytest.mark.parametrize(
    "child",
    [
        "import sys; sys.exit(3)",
        "import sys; sys.stdin.buffer.read(); print('[')",
        "import sys; sys.stdin.buffer.read(); print('{\"root\": 1}')",
    ],
    ids=["fails", "answers-nonsense", "answers-no-root"],
)
def test_what_the_child_does_not_answer_is_made_here(
    draws: dict[str, Dr2Draw],
    tmp_path: Path,
    answers: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    child: str,
) -> None:
    monkeypatch.setattr(verify_aside, "_CHILD", ("-c", child))
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "auditor"))
    report = verify_bundle(folder)
    assert answers == [None]
    assert report.verdict.startswith("MATCH") and "risk root" in report.verdict
    assert (report.verdict, report.mismatches, report.checks) == _alone(folder, monkeypatch)


def test_a_child_that_lies_is_a_mismatch_not_a_match(
    draws: dict[str, Dr2Draw], tmp_path: Path, answers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_aside, "_CHILD", ("-c", LIES_ABOUT_THE_ROOT))
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "auditor"))
    report = verify_bundle(folder)
    assert answers == [{"root": "0" * 64, "leaves": 1}]
    assert report.mismatches == ("risk-root",) and "risk root" not in report.verdict
