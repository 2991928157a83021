"""The public tier leaks nothing personal (issue 9): a scan of every file of a
public bundle, DR-2 and DR-1, drawn from the sample registries.

What must not appear, taken from registries/*.csv themselves: object names
(a 个体工商户's name is a person's), street addresses, legal representatives,
phone numbers, inspector names; nor any 身份证 number or mobile number
pattern, nor a risk-class column. ``README.txt`` and ``verify.py`` are the
same for every draw and hold no registry data; they are not scanned. The
snapshot parts a DR-2 bundle ships gzipped are scanned decompressed.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

import pytest

from dualrandom.app import App
from dualrandom.draws import SecretStore, export_bundle, prepare_draw, run_draw
from dualrandom.draws._inputs import gather
from dualrandom.draws.bundle_dr2 import bundle_files, unpacked
from dualrandom.errors import DrawStateError
from tests.conftest import REPO
from tests.draws.conftest import NOW
from tests.draws.dr2_bundles import make_draw

MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d-?\d{4}-?\d{4}(?![0-9A-Za-z])")
# 身份证: 6-digit region, birth date 19xx/20xx, 3 digits, check digit (a USCC of 18
# digits has no birth date in those places).
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
NOT_SCANNED = {"README.txt", "verify.py"}


def _column(name: str, column: str) -> set[str]:
    with (REPO / "registries" / name).open(encoding="utf-8", newline="") as f:
        return {row[column] for row in csv.DictReader(f) if row.get(column)}


@functools.cache
def _personal() -> dict[str, re.Pattern[str]]:
    """Each kind of personal value of the sample registries, as one pattern that
    finds any of them (one pass over a file instead of one per value)."""
    values = {
        "object name": {n for n in _column("objects.csv", "name") if len(n) >= 2},
        "address": _column("objects.csv", "address"),
        "legal representative": _column("objects.csv", "legal_representative"),
        "phone": _column("objects.csv", "phone"),
        "inspector name": _column("inspectors.csv", "name"),
    }
    return {
        what: re.compile("|".join(map(re.escape, sorted(found, key=len, reverse=True))))
        for what, found in values.items()
        if found  # an empty alternation would match everywhere
    }


def leaks(files: dict[str, bytes]) -> list[str]:
    """Every personal value, pattern or risk-class column found in the files."""
    found = []
    for name, data in sorted(files.items()):
        if name in NOT_SCANNED:
            continue
        text = data.decode("utf-8")
        if name.endswith(".tsv") and "risk_class" in text.partition("\n")[0].split("\t"):
            found.append(f"{name}: a risk_class column")
        if "risk_class" in text and name != "plan.json":  # the plan names it in stratum filters
            found.append(f"{name}: mentions risk_class")
        for what, values in _personal().items():
            hit = values.search(text)
            if hit:
                found.append(f"{name}: an {what}, e.g. {hit.group()!r}")
        for what, pattern in (("mobile number", MOBILE), ("身份证 number", ID_CARD)):
            if pattern.search(text):
                found.append(f"{name}: a {what} {pattern.search(text).group()!r}")  # type: ignore[union-attr]
        if "身份证" in text:
            found.append(f"{name}: 身份证")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan is not vacuous: the registry itself and planted values are caught."""
    planted = {
        "objects.csv": (REPO / "registries" / "objects.csv").read_bytes(),
        "x.tsv": b"id\trisk_class\n1\tA\n",
        "y.json": b'{"id":"210102199003071234"}',
    }
    found = "\n".join(leaks(planted))
    for what in ("object name", "address", "legal representative", "phone", "mobile number"):
        assert "objects.csv: " in found and what in found
    assert "x.tsv: a risk_class column" in found and "y.json: a 身份证 number" in found


def test_dr2_public_bundle_leaks_nothing(sample_app: App) -> None:
    with sample_app.transaction() as session:
        inputs = gather(session, "2027-Q1").inputs
    public = unpacked(bundle_files(make_draw(inputs.plan, inputs), "public"))
    assert "objects-public.tsv" in public and "selection.tsv" in public  # scanned, not absent
    assert leaks(public) == []


def test_dr2_auditor_bundle_does_hold_the_personal_data(sample_app: App) -> None:
    """The control: the same scan on the auditor tier does find names and addresses."""
    with sample_app.transaction() as session:
        inputs = gather(session, "2027-Q1").inputs
    auditor = unpacked(bundle_files(make_draw(inputs.plan, inputs), "auditor"))
    found = "\n".join(leaks(auditor))
    assert "objects-internal.tsv" in found and "address" in found and "inspector name" in found


def test_dr1_public_bundle_is_refused_rather_than_leaked(
    dr1_app: App, secrets: SecretStore, tmp_path: Path
) -> None:
    """DR-1 pins a public snapshot with names and addresses (SPEC §3.1), so its public
    tier cannot leave them out: it is refused, Chinese first, naming the auditor tier.
    The control: what it would have held does leak (the refusal is not vacuous).
    (The strict xfail this replaces failed before its scan: on sample_app the plan
    is DR-2 and needs a ceremony time.)"""
    with dr1_app.transaction() as session:
        prepare_draw(session, "2027-Q1", secrets=secrets, now=NOW, actor="tester")
    with dr1_app.transaction() as session:
        run_draw(session, "2027-Q1", "2718281828", secrets=secrets, now=NOW, actor="tester")
    with dr1_app.transaction() as session, pytest.raises(DrawStateError) as refused:
        export_bundle(session, "2027-Q1", tmp_path / "public", tier="public")
    message = str(refused.value)
    assert message.startswith("计划 2027-Q1 第 1 次抽取使用 DR-1 算法") and "--tier auditor" in message
    assert "a 个体工商户's name is a person's name" in refused.value.english
    assert not (tmp_path / "public").exists()
    with dr1_app.transaction() as session:
        legacy = export_bundle(
            session, "2027-Q1", tmp_path / "legacy", tier="public", dr1_public_with_personal_data=True
        ).path
        auditor = export_bundle(session, "2027-Q1", tmp_path / "auditor", tier="auditor").path
    assert "address" in "\n".join(leaks({p.name: p.read_bytes() for p in legacy.iterdir()}))
    assert (auditor / "verify.py").exists()


def test_the_site_links_no_public_zip_of_a_dr1_draw_and_says_why(
    dr1_app: App, secrets: SecretStore, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tests.publish.scenario import publish

    with dr1_app.transaction() as session:
        prepare_draw(session, "2027-Q1", secrets=secrets, now=NOW, actor="tester")
    with dr1_app.transaction() as session:
        run_draw(session, "2027-Q1", "2718281828", secrets=secrets, now=NOW, actor="tester")
    site = publish(dr1_app, tmp_path / "site", now=NOW + timedelta(days=1))
    assert not list(site.rglob("*.zip"))
    notice = (site / "draws" / "2027-Q1" / "1" / "index.html").read_text(encoding="utf-8")
    assert "其公开核验数据包须含全部检查对象的名称和地址，因此不予公开" in notice
    assert "任何人都可以按本公告所附方法独立核验" not in notice
    assert "下载附件中的“核验数据包（ZIP）”" not in notice
