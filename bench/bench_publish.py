"""Benchmark: publishing the notice site of a provincial batch of 200,000 drawn objects.

    .venv/bin/python bench/bench_publish.py [--objects N] [--drawn K] [--keep DIR [--reuse STAGE]]

Setup (not timed), deterministic, on SQLite: N = 400,000 objects written
straight into the registry tables with SQLAlchemy Core (70 % enterprises,
30 % individual businesses, a third of those registered under a bare person
name so that masking is exercised), 2,000 officers, one 重点 item, and a plan
with 10 public district strata drawing K/N of each (200,000 objects, 2-officer
teams). The draw itself is the real one (prepare and run). Then results:
60 % of the tasks published with the standard codes and follow-ups, 1 %
reviewed (the publish step marks those published, one audit entry each).

Timed, in a child process of its own (wall seconds, CPU seconds, peak RSS):
`dualrandom publish` three times — the first publication (targets: under
60 s and under 1 GiB); again with nothing changed (it writes no file;
target under 5 s); and after one plan notice was added (a plan of the next
year: it writes that notice and the pages listing notices; target under
10 s). Reported: pages, files, files written (inodes that changed), bytes,
the largest page, and the load average, since other work on the machine
slows the build down.

With ``--keep DIR`` the work stays in DIR, and copies of it are kept for
timing again without redoing what comes before: ``DIR/setup`` (after the
setup) and ``DIR/published`` (after the first publication, its site
hard-linked: a build never changes a file in place). ``--reuse setup``
starts again from the first (no setup: all three publications are timed),
``--reuse published`` from the second (the first publication is not timed;
the kept site is published again by this code first, untimed, since a
change of code makes the next publication check every draw in full).

``--base-url URL`` publishes with the site's public address set, as a
configured site has it (the sitemap of every page is then written; without
it the build warns and leaves the sitemap out). It is set in DIR's
config.toml for this run only, so kept work serves both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy import Engine, insert, update
from stdnum.cn import uscc

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.core.model import ItemRecord, ObjectFilter, Plan, Stratum, TeamRules
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.lifecycle.codes import FOLLOW_UPS, RESULT_CODES
from dualrandom.registry.snapshot import registry_digest
from dualrandom.rules.store import save_items, save_plans
from dualrandom.tables import (
    DepartmentRow,
    InspectionTaskRow,
    InspectorRow,
    ObjectRow,
    RegistryVersionRow,
)

DISTRICTS = [f"第{n}片区" for n in range(1, 11)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
NOW = datetime(2026, 12, 28, 1, 30, tzinfo=UTC)
BIN = Path(sys.executable).parent / "dualrandom"
CHUNK = 20_000


def _uscc(n: int, individual: bool) -> str:
    body = (
        ("92" if individual else "91")
        + "21"
        + f"{n % 10000:04d}"
        + "".join(ALPHABET[(n >> (5 * i)) % 31] for i in range(9))
    )
    return body + uscc.calc_check_digit(body)


def _object(n: int) -> dict[str, object]:
    individual = n % 10 >= 7
    if individual and n % 3 == 0:
        name = (
            SURNAMES[n % len(SURNAMES)]
            + GIVEN[(n // 20) % len(GIVEN)]
            + GIVEN[(n // 500) % len(GIVEN)]
        )  # a bare person name
    elif individual:
        name = f"{DISTRICTS[n % 10]}{SURNAMES[n % len(SURNAMES)]}记小吃店{n}"
    else:
        name = f"某省{GIVEN[n % len(GIVEN)]}{GIVEN[(n // 25) % len(GIVEN)]}贸易有限公司{n}"
    return {
        "object_id": _uscc(n, individual),
        "id_type": "uscc",
        "name": name,
        "type": "个体工商户" if individual else "企业",
        "industry": "F5211",
        "district": DISTRICTS[n % 10],
        "registration_authority": "某省市场监督管理局",
        "address": f"某市某路{n}号",
        "status": "存续",
        "risk_class": "ABCD"[n % 4],
        "departments": "SCJG",
        "tags": "",
        "legal_representative": "某",
        "phone": "",
        "version_from": 1,
        "gone": False,
        "abnormal_list": False,
        "serious_illegal_list": False,
    }


def _version(kind: str, total: int, digest: str) -> dict[str, object]:
    return {
        "kind": kind,
        "number": 1,
        "mode": "full",
        "source_name": "bench",
        "source_sha256": "0" * 64,
        "rows_in_file": total,
        "added": total,
        "changed": 0,
        "gone": 0,
        "total": total,
        "digest": digest,
        "created_at": NOW,
    }


def _registries(engine: Engine, objects: int, officers: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(DepartmentRow), [{"code": "SCJG", "name": "某省市场监督管理局", "level": "省"}]
        )
        for start in range(0, objects, CHUNK):
            conn.execute(
                insert(ObjectRow), [_object(n) for n in range(start, min(objects, start + CHUNK))]
            )
        conn.execute(
            insert(InspectorRow),
            [
                {
                    "cert_no": f"31{n:08d}",
                    "name": f"执法员{n}",
                    "department": "SCJG",
                    "post": "",
                    "specialties": "",
                    "leader": n % 5 == 0,
                    "expert": False,
                    "cert_valid_until": date(2030, 12, 31),
                    "status": "在岗",
                    "unavailable": "",
                    "district": "",
                    "home_district": "",
                    "id_number": "",
                    "phone": "",
                    "version_from": 1,
                    "gone": False,
                }
                for n in range(officers)
            ],
        )


def _versions(app: App, objects: int, officers: int) -> None:
    with app.transaction() as session:
        digests = {kind: registry_digest(session, kind, None) for kind in ("objects", "inspectors")}
        session.execute(
            insert(RegistryVersionRow),
            [
                _version("objects", objects, digests["objects"]),
                _version("inspectors", officers, digests["inspectors"]),
            ],
        )


def _rules(app: App, objects: int, drawn: int) -> None:
    ratio = Fraction(drawn, objects)
    item = ItemRecord(
        code="BENCH-01",
        name="企业公示信息的检查",
        legal_basis="《企业信息公示暂行条例》第十四条",
        department="SCJG",
        item_class="重点",
        methods=("现场检查",),
        ratio=ratio,  # type: ignore[arg-type]
    )
    plan = Plan(
        id="BENCH",
        title="省级“双随机、一公开”专项抽查",
        year=2027,
        batch="Q1",
        kind="专项",  # type: ignore[arg-type]
        department="SCJG",
        items=("BENCH-01",),
        window_start=date(2027, 1, 4),
        window_end=date(2027, 3, 31),
        strata=tuple(Stratum(d, ObjectFilter.of({"district": [d]})) for d in DISTRICTS),
        team=TeamRules(size=2, leader=True, conflict_rules=("declared",)),
    )
    with app.transaction() as session:
        save_items(session, [item], "bench", actor="tester")
        save_plans(session, [plan], "bench", actor="tester")


def _results(app: App) -> None:
    with app.engine.begin() as conn:
        tasks = InspectionTaskRow.__table__
        for code_index, code in enumerate(RESULT_CODES):
            follow_up = FOLLOW_UPS[0] if code_index in (0, 6) else FOLLOW_UPS[1 + code_index % 4]
            conn.execute(
                update(tasks)
                .where((tasks.c.visit % 10 < 6) & (tasks.c.visit % 13 == code_index))
                .values(
                    state="published",
                    result_code=code,
                    follow_up=follow_up,
                    checked_on=date(2027, 2, 1 + code_index),
                    updated_at=NOW,
                )
            )
        conn.execute(
            update(tasks)
            .where(tasks.c.visit % 100 == 99)
            .values(
                state="reviewed",
                result_code=RESULT_CODES[0],
                follow_up=FOLLOW_UPS[0],
                checked_on=date(2027, 3, 1),
                updated_at=NOW,
            )
        )


def setup(folder: Path, objects: int, drawn: int) -> Path:
    config = folder / "config.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///db.sqlite3"\n[paths]\nvar = "var"\n', encoding="utf-8"
    )
    app = App.from_settings(load_settings(config, environ={}))
    app.upgrade()
    try:
        _registries(app.engine, objects, 2_000)
        _versions(app, objects, 2_000)
        _rules(app, objects, drawn)
        secrets = SecretStore(folder / "secrets")
        with app.transaction() as session:
            prepare_draw(session, "BENCH", secrets=secrets, now=NOW, actor="tester")
        with app.transaction() as session:
            _, result = run_draw(
                session, "BENCH", "3 1 4 1 5 9 2 6", secrets=secrets, now=NOW, actor="tester"
            )
        print(f"drawn {len(result.visits):,} of {objects:,} objects")
        _results(app)
    finally:
        app.close()
    return config


def timed(config: Path, *args: str) -> tuple[float, float, float]:
    """Run one dualrandom command in a child: wall seconds, CPU seconds, peak RSS in MiB."""
    start = time.perf_counter()
    child = subprocess.Popen([str(BIN), "--config", str(config), *args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dualrandom {' '.join(args)} failed")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _site_size(site: Path) -> tuple[int, int, int, int]:
    pages = files = size = largest = 0
    for path in site.rglob("*"):
        if path.is_file():
            files, size = files + 1, size + path.stat().st_size
            if path.suffix == ".html":
                pages, largest = pages + 1, max(largest, path.stat().st_size)
    return pages, files, size, largest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=400_000)
    parser.add_argument("--drawn", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--reuse",
        choices=STAGES,
        help="with --keep: start from the copy kept after this stage by an earlier run",
    )
    parser.add_argument(
        "--base-url", default="", help="the site's public address ([site] base_url)"
    )
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.reuse and not options.keep:
        parser.error("--reuse needs --keep DIR")
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    folder.mkdir(parents=True, exist_ok=True)
    if options.setup_only:
        setup(folder, options.objects, options.drawn)
        return
    start = time.perf_counter()
    _address(folder / "config.toml", options.base_url)
    if options.reuse:
        _restore(folder, options.reuse)
        print(f"restored {folder / options.reuse} in {time.perf_counter() - start:.1f} s")
        if options.reuse == "published":
            # The kept site and fingerprints may be another version's: this
            # code's first publication checks and writes what it must, untimed.
            seconds, _, _ = timed(folder / "config.toml", "publish", "--out", str(folder / "site"))
            print(f"published again by this code (not timed: {seconds:.1f} s)")
    else:
        _clear(folder)
        # Set up in a child, so that the timed children do not inherit its memory.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--setup-only",
                "--keep",
                str(folder),
                "--objects",
                str(options.objects),
                "--drawn",
                str(options.drawn),
            ],
            check=True,
        )
        print(f"setup {time.perf_counter() - start:.1f} s in {folder}")
        _address(folder / "config.toml", options.base_url)
        if options.keep:
            _save(folder, "setup")
    config, site = folder / "config.toml", folder / "site"
    print(
        f"{'step':28} {'seconds':>8} {'cpu s':>6} {'peak MiB':>9} {'pages':>8} {'files':>8} {'written':>8} {'MiB':>7} {'largest':>8} {'load':>5}"
    )
    ok = True
    steps = (
        ("publish (marks 1% reviewed)", 60.0),
        ("publish again, no change", 5.0),
        ("one plan notice added", 10.0),
    )
    for index, (name, target) in enumerate(steps):
        if index == 0 and options.reuse == "published":
            continue  # the copy is of the site the first publication made
        if target == 10.0:
            _add_plan(config)
        before = _inodes(site)
        seconds, cpu, peak = timed(config, "publish", "--out", str(site))
        after = _inodes(site)
        written = sum(1 for path, inode in after.items() if before.get(path) != inode)
        pages, files, size, largest = _site_size(site)
        load = os.getloadavg()[0]  # other work on the machine slows a build down
        print(
            f"{name:28} {seconds:8.1f} {cpu:6.1f} {peak:9.0f} {pages:8,} {files:8,} {written:8,} {size / 2**20:7.1f} {largest // 1000:5} kB {load:5.1f}"
        )
        ok = ok and seconds < target and peak < 1024
        if index == 0 and options.keep:
            _save(folder, "published")
    print("targets (< 60 s, < 5 s, < 10 s; < 1 GiB):", "met" if ok else "MISSED")
    sys.exit(0 if ok else 1)


def _address(config: Path, base_url: str) -> None:
    """Set (or leave out) the site's public address in the kept config."""
    if not config.is_file():
        return  # the setup writes it; set again after the setup
    text = config.read_text(encoding="utf-8").split("[site]\n")[0]
    if base_url:
        text += f'[site]\nbase_url = "{base_url}"\n'
    config.write_text(text, encoding="utf-8")


