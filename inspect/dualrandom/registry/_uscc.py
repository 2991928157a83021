"""Unified social credit codes (统一社会信用代码, GB 32100-2015), checked in bulk.

A provincial registry holds millions of codes; checking them one at a time
in Python would dominate an import. The check character is a weighted sum
modulo 31, so a whole batch is checked at once with numpy. The rules are
exactly those of ``stdnum.cn.uscc.validate`` for a code in its compact form
(the tests compare the two on many codes): 18 characters, the first 8
digits, the rest from the 31-character alphabet of capital letters and
digits, and a matching check character. Unlike stdnum, a lower-case letter or
a space is an error rather than silently corrected: ids are stored exactly as
written, so that every file names an object the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dualrandom.sheets import Reason

__all__ = ["uscc_problems"]

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_LENGTH = 18

# Value of each byte as a code character; -1 for a byte outside the alphabet.
_VALUES = np.full(256, -1, dtype=np.int64)
_VALUES[[ord(ch) for ch in _ALPHABET]] = np.arange(len(_ALPHABET))

BAD_LENGTH = Reason(
    "不是 18 位：统一社会信用代码为 18 位",
    "is not 18 characters long, as a unified social credit code is",
)
BAD_CHARACTERS = Reason(
    "不是统一社会信用代码：前 8 位为数字，其后为数字或除 I、O、S、V、Z 以外的大写字母",
    "is not a unified social credit code: 8 digits, then digits or capital "
    "letters other than I, O, S, V, Z",
)


def _bad_check(expected: str) -> Reason:
    return Reason(
        f"校验码错误（按前 17 位，最后一位应为 {expected}）；代码是否录入有误？",
        f"has a wrong check character (the last one would be {expected}); is the code mistyped?",
    )


def uscc_problems(codes: Sequence[str]) -> list[tuple[int, Reason]]:
    """The index and the reason of every code in ``codes`` that is not a valid USCC."""
    if codes and set(map(len, codes)) == {_LENGTH} and "".join(codes).isascii():
        return sorted(_check_characters(codes, range(len(codes))))  # the usual case, at C speed
    problems: list[tuple[int, Reason]] = []
    shaped: list[int] = []
    for index, code in enumerate(codes):
        if len(code) != _LENGTH or not code.isascii():
            problems.append((index, BAD_LENGTH if len(code) != _LENGTH else BAD_CHARACTERS))
        else:
            shaped.append(index)
    if shaped:
        problems.extend(_check_characters(codes, shaped))
    return sorted(problems)


def _check_characters(codes: Sequence[str], indexes: Sequence[int]) -> list[tuple[int, Reason]]:
    every = isinstance(indexes, range) and len(indexes) == len(codes)
    raw = "".join(codes if every else [codes[i] for i in indexes]).encode("ascii")
    values = _VALUES[np.frombuffer(raw, dtype=np.uint8).reshape(-1, _LENGTH)]
    malformed = (values < 0).any(axis=1) | (values[:, :8] > 9).any(axis=1)
    expected = (31 - (values[:, :17] @ _WEIGHTS) % 31) % 31
    wrong = ~malformed & (expected != values[:, 17])
    problems = [(indexes[row], BAD_CHARACTERS) for row in np.flatnonzero(malformed).tolist()]
    problems += [
        (indexes[row], _bad_check(_ALPHABET[expected[row]]))
        for row in np.flatnonzero(wrong).tolist()
    ]
    return problems
