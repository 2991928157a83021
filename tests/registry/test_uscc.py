"""The bulk USCC check agrees with python-stdnum on valid, mistyped and malformed codes."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from dualrandom.registry._uscc import uscc_problems

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _valid(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    body += "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _mutated(rng: random.Random, code: str) -> str:
    """One character replaced by any printable ASCII character (maybe the same one)."""
    position = rng.randrange(len(code))
    return code[:position] + chr(rng.randrange(0x21, 0x7F)) + code[position + 1 :]


def _agrees(codes: list[str]) -> None:
    """Valid for us = valid for stdnum and already in stdnum's compact form: the
    importer stores ids as written, so it does not upper-case them for the clerk."""
    bad = {index for index, _ in uscc_problems(codes)}
    for index, code in enumerate(codes):
        assert (index not in bad) == (uscc.is_valid(code) and code == uscc.compact(code)), code


def test_agrees_with_stdnum_on_many_codes() -> None:
    rng = random.Random(32100)
    valid = [_valid(rng) for _ in range(20_000)]
    _agrees(valid)
    _agrees([_mutated(rng, code) for code in valid])
    assert not uscc_problems(valid)


@given(st.lists(st.text(alphabet=ALPHABET + "IOSVZ abc-中", min_size=16, max_size=19)))
def test_agrees_with_stdnum_on_arbitrary_text(codes: list[str]) -> None:
    _agrees(codes)


def test_reasons_name_the_fault() -> None:
    good = "91110000600037341L"
    problems = dict(
        uscc_problems(
            [
                good,
                "91110000600037341X",
                "9111000060003734",
                "9111000060003734IL",
                "9111000060003734中L",
            ]
        )
    )
    assert 0 not in problems
    assert "check character" in problems[1].en and "L" in problems[1].en
    assert "18 characters" in problems[2].en
    assert "capital letters" in problems[3].en
    assert "capital letters" in problems[4].en
    # Chinese first, for the clerk.
    assert "校验码" in problems[1].zh and "L" in problems[1].zh
    assert "18 位" in problems[2].zh
    assert "大写字母" in problems[3].zh