STAGES = ("setup", "published")
_WORK = ("db.sqlite3", "db.sqlite3-wal", "secrets", "var", "site", ".site.verified")


def _clear(folder: Path) -> None:
    """Remove the work of an earlier run from ``folder`` (not the kept copies)."""
    for name in _WORK:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _save(folder: Path, stage: str) -> None:
    """Copy the work in ``folder`` to ``folder/stage`` (the site's files hard-linked)."""
    kept = folder / stage
    if kept.exists():
        shutil.rmtree(kept)
    kept.mkdir()
    _copy_work(folder, kept)


def _restore(folder: Path, stage: str) -> None:
    """The work in ``folder`` as it was kept at ``folder/stage``."""
    kept = folder / stage
    if not (kept / "db.sqlite3").is_file():
        raise SystemExit(f"{kept} holds no kept work: run once with --keep {folder} first")
    _clear(folder)
    _copy_work(kept, folder)


def _copy_work(source: Path, target: Path) -> None:
    """The work's files from ``source`` into ``target`` (the site's hard-linked)."""
    for name in _WORK:
        path = source / name
        if path.is_dir():
            shutil.copytree(
                path, target / name, copy_function=os.link if name == "site" else shutil.copy2
            )
        elif path.exists():
            shutil.copy2(path, target / name)


def _inodes(site: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: a file written anew changes both."""
    if not site.is_dir():
        return {}
    found = {}
    for path in site.rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[str(path.relative_to(site))] = (stat.st_ino, stat.st_mtime_ns)
    return found


def _add_plan(config: Path) -> None:
    """One more plan, of the next year: one more plan notice (not timed)."""
    app = App.from_settings(load_settings(config, environ={}))
    try:
        plan = Plan(
            id="BENCH-2028",
            title="省级“双随机、一公开”专项抽查（下一年度）",
            year=2028,
            batch="Q1",
            kind="专项",  # type: ignore[arg-type]
            department="SCJG",
            items=("BENCH-01",),
            window_start=date(2028, 1, 4),
            window_end=date(2028, 3, 31),
            strata=(Stratum(DISTRICTS[0], ObjectFilter.of({"district": [DISTRICTS[0]]})),),
            team=TeamRules(size=2, leader=True, conflict_rules=("declared",)),
        )
        with app.transaction() as session:
            save_plans(session, [plan], "bench", actor="tester")
    finally:
        app.close()


if __name__ == "__main__":
    main()
