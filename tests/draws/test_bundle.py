"""Bundles verify, and any tampering is caught and located."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from dualrandom.app import App
from dualrandom.cli import _main
from dualrandom.draws import SecretStore, export_bundle, prepare_draw, run_draw, verify_bundle
from dualrandom.draws.bundle_dr2 import MANIFEST, manifest
from tests.conftest import REPO
from tests.draws.conftest import NOW


def _drawn(app: App, secrets: SecretStore, plan: str = "2027-Q1") -> None:
    with app.transaction() as session:
        prepare_draw(session, plan, secrets=secrets, now=NOW, actor="tester")
    with app.transaction() as session:
        run_draw(session, plan, "2718281828", secrets=secrets, now=NOW, actor="tester")


@pytest.fixture
def bundles(dr1_app: App, secrets: SecretStore, tmp_path: Path) -> dict[str, Path]:
    _drawn(dr1_app, secrets)
    out = {}
    with dr1_app.transaction() as session:
        for tier in ("public", "auditor"):
            out[tier] = export_bundle(  # the DR-1 public tier only to test its verifier
                session, "2027-Q1", tmp_path / tier, tier=tier, dr1_public_with_personal_data=True
            ).path
    return out


def _reseal(folder: Path) -> None:
    """Rewrite the manifest, as a forger who changes content would."""
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != MANIFEST}
    (folder / MANIFEST).write_bytes(manifest(files))


def _edit(folder: Path, name: str, change: Callable[[str], str]) -> None:
    path = folder / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_both_tiers_match(bundles: dict[str, Path]) -> None:
    for tier, folder in bundles.items():
        report = verify_bundle(folder)
        assert report.ok, report.failure
        assert report.tier == tier


def test_public_bundle_holds_no_internal_or_personal_data(bundles: dict[str, Path]) -> None:
    names = {p.name for p in bundles["public"].iterdir()}
    assert not names & {
        "objects-internal.tsv",
        "inspectors.tsv",
        "conflicts.tsv",
        "history.tsv",
        "teams.tsv",
    }
    header = (bundles["public"] / "objects-public.tsv").read_text(encoding="utf-8").split("\n")[0]
    assert "risk_class" not in header.split("\t")
    text = "".join(p.read_text(encoding="utf-8") for p in bundles["public"].iterdir())
    with (REPO / "registries" / "objects.csv").open(encoding="utf-8") as f:
        phones = [row["phone"] for row in csv.DictReader(f) if row["phone"]]
    # Legal representatives' names are not checked: an individual business is
    # often registered under its operator's name, which is public registration data.
    assert [phone for phone in phones if phone in text] == []
    assert "legal_representative" not in header and "phone" not in header
    # The sample strata are risk classes: their rows appear only without stratum.
    assert "A类" not in (bundles["public"] / "result.tsv").read_text(encoding="utf-8")


@pytest.mark.parametrize("tier", ["public", "auditor"])
def test_any_changed_byte_is_caught_by_the_manifest(bundles: dict[str, Path], tier: str) -> None:
    folder = bundles[tier]
    for path in sorted(folder.iterdir()):
        if path.name == MANIFEST:
            continue
        original = path.read_bytes()
        path.write_bytes(original[:-2] + bytes([original[-2] ^ 1]) + original[-1:])
        report = verify_bundle(folder)
        path.write_bytes(original)
        assert not report.ok and report.failure is not None and path.name in report.failure


def test_dropped_registry_row_breaks_the_objects_digest(bundles: dict[str, Path]) -> None:
    folder = bundles["auditor"]
    _edit(folder, "objects-public.tsv", lambda t: "\n".join(t.split("\n")[:1] + t.split("\n")[2:]))
    _reseal(folder)
    assert "objects-public.tsv: digest differs" in str(verify_bundle(folder).failure)


def test_added_registry_row_breaks_the_objects_digest(bundles: dict[str, Path]) -> None:
    folder = bundles["public"]
    _edit(folder, "objects-public.tsv", lambda t: t + t.split("\n")[1].replace("9", "8", 1) + "\n")
    _reseal(folder)
    assert "objects-public.tsv: digest differs" in str(verify_bundle(folder).failure)


def test_swapped_selection_is_caught(bundles: dict[str, Path]) -> None:
    folder = bundles["auditor"]
    lines = (folder / "result.tsv").read_text(encoding="utf-8").split("\n")
    first, second = lines[1].split("\t"), lines[2].split("\t")
    first[3], second[3], first[4], second[4] = second[3], first[3], second[4], first[4]
    lines[1], lines[2] = "\t".join(first), "\t".join(second)
    (folder / "result.tsv").write_text("\n".join(lines), encoding="utf-8")
    _reseal(folder)
    assert "result.tsv:2" in str(verify_bundle(folder).failure)


def test_altered_entropy_is_caught(bundles: dict[str, Path]) -> None:
    folder = bundles["public"]
    meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    meta["entropy"] = "2718281829"
    (folder / "bundle.json").write_text(json.dumps(meta), encoding="utf-8")
    _reseal(folder)
    assert "seed does not follow" in str(verify_bundle(folder).failure)


def test_missing_and_extra_files_are_named(bundles: dict[str, Path]) -> None:
    folder = bundles["public"]
    (folder / "extra.txt").write_text("x", encoding="utf-8")
    assert "extra.txt: not in the manifest" in str(verify_bundle(folder).failure)
    (folder / "extra.txt").unlink()
    (folder / "quotas.tsv").unlink()
    assert "quotas.tsv: listed in the manifest but missing" in str(verify_bundle(folder).failure)


def test_cli_verify_prints_match_or_mismatch(bundles: dict[str, Path]) -> None:
    runner = CliRunner()
    ok = runner.invoke(_main.cli, ["verify", str(bundles["auditor"])])
    assert ok.exit_code == 0 and ok.output.rstrip().endswith("MATCH")
    (bundles["auditor"] / "plan.json").write_bytes(b"{}")
    bad = runner.invoke(_main.cli, ["verify", str(bundles["auditor"])])
    assert bad.exit_code == 1
    assert "Error: MISMATCH (auditor bundle): plan.json" in bad.output


def test_manifest_is_sha256sum_format(bundles: dict[str, Path]) -> None:
    folder = bundles["public"]
    for line in (folder / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
