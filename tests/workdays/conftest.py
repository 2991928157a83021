"""A calendar year for tests. It is made up — not any State Council notice —
so that a test can load "the next year" while the real one is unknown."""

from __future__ import annotations

TEST_2027 = """\
[[year]]
year = 2027
notice = "test data, not a real notice"

[[year.holiday]]
name = "元旦"
start = 2026-12-31
end = 2027-01-03

[[year.holiday]]
name = "国庆节"
start = 2027-10-01
end = 2027-10-07
workdays = [2027-09-26, 2027-10-09]
"""
