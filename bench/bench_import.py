"""Benchmark: import a million objects, against the sqlite3 shell's ``.import``.

    .venv/bin/python bench/bench_import.py [--rows N] [--keep DIR]

Generates N valid objects (deterministic; real USCC check characters) into a
CSV file, then measures, in the same run and on the same file:

* the ``sqlite3`` command-line tool's ``.import`` into a plain table (no
  checks, no indexes): the floor of what loading the file can cost;
* ``dualrandom.registry.import_registry`` into a fresh, migrated SQLite
  database: every cell checked, rows versioned, the snapshot digest computed.
  It runs in a child process, so the peak memory reported is its own.

The targets: within 2.5x of ``.import``, and a peak below 1 GiB.

With ``--postgres URL`` (a SQLAlchemy URL, ``postgresql+psycopg://…``) the
same file is measured on PostgreSQL instead: ``psql``'s ``\\copy`` into a
plain table of text columns (the floor) against the import into a fresh,
migrated schema of that database (the schema is dropped afterwards); the
target there is within 3x of ``\\copy``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import uscc

RATIO_TARGET = 2.5
PG_RATIO_TARGET = 3.0
MEMORY_TARGET = 1 << 30

HEADER = [
    "统一社会信用代码",
    "名称",
    "类型",
    "行业代码",
    "片区",
    "登记机关",
    "住所",
    "登记状态",
    "成立日期",
    "信用风险分类",
    "经营异常名录",
    "严重违法失信名单",
    "监管部门",
    "标签",
    "上次检查日期",
    "法定代表人",
    "联系电话",
]
DISTRICTS = ["兴隆台区", "双台子区", "大洼区", "盘山县", "辽东湾新区"]
TRADES = ["商贸", "餐饮", "建材", "科技", "物流", "农业", "化工", "食品"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _object_row(rng: random.Random, n: int) -> list[str]:
    district = rng.choice(DISTRICTS)
    body = f"9121{rng.randrange(1000, 10000)}{ALPHABET[n % 31]}{n:08d}"[:17]
    established = date(1990, 1, 1) + timedelta(days=rng.randrange(12_000))
    trade = rng.choice(TRADES)
    return [
        body + uscc.calc_check_digit(body),
        f"盘锦{district[:2]}{trade}第{n}号有限公司",
        rng.choice(["企业", "个体工商户", "农民专业合作社"]),
        rng.choice(["F5211", "H6210", "C1310", "E4700", "I6510"]),
        district,
        f"盘锦市市场监督管理局{district}分局",
        f"辽宁省盘锦市{district}振兴街{rng.randrange(1, 999)}号",
        rng.choice(["存续", "存续", "存续", "在业", "注销"]),
        established.isoformat(),
        rng.choice("ABCD"),
        rng.choice(["否", "否", "否", "是"]),
        "否",
        rng.choice(["SCJG", "SCJG;ZJ", "SCJG;SYJ"]),
        rng.choice(["", "", "特种设备使用单位"]),
        rng.choice(["", "2024-05-01", "2025-03-15"]),
        rng.choice(SURNAMES) + rng.choice(["伟", "芳", "军", "静", "磊"]),
        f"13{rng.randrange(10**9):09d}",
    ]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(2027)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(_object_row(rng, n))


def departments_csv(path: Path) -> None:
    path.write_text(
        "code,name,level\nSCJG,市场监督管理局,市\nZJ,住房和城乡建设局,市\nSYJ,商务局,市\n",
        encoding="utf-8",
    )


def sqlite_shell_import(csv_path: Path, workdir: Path) -> float | None:
    """Seconds the sqlite3 shell takes to ``.import`` the file; None if it is not installed."""
    shell = shutil.which("sqlite3")
    if shell is None:
        return None
    database = workdir / "shell.sqlite3"
    started = time.perf_counter()
    subprocess.run(
        [shell, str(database), ".mode csv", f".import {csv_path} objects"],
        check=True,
    )
    return time.perf_counter() - started


def _libpq(url: str) -> str:
    """The libpq form of a SQLAlchemy PostgreSQL URL, for psql."""
    return "postgresql://" + url.split("://", 1)[1]


def psql_copy(csv_path: Path, url: str) -> float:
    """Seconds psql's ``\\copy`` takes to load the file into a plain table of text columns."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    setup = f"DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy ({columns})"
    subprocess.run(["psql", "-q", _libpq(url), "-c", setup], check=True)
    started = time.perf_counter()
    subprocess.run(
        [
            "psql",
            "-q",
            _libpq(url),
            "-c",
            f"\\copy bench_copy FROM '{csv_path}' WITH (FORMAT csv, HEADER true)",
        ],
        check=True,
    )
    seconds = time.perf_counter() - started
    subprocess.run(["psql", "-q", _libpq(url), "-c", "DROP TABLE bench_copy"], check=True)
    return seconds


