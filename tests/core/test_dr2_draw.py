"""DR-2 prepare and draw (SPEC §17–§22): the same draw as DR-1 from the same
seed, different digests, the seed from commitment, beacon and dice."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from dualrandom.core import DrawInputs, draw, prepare
from dualrandom.core.buckets import file_digest
from dualrandom.core.result import internal_digest, result_digest_dr2
from dualrandom.core.seed import check_dice, derive_seed_dr2, record_dice
from dualrandom.errors import UserError
from tests.core.factories import where
from tests.core.vector_inputs import CONFLICTS, HISTORY, INSPECTORS, ITEMS, OBJECTS, PLAN

KEY = bytes(range(64, 96))
SEED = hashlib.sha256(b"a seed").digest()
DICE = "31415265354232462643"


def _inputs() -> DrawInputs:
    return DrawInputs(PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)


def test_dr2_draws_exactly_what_dr1_draws_from_the_same_seed() -> None:
    """Pools, quotas, tickets, selection, reserve and teams are one code path."""
    one = draw(prepare(_inputs()), SEED)
    two = draw(prepare(_inputs(), algorithm="DR-2", salt_key=KEY), SEED)
    assert two.files() == one.files()
    assert (two.selected, two.reserve, two.visits) == (one.selected, one.reserve, one.visits)
    assert one.algorithm == "DR-1" and two.algorithm == "DR-2"
    assert one.public is None and two.public is not None
    assert two.digest != one.digest


def test_dr2_digests_commit_everything_fixed_before_the_seed() -> None:
    one = prepare(_inputs())
    two = prepare(_inputs(), algorithm="DR-2", salt_key=KEY)
    assert two.committed is not None and two.risk is not None
    assert two.risk.leaves == len(OBJECTS)
    assert b'"algorithm":"DR-2"' in two.plan_bytes
    assert two.committed.plan == hashlib.sha256(two.plan_bytes).hexdigest()
    for name in ("plan", "objects", "inspectors", "conflicts", "history"):
        assert getattr(two.digests, name) != getattr(one.digests, name), name
    assert two.inspectors.data == one.inspectors.data
    assert two.committed.inspectors == file_digest("inspectors", two.inspectors.data)
    result = draw(two, SEED)
    files = result.files()
    assert two.committed.quotas == file_digest("quotas", files["quotas.tsv"])
    assert two.committed.exclusions == file_digest("exclusions", files["exclusions.tsv"])
    assert two.committed.outside == file_digest("outside", files["outside.tsv"])
    assert result.public is not None
    assert two.committed.exclusions_public == file_digest(
        "exclusions-public", result.public.exclusions
    )
    assert result.digest == result_digest_dr2(result.public.digest, internal_digest(files))
    assert set(two.committed.as_json()) == {
        "plan", "objects", "objects_public", "objects_internal", "inspectors", "conflicts",
        "history", "quotas", "exclusions", "outside", "exclusions_public",
    }  # fmt: skip


def test_dr2_prepare_needs_a_salt_key_and_risk_only_in_strata() -> None:
    with pytest.raises(ValueError, match="salt key"):
        prepare(_inputs(), algorithm="DR-2")
    with pytest.raises(ValueError, match="32 bytes"):
        prepare(_inputs(), algorithm="DR-2", salt_key=KEY[:8])
    risky = {**ITEMS, "SCJG-01": replace(ITEMS["SCJG-01"], scope=where(risk_class=["C"]))}
    with pytest.raises(UserError, match="风险分类只能用于分层") as caught:
        prepare(replace(_inputs(), items=risky), algorithm="DR-2", salt_key=KEY)
    assert "item SCJG-01" in caught.value.english
    plan = replace(PLAN, scope=where(risk_class=["A", "B", "C", "D"]))
    with pytest.raises(UserError, match="plan PJ-2027-Q1"):
        prepare(replace(_inputs(), plan=plan), algorithm="DR-2", salt_key=KEY)
    with pytest.raises(ValueError, match="DR-3"):
        prepare(_inputs(), algorithm="DR-3", salt_key=KEY)
    with pytest.raises(ValueError, match="DR-2 preparation"):
        draw(replace(prepare(_inputs()), algorithm="DR-2"), SEED)


def test_seed_binds_commitment_beacon_and_dice() -> None:
    commitment, beacon = "ab" * 32, bytes(range(32))
    seed = derive_seed_dr2(commitment, beacon, DICE, True)
    assert len(seed) == 32
    assert derive_seed_dr2("ac" * 32, beacon, DICE, True) != seed
    assert derive_seed_dr2(commitment, bytes(32), DICE, True) != seed
    assert derive_seed_dr2(commitment, beacon, DICE[1:] + "1", True) != seed
    assert derive_seed_dr2(commitment, beacon, "", False) != seed
    with pytest.raises(ValueError, match="32 bytes"):
        derive_seed_dr2(commitment, beacon[:31], DICE, True)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        derive_seed_dr2("AB" * 32, beacon, DICE, True)
    with pytest.raises(ValueError, match="expects none"):
        derive_seed_dr2(commitment, beacon, DICE, False)
    with pytest.raises(ValueError, match="1-6"):
        derive_seed_dr2(commitment, beacon, "", True)


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        (DICE, DICE),
        ("3 1 4 1 5 2 6 5 3 5 4 2 3 2 4 6 2 6 4 3", DICE),
        ("31415\u300026535\t42324\n62643 ", DICE),
        ("6" * 40, "6" * 40),
    ],
)
def test_dice_are_recorded_without_spaces(typed: str, recorded: str) -> None:
    assert record_dice(typed) == recorded
    assert check_dice(recorded, True) == recorded


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3141526535423246264", "至少需要 20 次"),
        ("31415265354232462647", "不能包含 '7'"),
        ("3141526535423246264０", "不能包含 '０'"),
        ("31415-26535-42324-62643", "不能包含 '-'"),
        ("", "至少需要 20 次"),
    ],
)
def test_bad_dice_are_refused_with_the_reason(typed: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        record_dice(typed)


def test_dice_are_refused_when_none_are_expected() -> None:
    assert record_dice("  ", expected=False) == ""
    with pytest.raises(UserError, match="不使用骰子"):
        record_dice(DICE, expected=False)
