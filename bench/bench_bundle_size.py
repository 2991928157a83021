"""DR-2 bundle sizes and verification time at scale (a plain script, not a test).

    PYTHONPATH=inspect:. .venv/bin/python bench/bench_bundle_size.py [--objects N] [--standalone]

Builds a DR-2 draw of N generated objects (default 1,000,000) — a plan of
risk × district strata plus a public stratum, the pinned round signed on the
demo chain, 20 dice — and its public and auditor bundles, then reports:

* the size of each tier, and of its largest files;
* the **public material** of the draw: every public file but README.txt and
  verify.py (the same for every draw). Floor (issue 9): under 40 MB for
  1,000,000 objects;
* the **extra per further draw** when the snapshot is unchanged: the public
  material without objects-public.tsv.gz, which the next draw of the same
  registry version shares byte for byte (same digest P). Floor: under 5 MB;
* what the notice site publishes: the **per-draw public zip** (the snapshot
  left out, as publish writes it) and the **snapshot** itself, published once
  per registry version at snapshots/<P>.tsv.gz;
* the time of the public check (``dualrandom verify`` on the public folder)
  and, with ``--standalone``, of ``python3 -I -S verify.py`` (stdlib only).

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

from tests.core.factories import item, officer, plan, where
from tests.draws.dr2_bundles import make_draw, write

from dualrandom.core import DrawInputs
from dualrandom.core.model import ObjectRecord, Stratum, TeamRules
from dualrandom.draws import verify_bundle
from dualrandom.draws.bundle_dr2 import SNAPSHOT_FILE, bundle_files
from dualrandom.publish.write import zip_folder

DISTRICTS = [f"第{n}片区" for n in range(1, 11)]
TYPES = ["企业", "个体工商户", "农民专业合作社"]
CONSTANT = {"README.txt", "verify.py", "MANIFEST.sha256"}


def records(n: int) -> list[ObjectRecord]:
    """Objects with realistic entropy (so gzip is not flattered): USCC-like ids
    from a hash, one of 200 industry codes, SCJG plus sometimes one of two
    other departments, some tags and inspection dates, 10 districts, 2%
    deregistered."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    industries = [f"{c}{k:04d}" for c in "CEFGHI" for k in range(0, 8000, 120)][:200]
    departments = [("SCJG",), ("SCJG",), ("SCJG", "ZJ"), ("SCJG", "WJW")]
    out = []
    for i in range(n):
        h = hashlib.sha256(i.to_bytes(8, "big")).digest()
        code = "".join(alphabet[b % 31] for b in h[:10])
        out.append(
            ObjectRecord(
                id=f"9121{h[10] % 100:02d}{code}{h[11] % 10}{alphabet[h[12] % 31]}",
                name=f"盘锦某某有限公司{i}",
                type=TYPES[h[13] % 3],  # type: ignore[arg-type]
                industry=industries[int.from_bytes(h[14:16], "big") % 200],
                district=DISTRICTS[h[16] % 10],
                status="存续" if h[17] % 50 else "注销",  # type: ignore[arg-type]
                risk_class="ABCD"[h[18] % 4],  # type: ignore[arg-type]
                address=f"某街{i}号",
                departments=departments[h[19] % 4],
                tags=("特种设备使用单位",) if h[21] % 7 == 0 else (),
                last_inspected=date(2024 + h[22] % 3, 1 + h[23] % 12, 1 + h[24] % 28)
                if h[25] % 3 == 0
                else None,
            )
        )
    return out


def inputs(n: int) -> DrawInputs:
    strata = [
        Stratum("合作社", where(type=["农民专业合作社"]), min_count=1),
        *(
            Stratum(f"{d}{name}", where(risk_class=classes, district=[d], type=TYPES[:2]), ratio=r)
            for d in DISTRICTS
            for name, classes, r in (
                ("低风险", ["A", "B"], Fraction(1, 50)),
                ("中高风险", ["C", "D"], Fraction(1, 10)),
            )
        ),
    ]
    return DrawInputs(
        plan(("SCJG-01",), team=TeamRules(size=2), strata=strata, window_start=date(2027, 1, 4)),
        {"SCJG-01": item("SCJG-01", ratio="1/20")},
        records(n),
        [officer(f"2111{k:04d}") for k in range(400)],
    )


def mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--standalone", action="store_true")
    args = parser.parse_args()
    print(f"load average: {load()}")
    start = time.perf_counter()
    big = inputs(args.objects)
    signatures = {(o.type, o.industry, o.district, o.status, o.departments, o.tags) for o in big.objects}
    print(f"{len(signatures):,} distinct filter signatures (type … tags) among the objects")
    draw_ = make_draw(big.plan, big)
    print(f"prepare + draw + Dr2Draw checks, {args.objects:,} objects: "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    tiers = {tier: bundle_files(draw_, tier) for tier in ("public", "auditor")}
    for tier, files in tiers.items():
        total = sum(map(len, files.values()))
        packed = sum(len(gzip.compress(d, 6)) for d in files.values())
        largest = sorted(files, key=lambda n: -len(files[n]))[:4]
        print(f"{tier}: {len(files)} files, {mb(total)} ({mb(packed)} gzipped); largest: "
              + ", ".join(f"{n} {mb(len(files[n]))}" for n in largest))  # fmt: skip
    public = tiers["public"]
    material = sum(len(d) for n, d in public.items() if n not in CONSTANT)
    extra = sum(len(d) for n, d in public.items() if n not in CONSTANT | {"objects-public.tsv.gz"})
    print(f"public material: {mb(material)} (floor 40 MB: {'ok' if material < 40e6 else 'OVER'})")
    print(f"extra per further draw, snapshot unchanged: {mb(extra)} "
          f"(floor 5 MB: {'ok' if extra < 5e6 else 'OVER'})")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(Path(tmp) / "public", {n: d for n, d in public.items() if n != SNAPSHOT_FILE})
        snapshot = Path(tmp) / "snapshot.tsv.gz"
        snapshot.write_bytes(public[SNAPSHOT_FILE])
        archive = io.BytesIO()
        zip_folder(folder, archive, prefix="public", moment=datetime(2027, 1, 4, tzinfo=UTC))
        print(f"site: per-draw public zip (no snapshot) {mb(len(archive.getvalue()))}; "
              f"snapshot, once per registry version, {mb(snapshot.stat().st_size)}")  # fmt: skip
        start = time.perf_counter()
        report = verify_bundle(folder, snapshot)
        print(f"dualrandom verify (public tier): {time.perf_counter() - start:.1f} s — {report.verdict}")
        if args.standalone:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder),
                 "--snapshot", str(snapshot)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
            print(f"python3 -I -S verify.py (public tier): {time.perf_counter() - start:.1f} s — {verdict}")
    print(f"load average: {load()}")


if __name__ == "__main__":
    main()
