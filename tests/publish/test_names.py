"""Masked person names and safe, stable file names (no database)."""

from __future__ import annotations

import csv
import re

import pytest

from dualrandom.publish.names import (
    display_name,
    is_person_name,
    mask_name,
    object_href,
    object_slug,
)
from tests.conftest import REPO

INDIVIDUAL, ENTERPRISE = "个体工商户", "企业"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("董娟艳", "董*艳"), ("王明", "王*"), ("欧阳明华", "欧**华"), ("买买提·艾力", "买**·*力")],
)
def test_bare_person_names_of_individual_businesses_are_masked(name: str, masked: str) -> None:
    assert is_person_name(name, INDIVIDUAL)
    assert mask_name(name) == masked
    assert display_name(name, INDIVIDUAL, mask=True) == masked


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("罗刚军小卖店", INDIVIDUAL),  # a trade name containing a person's name is the public name
        ("张记", INDIVIDUAL),  # ends in a business word
        ("老王面馆", INDIVIDUAL),
        ("胡记饭店", INDIVIDUAL),
        ("王明", ENTERPRISE),  # only individual businesses are named after their owner
        ("ABC", INDIVIDUAL),
        ("王", INDIVIDUAL),
        ("欧阳明华德", INDIVIDUAL),  # five characters: not a bare name
    ],
)
def test_trade_names_and_other_types_are_not_masked(name: str, kind: str) -> None:
    assert not is_person_name(name, kind)
    assert display_name(name, kind, mask=True) == name


def test_masking_is_a_plan_setting() -> None:
    assert display_name("董娟艳", INDIVIDUAL, mask=False) == "董娟艳"


def test_the_rule_masks_every_sample_business_named_after_its_owner() -> None:
    """In the sample registry, an individual business whose name is its legal
    representative's name is exactly the case to mask; the rule catches all."""
    with (REPO / "registries" / "objects.csv").open(encoding="utf-8") as f:
        owners = [
            r
            for r in csv.DictReader(f)
            if r["type"] == INDIVIDUAL and r["name"] == r["legal_representative"]
        ]
    assert owners, "the sample should have individual businesses named after their owner"
    assert all(is_person_name(r["name"], INDIVIDUAL) for r in owners)


SAFE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]*")


def test_credit_codes_are_their_own_file_names() -> None:
    assert object_slug("91211100100624056M") == "91211100100624056M"
    assert re.fullmatch(
        r"objects/[0-9a-f]{2}/91211100100624056M\.html", object_href("91211100100624056M")
    )


@pytest.mark.parametrize(
    "object_id",
    ["盘锦-摊位-0001", "../../etc/passwd", "a/b", "CON", "PJ-booth-5", "91211100100624056m", "<x>"],
)
def test_other_ids_map_to_safe_lowercase_hex_names(object_id: str) -> None:
    slug = object_slug(object_id)
    assert SAFE.fullmatch(slug) and slug == slug.lower() and slug.startswith("x")
    assert object_slug(object_id) == slug  # stable


def test_sample_ids_map_to_distinct_names_even_on_case_insensitive_disks() -> None:
    with (REPO / "registries" / "objects.csv").open(encoding="utf-8") as f:
        ids = [r["id"] for r in csv.DictReader(f)]
    hrefs = {object_href(i).lower() for i in ids}
    assert len(hrefs) == len(ids)
    assert any(not object_slug(i).startswith("9") for i in ids)  # `other` ids are in the sample
