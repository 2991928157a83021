"""The standalone verify.py shipped in every bundle agrees with the library and finds tampering.

The bundles are made through the library; verify.py runs in a child interpreter
with ``-I -S`` (isolated, and without site-packages, where the editable install
of dual-random lives), so it cannot import the project even by accident.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from dualrandom.app import App
from dualrandom.cli._draw import verify as verify_command
from dualrandom.draws import SecretStore, export_bundle, prepare_draw, run_draw, verify_bundle
from dualrandom.rules.check import check_rules, store_rules
from tests.conftest import REPO
from tests.draws.conftest import NOW, store_dr1_plans

SOURCE = REPO / "inspect" / "dualrandom" / "draws" / "verify_standalone.py"
VECTORS = REPO / "tests" / "core" / "vectors" / "dr1.json"

# Mixed strata: two publicly verifiable ones (district; district and list) and
# one on the risk class, so both public-tier checks run; 辽东湾新区 and
# 双台子区 are outside every stratum.
MIXED_PLAN = """\
id = "2027-B1"
title = "2027年片区分层联合抽查"
year = 2027
batch = "B1"
type = "不定向"
department = "SCJG"
co_departments = ["ZJ"]
items = ["SCJG-02", "ZJ-02"]
entropy = "beacon"

[window]
start = 2027-05-10
end = 2027-08-31

[scope]
type = ["企业", "个体工商户"]

[[stratum]]
name = "兴隆台区"
where = { district = ["兴隆台区"] }
ratio = "0.01"
min = 1

[[stratum]]
name = "大洼区异常"
where = { district = ["大洼区"], list = ["abnormal"] }
min = 2

[[stratum]]
name = "盘山县高风险"
where = { district = ["盘山县"], risk_class = ["C", "D"] }
ratio = "0.05"
min = 2

[exclusions]
lookback_months = 6
annual_cap = 2

[team]
size = 2
leader = true
load_cap = 10
require = [{ department = "SCJG", count = 1 }]
conflict_rules = ["declared", "previous_team", "home_district"]
"""


def _draw(app: App, secrets: SecretStore, plan: str) -> None:
    with app.transaction() as session:
        prepare_draw(session, plan, secrets=secrets, now=NOW, actor="tester")
    with app.transaction() as session:
        run_draw(session, plan, "2718281828", secrets=secrets, now=NOW, actor="tester")


def _export(app: App, plan: str, folder: Path) -> dict[str, Path]:
    with app.transaction() as session:
        return {
            # the DR-1 public tier only to test its verifier (issue 9: never published)
            tier: export_bundle(
                session, plan, folder / tier, tier=tier, dr1_public_with_personal_data=True
            ).path
            for tier in ("public", "auditor")
        }


@pytest.fixture
def bundles(dr1_app: App, secrets: SecretStore, tmp_path: Path) -> dict[str, Path]:
    """Both tiers of a drawn plan with public and risk-class strata."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "plans" / "2027-B1.toml").write_text(MIXED_PLAN, encoding="utf-8")
    with dr1_app.transaction() as session:
        store_rules(session, check_rules(session, rules), actor="tester")
    store_dr1_plans(dr1_app, "2027-B1")  # a DR-1 draw of before DR-2, as the bundle verifies
    _draw(dr1_app, secrets, "2027-B1")
    return _export(dr1_app, "2027-B1", tmp_path / "bundles")