def library_import(csv_path: Path, workdir: Path, url: str = "") -> dict[str, float]:
    """Run in a child process: one full import into a fresh database (or schema)."""
    from dualrandom.app import App
    from dualrandom.config import load_settings
    from dualrandom.registry import import_registry

    config = workdir / "config.toml"
    if not url:  # fresh: with --keep, an earlier run's database is still there
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
    url = url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    config.write_text(f'[database]\nurl = "{url}"\n')
    app = App.from_settings(load_settings(config, environ={}))
    app.upgrade()
    departments = workdir / "departments.csv"
    departments_csv(departments)
    with app.transaction() as session:
        import_registry(session, "departments", departments, today=date(2027, 1, 4), actor="tester")
    started = time.perf_counter()
    with app.transaction() as session:
        summary = import_registry(
            session, "objects", csv_path, today=date(2027, 1, 4), actor="tester"
        )
    seconds = time.perf_counter() - started
    app.close()
    return {"seconds": seconds, "rows": summary.rows_in_file, "total": summary.total}


def _child(csv_path: Path, workdir: Path, url: str) -> None:
    print(json.dumps(library_import(csv_path, workdir, url)))


def _measure_child(csv_path: Path, workdir: Path, url: str = "") -> tuple[dict[str, float], int]:
    """The child's result and peak resident memory in bytes (ru_maxrss is KiB on Linux)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), str(workdir), "--postgres", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return json.loads(out.strip().splitlines()[-1]), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    parser.add_argument("--postgres", default="", help="measure on this PostgreSQL database")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child, args.postgres)
        return 0
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.postgres:
            return _run_postgres(workdir, args.rows, args.postgres)
        return _run(workdir, args.rows)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir)


def _generated(workdir: Path, rows: int) -> Path:
    csv_path = workdir / "objects.csv"
    if not csv_path.exists():  # --keep: generated by an earlier run
        print(f"Generating {rows:,} objects into {csv_path} ...", flush=True)
        generate(csv_path, rows)
    print(f"  {csv_path.stat().st_size / 2**20:.0f} MiB, load average {os.getloadavg()[0]:.1f}")
    return csv_path


def _run_postgres(workdir: Path, rows: int, url: str) -> int:
    csv_path = _generated(workdir, rows)
    floor = psql_copy(csv_path, url)
    print(f"psql \\copy:                {floor:7.2f} s")
    schema = f"bench_import_{os.getpid()}"
    subprocess.run(["psql", "-q", _libpq(url), "-c", f"CREATE SCHEMA {schema}"], check=True)
    try:
        separator = "&" if "?" in url else "?"
        scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
        result, peak = _measure_child(csv_path, workdir, scoped)
    finally:
        subprocess.run(
            [
                "psql",
                "-q",
                _libpq(url),
                "-c",
                f"SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE",
            ],
            check=True,
        )
    seconds = result["seconds"]
    print(f"dualrandom import (full):  {seconds:7.2f} s  {result['rows'] / seconds:,.0f} rows/s")
    print(f"peak memory (child RSS):   {peak / 2**20:7.0f} MiB")
    ratio = seconds / floor
    print(f"ratio to \\copy:            {ratio:7.2f} x   target <= {PG_RATIO_TARGET:.1f} x")
    print(f"load average:              {os.getloadavg()[0]:7.1f}")
    ok = ratio <= PG_RATIO_TARGET and peak < MEMORY_TARGET
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _run(workdir: Path, rows: int) -> int:
    csv_path = _generated(workdir, rows)
    shell_seconds = sqlite_shell_import(csv_path, workdir)
    if shell_seconds is None:
        print("The sqlite3 command-line tool is not installed (apt-get install -y sqlite3);")
        print("the ratio against .import cannot be measured.")
    else:
        print(f"sqlite3 .import:           {shell_seconds:7.2f} s")
    result, peak = _measure_child(csv_path, workdir)
    seconds = result["seconds"]
    print(f"dualrandom import (full):  {seconds:7.2f} s  {result['rows'] / seconds:,.0f} rows/s")
    print(
        f"peak memory (child RSS):   {peak / 2**20:7.0f} MiB   target < {MEMORY_TARGET >> 20} MiB"
    )
    ok = peak < MEMORY_TARGET
    if shell_seconds is not None:
        ratio = seconds / shell_seconds
        print(f"ratio to .import:          {ratio:7.2f} x   target <= {RATIO_TARGET:.1f} x")
        ok = ok and ratio <= RATIO_TARGET
    print(f"load average:              {os.getloadavg()[0]:7.1f}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
