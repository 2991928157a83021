"""The task states and what each may become."""

from __future__ import annotations

import itertools

import pytest

from dualrandom.lifecycle import (
    FINAL,
    OPEN,
    STATES,
    TRANSITIONS,
    result_problem,
    transition_problem,
)


def test_the_main_line_and_its_branches() -> None:
    line = ["drawn", "notified", "in_inspection", "result_entered", "reviewed", "published"]
    for before, after in itertools.pairwise(line):
        assert transition_problem(before, after) is None
    assert transition_problem("drawn", "result_entered") is None  # notice and visit kept on paper
    assert (
        transition_problem("reviewed", "result_entered") is None
    )  # a correction goes back to review
    assert set(STATES) == set(TRANSITIONS) and set(OPEN) | set(FINAL) == set(STATES)


@pytest.mark.parametrize(
    ("state", "to", "reason"),
    [
        (
            "drawn",
            "published",
            "it is drawn; from drawn it can become notified, in_inspection, result_entered, substituted, cancelled",
        ),
        (
            "in_inspection",
            "substituted",
            "it is in_inspection; from in_inspection it can become result_entered, cancelled",
        ),
        ("published", "cancelled", "it is published, which is final"),
        ("cancelled", "drawn", "it is cancelled, which is final"),
    ],
)
def test_what_may_not_happen_says_why(state: str, to: str, reason: str) -> None:
    assert transition_problem(state, to) == reason


def test_results_and_follow_ups_must_agree() -> None:
    assert result_problem("未发现问题", "无需后续处置") is None
    assert (
        result_problem("未发现问题", "责令改正")
        == "the result 未发现问题 needs the follow-up 无需后续处置"
    )
    assert result_problem("发现问题待后续处理", "无需后续处置") is not None
    assert result_problem("发现问题经责令已改正", "责令改正") is None