def run_verify(folder: Path, script: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a bundle's verify.py (or script) in an interpreter that cannot see dual-random."""
    args = [str(script)] if script else [str(folder / "verify.py")]
    return subprocess.run(
        [sys.executable, "-I", "-S", *args, *([str(folder)] if script else [])],
        cwd=folder.parent,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def reseal(folder: Path) -> None:
    """Rewrite MANIFEST.sha256, as a forger who changes content would."""
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(folder.iterdir())
        if p.name != "MANIFEST.sha256"
    ]
    (folder / "MANIFEST.sha256").write_text("".join(lines), encoding="utf-8")


def edit_lines(folder: Path, name: str, change: Callable[[list[str]], None]) -> None:
    path = folder / name
    lines = path.read_text(encoding="utf-8").split("\n")
    change(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_both_tiers_match_and_agree_with_the_library(bundles: dict[str, Path]) -> None:
    for tier, folder in bundles.items():
        assert (folder / "verify.py").read_bytes() == SOURCE.read_bytes()
        done = run_verify(folder)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[-1] == "MATCH"
        assert [line.split()[1] for line in lines[:-1]] == [
            "manifest:",
            "digests:",
            "secret:",
            "seed:",
            "tickets:",
            "selection:" if tier == "public" else "re-run:",
        ]
        assert all(line.startswith("ok  ") for line in lines[:-1])
        assert verify_bundle(folder).ok
    counted = re.search(
        r"selection: (\d+) publicly .*; (\d+) object", run_verify(bundles["public"]).stdout
    )
    assert counted is not None and counted.groups() != ("0", "0")
    assert int(counted[1]) == 4 and int(counted[2]) > 0  # both public-tier checks ran


def test_sample_plan_with_risk_strata_matches(
    dr1_app: App, secrets: SecretStore, tmp_path: Path
) -> None:
    _draw(dr1_app, secrets, "2027-Q1")
    for folder in _export(dr1_app, "2027-Q1", tmp_path).values():
        # The copy in the source tree, run from elsewhere, with the folder as argument.
        done = run_verify(folder, script=SOURCE)
        assert done.returncode == 0 and done.stdout.endswith("MATCH\n"), done.stdout


def _flip_byte(folder: Path) -> None:
    path = folder / "result.tsv"
    data = path.read_bytes()
    path.write_bytes(data[:-2] + bytes([data[-2] ^ 1]) + data[-1:])


def _drop_object(folder: Path) -> None:
    edit_lines(folder, "objects-public.tsv", lambda lines: lines.pop(1))
    reseal(folder)


def _swap_selection(folder: Path) -> None:
    def swap(lines: list[str]) -> None:
        first, second = lines[1].split("\t"), lines[2].split("\t")
        assert first[:2] == second[:2]  # the same pool: a public stratum, an item
        first[3:], second[3:] = second[3:], first[3:]
        lines[1], lines[2] = "\t".join(first), "\t".join(second)

    edit_lines(folder, "result.tsv", swap)
    reseal(folder)


def _alter_entropy(folder: Path) -> None:
    meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    meta["entropy"] = "2718281829"
    (folder / "bundle.json").write_text(json.dumps(meta), encoding="utf-8")
    reseal(folder)


def _change_team_member(folder: Path) -> None:
    def change(lines: list[str]) -> None:
        header = lines[0].split("\t")
        row = lines[1].split("\t")
        col = header.index("officer")
        others = {line.split("\t")[col] for line in lines[1:-1]} - {row[col]}
        row[col] = sorted(others)[0]
        lines[1] = "\t".join(row)

    edit_lines(folder, "teams.tsv", change)
    reseal(folder)


TAMPERING = {
    "changed byte": ("public", _flip_byte, "MISMATCH: result.tsv: SHA-256 differs"),
    "dropped object": ("auditor", _drop_object, "MISMATCH: objects-public.tsv: digest differs"),
    "swapped selection": ("public", _swap_selection, "MISMATCH: result.tsv:2: "),
    "altered entropy": ("public", _alter_entropy, "MISMATCH: bundle.json: seed does not follow"),
    "changed team member": ("auditor", _change_team_member, "MISMATCH: teams.tsv:2: "),
}


def test_tampering_is_caught_and_located(bundles: dict[str, Path], tmp_path: Path) -> None:
    # One draw for every case (drawing is the slow part): each case edits a fresh copy.
    for case, (tier, tamper, message) in TAMPERING.items():
        folder = tmp_path / "tampered" / case
        shutil.copytree(bundles[tier], folder)
        tamper(folder)
        done = run_verify(folder)
        assert done.returncode == 1, f"{case}: {done.stdout}"
        assert done.stdout.splitlines()[-1].startswith(message), f"{case}: {done.stdout}"
        assert not verify_bundle(folder).ok, case  # the library agrees


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_standalone", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_known_answer_vectors() -> None:
    """The primitives and the whole re-run reproduce tests/core/vectors/dr1.json."""
    v = _load_module()
    vec = json.loads(VECTORS.read_text(encoding="utf-8"))
    snap = {key: text.encode("utf-8") for key, text in vec["snapshots"].items()}
    digests = {key: bytes.fromhex(value) for key, value in vec["digests"].items()}
    objects_digest = v.tagged_hash(
        v.T_OBJECTS, digests["objects_public"], digests["objects_internal"]
    )
    assert objects_digest == digests["objects"]
    secret = bytes.fromhex(vec["secret"])
    assert hashlib.sha256(v.T_COMMIT + secret).hexdigest() == vec["commitment"]
    order = ("plan", "objects", "inspectors", "conflicts", "history")
    seed = v.tagged_hash(
        v.T_SEED, *(digests[k] for k in order), vec["entropy"].encode("utf-8"), secret
    )
    assert seed.hex() == vec["seed"]
    assert {x: v.ticket_hex(v.ticket(seed, x)) for x in vec["tickets"]} == vec["tickets"]

    plan = v.parse_plan(snap["plan"])
    objects = v.parse_objects(snap["objects_public"])
    v.add_risk_classes(objects, snap["objects_internal"])
    officers = v.parse_officers(snap["inspectors"])
    conflicts = v.parse_conflicts(snap["conflicts"])
    history = v.parse_history(snap["history"])
    prepared = v.prepare(plan, objects, history)
    quotas = v.quotas_for(plan, {key: len(pool) for key, pool in prepared.pools.items()})
    tickets = v.Tickets(seed)
    pools = {key: [o.id for o in pool] for key, pool in prepared.pools.items()}
    chosen = v.select(quotas, pools, tickets)
    visits = v.make_visits(chosen.result, plan, {o.id: o for o in objects}, tickets)
    eligibility = v.Eligibility(plan, officers, conflicts, history)
    for visit, expected in zip(visits, vec["visits"], strict=True):
        candidates = eligibility.candidates(visit.obj)
        assert [officers[n].cert_no for n in candidates] == expected["candidates"]
        shuffled = v.SeededOrder(seed, visit.obj.id, candidates)
        assert [officers[shuffled.at(t)].cert_no for t in range(len(candidates))] == expected[
            "order"
        ]
    teams = v.draw_teams(plan, visits, seed, officers, conflicts, history)
    assert teams.decode("utf-8") == vec["files"]["teams.tsv"]
    assert v.selection_table(chosen.result, tickets).decode("utf-8") == vec["files"]["result.tsv"]
    assert v.selection_table(chosen.reserve, tickets).decode("utf-8") == vec["files"]["reserve.tsv"]


def test_imports_only_the_standard_library() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    modules = set()
    # py_ecc, the optional BLS library, only inside _bls_verifier, under ``except ImportError``.
    optional = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_bls_verifier"
    )
    guarded = next(n for n in optional.body if isinstance(n, ast.Try))
    assert isinstance(guarded, ast.Try)
    assert [ast.unparse(h.type) for h in guarded.handlers if h.type] == ["ImportError"]
    tree.body.remove(optional)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            assert node.module is not None
            modules.add(node.module.split(".")[0])
    assert modules, "no imports found"
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules - set(
        sys.stdlib_module_names
    )
    assert "__import__" not in SOURCE.read_text(encoding="utf-8")


@pytest.mark.parametrize("tier", ["public", "auditor"])
def test_both_verifiers_report_the_same_ticket_count(bundles: dict[str, Path], tier: str) -> None:
    """Issue 10: 'dualrandom verify' and the bundle's verify.py count the same
    published tickets of the same DR-1 bundle, in either tier."""
    folder = bundles[tier]
    standalone = run_verify(folder)
    assert standalone.returncode == 0, standalone.stdout + standalone.stderr
    cli = CliRunner().invoke(verify_command, [str(folder)])
    assert cli.exit_code == 0, cli.output
    counts = [
        [int(n) for n in re.findall(r"tickets: (?:all )?(\d+) published tickets", text)]
        for text in (standalone.stdout, cli.output)
    ]
    assert len(counts[0]) == 1 and counts[0][0] > 0, standalone.stdout
    assert counts[1] == counts[0], (standalone.stdout, cli.output)
