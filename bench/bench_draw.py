"""Benchmark: a provincial-scale draw end to end, from SQLite.

    .venv/bin/python bench/bench_draw.py [--objects N] [--officers M] [--keep DIR]

Builds, deterministically: 1,000,000 objects in 200 strata (risk class × 10
districts × 5 types), 5,000 officers of the inspecting department spread
over the 10 districts (each inspects only in its own: team.district =
"same"), conflicts on 1 % of the (object, officer) pairs that the draw can
actually form (each object gets conflicts with 5 of its district's 500
officers with probability 1/20 — 250,000 rows), one item, and a plan whose
strata draw 5 % (50,000 objects) with 2-officer teams and a load cap of 25.

Then it times, each in a child process of its own (wall seconds and peak
RSS): the registry imports (setup, not a target), `dualrandom draw prepare`,
`dualrandom draw run`, `dualrandom draw export --tier auditor`,
`dualrandom verify` on that bundle, `dualrandom publish` (which first checks
the record: docs/AUDIT.md) and `dualrandom audit verify` with and without
recomputing the registry versions. Targets: `draw run` under 30 s and
1.5 GiB; verify in similar time.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stdnum.cn import uscc

DISTRICTS = [f"第{n}片区" for n in range(1, 11)]
TYPES = ["企业", "个体工商户", "农民专业合作社", "外国企业常驻代表机构", "其他"]
RISK = ["A", "B", "C", "D"]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BIN = Path(sys.executable).parent / "dualrandom"
# The plan is drawn as a real one is (DR-2: commitment, then a beacon round; no
# dice, which would only add a step), on the demo beacon chain, which signs its
# own rounds: prepared before the ceremony and run after its round, on a set
# clock (bench/clocked.py).
CONFIG = (
    '[database]\nurl = "sqlite:///db.sqlite3"\n[paths]\nrules = "rules"\nvar = "var"\n'
    '[beacon]\nchain = "demo"\nallow_demo = true\nmargin_seconds = 0\n'
)
PREPARE = ("draw", "prepare", "BENCH", "--ceremony-at", "2027-01-25T10:00:20+08:00")
RUN = ("draw", "run", "BENCH", "--yes")
CLOCKED = {"2027-01-25T09:00:00+08:00": (PREPARE,), "2027-01-25T10:01:00+08:00": (RUN,)}


def _uscc(n: int) -> str:
    body = (
        "9121" + f"{n:04d}"[-4:] + "MA" + "".join(ALPHABET[(n >> (5 * i)) % 31] for i in range(7))
    )
    return body + uscc.calc_check_digit(body)


def write_inputs(folder: Path, objects: int, officers: int) -> None:
    rng = random.Random(20270101)
    (folder / "rules" / "plans").mkdir(parents=True)
    (folder / "departments.csv").write_text(
        "code,name,level\nSCJG,省市场监督管理局,省\n", encoding="utf-8"
    )
    ids = _write_objects(folder / "objects.csv", objects, rng)
    certs = _write_officers(folder / "inspectors.csv", officers)
    _write_conflicts(folder / "conflicts.csv", ids, certs, rng)
    _write_rules(folder / "rules")


def _write_objects(path: Path, count: int, rng: random.Random) -> list[tuple[str, int]]:
    ids = []
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["id", "name", "type", "industry", "district", "status", "risk_class"])
        for n in range(count):
            district = n % len(DISTRICTS)
            ids.append((_uscc(n), district))
            out.writerow(
                [
                    ids[-1][0],
                    f"对象{n}",
                    TYPES[rng.randrange(5)],
                    "F5211",
                    DISTRICTS[district],
                    "存续",
                    RISK[rng.randrange(4)],
                ]
            )
    return ids


def _write_officers(path: Path, count: int) -> list[list[str]]:
    by_district: list[list[str]] = [[] for _ in DISTRICTS]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(
            ["cert_no", "name", "department", "cert_valid_until", "status", "district", "leader"]
        )
        for n in range(count):
            cert = f"31{n:08d}"
            by_district[n % len(DISTRICTS)].append(cert)
            out.writerow(
                [
                    cert,
                    f"执法员{n}",
                    "SCJG",
                    "2030-12-31",
                    "在岗",
                    DISTRICTS[n % len(DISTRICTS)],
                    "否",
                ]
            )
    return by_district


def _write_conflicts(
    path: Path, ids: list[tuple[str, int]], certs: list[list[str]], rng: random.Random
) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["cert_no", "object_id", "relation"])
        for object_id, district in ids:
            if rng.randrange(20) == 0:
                for cert in rng.sample(certs[district], 5):
                    out.writerow([cert, object_id, "其他"])


def _write_rules(folder: Path) -> None:
    (folder / "items.toml").write_text(
        '[[item]]\ncode = "BENCH-01"\nname = "企业公示信息的检查"\nlegal_basis = "《企业信息公示暂行条例》第十四条"\n'
        'department = "SCJG"\nclass = "一般"\nmethods = ["现场检查"]\nratio = "0.05"\n',
        encoding="utf-8",
    )
    strata = "".join(
        f'\n[[stratum]]\nname = "{r}-{d}-{t}"\nwhere = {{ risk_class = ["{r}"], district = ["{d}"], type = ["{t}"] }}\n'
        for r in RISK
        for d in DISTRICTS
        for t in TYPES
    )
    (folder / "plans" / "BENCH.toml").write_text(
        'id = "BENCH"\ntitle = "省级批次基准"\nyear = 2027\nbatch = "Q1"\ntype = "不定向"\ndepartment = "SCJG"\n'
        'items = ["BENCH-01"]\nschedule = "manual"\nentropy = "beacon"\n'
        "[window]\nstart = 2027-01-04\nend = 2027-03-31\n"
        '[exclusions]\nstatuses = ["注销"]\n'
        '[team]\nsize = 2\ndistrict = "same"\nload_cap = 25\nconflict_rules = ["declared"]\n'
        + strata,
        encoding="utf-8",
    )


def command(args: tuple[str, ...]) -> list[str]:
    """How to run ``dualrandom ARGS``: ``draw prepare`` and ``draw run`` with the clock
    before and after the ceremony (bench/clocked.py), the rest as they are."""
    for instant, steps in CLOCKED.items():
        if args in steps:
            return [sys.executable, str(Path(__file__).with_name("clocked.py")), instant]
    return [str(BIN)]


def timed(config: Path, *args: str) -> tuple[float, float]:
    """Run one dualrandom command in a child; its wall seconds and peak RSS in MiB."""
    start = time.perf_counter()
    argv = [*command(args), "--config", str(config), *args]
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"dualrandom {' '.join(args)} failed with exit status {child.returncode}")
    return seconds, usage.ru_maxrss / 1024


def generate(folder: Path, objects: int, officers: int) -> None:
    """write_inputs in a child: a forked child's peak RSS counts the parent's pages,
    and a benchmark's own process stays as small as it starts."""
    subprocess.run(
        [sys.executable, __file__, "--generate-only", "--keep", str(folder),
         "--objects", str(objects), "--officers", str(officers)],
        check=True,
    )  # fmt: skip


def import_registries(config: Path, folder: Path, *then: tuple[str, ...]) -> None:
    """``dualrandom init``, the four registry imports of the CSV files in ``folder``
    and ``rules load`` (then the commands ``then``), each in a child."""
    steps: list[tuple[str, ...]] = [("init",)]
    steps += [
        ("registry", "import", kind, str(folder / f"{kind}.csv"))
        for kind in ("departments", "objects", "inspectors", "conflicts")
    ]
    steps += [("rules", "load"), *then]
    for args in steps:
        argv = [*command(args), "--config", str(config), *args]
        subprocess.run(argv, cwd=folder, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--officers", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-draw-"))
    if options.generate_only:
        write_inputs(folder, options.objects, options.officers)
        return
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    generate(folder, options.objects, options.officers)
    print(f"inputs written in {time.perf_counter() - start:.1f} s to {folder}")
    config = folder / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    steps: list[tuple[str, tuple[str, ...]]] = [("init", ("init",))]
    steps += [
        (f"import {k}", ("registry", "import", k, str(folder / f"{k}.csv")))
        for k in ("departments", "objects", "inspectors", "conflicts")
    ]
    steps += [
        ("rules load", ("rules", "load")),
        ("draw prepare", PREPARE),
        ("draw run", RUN),
        (
            "draw export (auditor)",
            ("draw", "export", "BENCH", str(folder / "bundle"), "--tier", "auditor"),
        ),
        ("verify", ("verify", str(folder / "bundle"))),
        ("publish", ("publish",)),
        ("audit verify", ("audit", "verify")),
        ("audit verify (no registries)", ("audit", "verify", "--skip-registries")),
    ]
    print(f"{'step':24} {'seconds':>8} {'peak MiB':>9}")
    for name, args in steps:
        seconds, peak = timed(config, *args)
        print(f"{name:24} {seconds:8.1f} {peak:9.0f}")


if __name__ == "__main__":
    main()
