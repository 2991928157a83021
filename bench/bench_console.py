"""Benchmark: the console under 50 simulated users, on PostgreSQL, for 60 seconds.

    .venv/bin/python bench/bench_console.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
        [--objects 1000000] [--visits 50000] [--users 50] [--seconds 60] [--workers 4]
        [--reuse] [--keep DIR]

Setup (timed, not part of the load): a schema ``bench_console`` of its own on
the given database; N objects and 2,000 officers written straight into the
registry tables (bench/bench_publish.py's generator), one 重点 item, a plan
that draws ``--visits`` of them in 10 district strata with 2-officer teams,
prepared and drawn with the real protocol; console accounts (argon2 at its
production cost): an operator, a reviewer, and an inspector for each of the
40 officers with the most visits. ``--reuse`` keeps a schema already set up.

Load: gunicorn (``--preload``, ``--workers`` processes (2) of 4 threads each) serves
``dualrandom.console.wsgi:app`` on 127.0.0.1; ``--users`` threads (httpx, one
client and one session each) sign in and, until the time is up, do what their
role does, with a pause between requests (uniform, mean ``--think``, 1 s):
operators open the dashboard, a random page of the draw's 50,000
visits with teams, a random page of the task list, a task; reviewers the
review list and a page of tasks; inspectors their own task list, a task, and
enter its result (the real form, with its CSRF token). Every request is
bounded (10 s timeout) and the run stops by itself.

Reported: per kind of request, count and p50/p95/p99 latency (a redirect is
timed as the browser's next request, not as part of the POST; signing in,
argon2 by design and once a session, is listed but left out of "all pages");
errors (any status >= 400, exception, or redirect to the login page once
signed in); the server's peak memory (gunicorn master and workers together,
sampled every 0.5 s: PSS, RSS beside); the server's CPU and the load
generator's own, per request, and the server's CPU per kind of request (the
CPU time of the worker thread that served it, from gunicorn's hooks: a
header names the kind); the load average. Floor: p95 under 300 ms, no
errors, server memory under 500 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_publish

from dualrandom.accounts import add_user
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.core.model import ItemRecord, ObjectFilter, Plan, Stratum, TeamRules
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.rules.store import save_items, save_plans
from dualrandom.tables import DrawMemberRow

SCHEMA = "bench_console"
PASSWORD = "bench-password-2027"
INSPECTORS = 40
BIN = Path(sys.executable).parent


def _schema_url(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"


def _plan(objects: int, visits: int, today: date) -> tuple[ItemRecord, Plan]:
    item = ItemRecord(
        code="BENCH-01",
        name="企业公示信息的检查",
        legal_basis="《企业信息公示暂行条例》第十四条",
        department="SCJG",
        item_class="重点",
        methods=("现场检查",),
        ratio=Fraction(visits, objects),  # type: ignore[arg-type]
    )
    plan = Plan(
        id="BENCH",
        title="省级“双随机、一公开”专项抽查",
        year=today.year,
        batch="B1",
        kind="专项",  # type: ignore[arg-type]
        department="SCJG",
        items=("BENCH-01",),
        window_start=today - timedelta(days=20),
        window_end=today + timedelta(days=60),
        strata=tuple(
            Stratum(d, ObjectFilter.of({"district": [d]})) for d in bench_publish.DISTRICTS
        ),
        team=TeamRules(size=2, leader=True, conflict_rules=("declared",)),
    )
    return item, plan


def setup(folder: Path, url: str, objects: int, visits: int, reuse: bool) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "{_schema_url(url)}"\n[paths]\nvar = "var"\n', encoding="utf-8"
    )
    admin = create_engine(url)
    with admin.begin() as conn:
        exists = conn.scalar(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
            {"s": SCHEMA},
        )
        if exists and reuse:
            print(f"reusing schema {SCHEMA}")
            admin.dispose()
            _vacuum(config)
            return config
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    app = App.from_settings(load_settings(config, environ={}))
    try:
        app.upgrade()
        started = time.perf_counter()
        bench_publish._registries(app.engine, objects, 2_000)
        bench_publish._versions(app, objects, 2_000)
        print(
            f"  registries: {objects:,} objects, 2,000 officers in {time.perf_counter() - started:.0f} s"
        )
        now = datetime.now(UTC) - timedelta(days=10)
        item, plan = _plan(objects, visits, now.date())
        with app.transaction() as session:
            save_items(session, [item], "bench", actor="bench")
            save_plans(session, [plan], "bench", actor="bench")
        secrets = SecretStore(folder / "var" / "secrets")
        started = time.perf_counter()
        with app.transaction() as session:
            prepare_draw(session, "BENCH", secrets=secrets, now=now, actor="bench")
        with app.transaction() as session:
            _, result = run_draw(
                session, "BENCH", "3 1 4 1 5 9 2 6", secrets=secrets, now=now, actor="bench"
            )
        print(f"  draw: {len(result.visits):,} visits in {time.perf_counter() - started:.0f} s")
        _accounts(app, now)
    finally:
        app.close()
    _vacuum(config)
    return config


def _vacuum(config: Path) -> None:
    """VACUUM (ANALYZE) the schema, as autovacuum does in production after a bulk
    load and after a run's result entries (this machine's PostgreSQL has it off):
    without it, counting a batch's 50,000 tasks by state cannot use the index
    alone (the visibility map is empty) and reads the table on every view."""
    settings = load_settings(config, environ={})
    engine = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()


def _accounts(app: App, now: datetime) -> None:
    with app.transaction() as session:
        busiest = session.execute(
            select(DrawMemberRow.cert_no, func.count())
            .group_by(DrawMemberRow.cert_no)
            .order_by(func.count().desc(), DrawMemberRow.cert_no)
            .limit(INSPECTORS)
        ).all()
        add_user(
            session, "op", "操作员", "operator", PASSWORD, department="SCJG", now=now, actor="bench"
        )
        add_user(session, "reviewer", "审核员", "reviewer", PASSWORD, now=now, actor="bench")
        for n, (cert, _) in enumerate(busiest):
            add_user(
                session,
                f"inspector{n}",
                f"检查员{n}",
                "inspector",
                PASSWORD,
                cert_no=cert,
                now=now,
                actor="bench",
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _family(pid: int) -> list[int]:
    """The process ``pid`` and its children (gunicorn's workers)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    return pids


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by the process ``pid`` and its children:
    what the server costs per request, whatever else the machine runs."""
    total = 0
    for p in _family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _memory_mib(pid: int) -> tuple[float, float]:
    """Memory of the process ``pid`` and its children (gunicorn's workers): (PSS, RSS).

    PSS (proportional set size, /proc/<pid>/smaps_rollup) counts a page shared by
    n processes as 1/n in each: summed, it is the memory the server holds (what
    ``smem`` reports). RSS counts a shared page in every process that maps it:
    summed over workers forked from a preloaded master, it counts the code and
    the data they share once per process."""
    pss = rss = 0
    for p in _family(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except OSError:
            pass
    return pss / 1024, rss / 1024


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if error:
                self.errors.append(f"{kind}: {error}")


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


_TLS = ssl.create_default_context()

# What a redirect leads to, as the load reports it.
_REDIRECTED = {"/": "dashboard", "/my/tasks": "inspector's task list"}
# Signing in: argon2 on purpose (about 30 ms of one core), once a session, not a page.
SIGN_IN = ("login page", "login")


def _token(page: str) -> str:
    found = _TOKEN.search(page)
    return (found.group(1) or found.group(2)) if found else ""


class User(threading.Thread):
    def __init__(
        self,
        base: str,
        username: str,
        role: str,
        deadline: float,
        stats: Stats,
        seed: int,
        think: float,
    ):
        super().__init__(daemon=True)
        self.think = think
        self.base, self.username, self.role = base, username, role
        self.deadline, self.stats = deadline, stats
        self.random = random.Random(seed)  # the load's own choices, not a draw

    def get(self, client: httpx.Client, kind: str, path: str) -> str:
        return self.call(client, kind, "GET", path)

    def call(
        self,
        client: httpx.Client,
        kind: str,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
    ) -> str:
        start = time.perf_counter()
        error = None
        body = ""
        location = ""
        try:
            # A redirect is the browser's next request, timed on its own (a POST's
            # time is not the page it leads to).
            response = client.request(
                method,
                self.base + path,
                data=data,
                follow_redirects=False,
                headers={KIND_HEADER: _ascii(kind)},
            )
            body = response.text
            if response.status_code >= 400:
                error = f"{method} {path} → {response.status_code}"
            elif response.is_redirect:
                location = response.headers.get("location", "")
                if location.removeprefix(self.base).split("?")[0] == "/login":
                    # signed out (a sign-in that failed, a session that ended): the
                    # user sees the login page instead of their work
                    error = f"{method} {path} → redirected to /login"
        except httpx.HTTPError as exc:
            error = f"{method} {path} → {type(exc).__name__}"
        self.stats.record(kind, time.perf_counter() - start, error)
        if location:
            target = location.removeprefix(self.base)
            return self.get(
                client, _REDIRECTED.get(target.split("?")[0], kind + " → redirect"), target
            )
        return body

    def run(self) -> None:
        # One TLS context for all the users: httpx makes a new one per client
        # otherwise (about 90 ms of CPU each, loading the CA bundle), 50 of them
        # at the start, beside the sign-ins; the load talks plain HTTP anyway.
        with httpx.Client(timeout=10, follow_redirects=True, verify=_TLS) as client:
            time.sleep(self.random.uniform(0, self.think))  # people do not all arrive at once
            page = self.get(client, "login page", "/login")
            self.call(
                client,
                "login",
                "POST",
                "/login",
                {"username": self.username, "password": PASSWORD, "csrf_token": _token(page)},
            )
            done: set[str] = set()
            while time.perf_counter() < self.deadline:
                time.sleep(self.random.uniform(0, 2 * self.think))
                getattr(self, f"_{self.role}")(client, done)

    def _operator(self, client: httpx.Client, _: set[str]) -> None:
        choice = self.random.random()
        if choice < 0.25:
            self.get(client, "dashboard", "/")
        elif choice < 0.6:
            self.get(
                client,
                "draw detail (page of 100)",
                f"/plans/BENCH/draws/1?page={self.random.randint(1, 500)}",
            )
        elif choice < 0.9:
            self.get(
                client,
                "task list (page of 100)",
                f"/plans/BENCH/tasks?page={self.random.randint(1, 500)}",
            )
        else:
            self.get(client, "task", f"/plans/BENCH/tasks/{self.random.randint(1, 50_000)}")

    def _reviewer(self, client: httpx.Client, _: set[str]) -> None:
        if self.random.random() < 0.5:
            self.get(client, "review list", "/review")
        else:
            self.get(
                client,
                "task list (page of 100)",
                f"/plans/BENCH/tasks?state=result_entered&page={self.random.randint(1, 3)}",
            )

    def _inspector(self, client: httpx.Client, done: set[str]) -> None:
        mine = self.get(client, "inspector's task list", "/my/tasks")
        links = [a for a in re.findall(r'href="(/plans/BENCH/tasks/\d+)"', mine) if a not in done]
        if not links:
            return
        link = links[0]
        form = self.get(client, "task", link)
        checked = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        self.call(
            client,
            "result entry (POST)",
            "POST",
            link,
            {
                "csrf_token": _token(form),
                "checked_on": checked,
                "result": "未发现问题",
                "follow_up": "无需后续处置",
                "note": "",
            },
        )
        done.add(link)


KIND_HEADER = "X-Bench-Kind"
# Loaded by gunicorn (-c): each worker adds up the CPU time of the thread that
# serves each request (from before the application is called to after the
# response is sent) by the kind the load names in a header, and writes the
# sums when it exits. What is left of the server's CPU is everything else:
# the master, the draw's integrity check in the background, idle threads.
HOOKS = """
import json, os, time
from collections import defaultdict

_spent = defaultdict(lambda: [0, 0.0])

def pre_request(worker, req):
    req.bench_cpu = time.thread_time()

def post_request(worker, req, environ, resp):
    kind = environ.get("HTTP_X_BENCH_KIND", "")
    _spent[kind][0] += 1
    _spent[kind][1] += time.thread_time() - req.bench_cpu

def worker_exit(server, worker):
    path = os.path.join(os.environ["BENCH_CPU_DIR"], f"worker-{os.getpid()}.json")
    with open(path, "w") as out:
        json.dump(dict(_spent), out)
"""


def _ascii(kind: str) -> str:
    """The kind as a header value (HTTP headers are Latin-1: the kinds are English)."""
    return kind.encode("ascii", "replace").decode("ascii")


def _cpu_by_kind(folder: Path) -> dict[str, tuple[int, float]]:
    """(requests, CPU seconds) by kind, summed over the workers' files."""
    found: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for path in folder.glob("worker-*.json"):
        for kind, (count, seconds) in json.loads(path.read_text()).items():
            found[kind][0] += count
            found[kind][1] += seconds
    return {kind: (int(n), s) for kind, (n, s) in found.items()}


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def load(config: Path, users: int, seconds: float, workers: int, think: float) -> bool:
    port = _free_port()
    spent = config.parent / "cpu-by-kind"
    shutil.rmtree(spent, ignore_errors=True)
    spent.mkdir()
    hooks = config.parent / "bench_hooks.py"
    hooks.write_text(HOOKS, encoding="utf-8")
    env = {**os.environ, "DUALRANDOM_CONFIG": str(config), "BENCH_CPU_DIR": str(spent)}
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(hooks),
            "-w",
            str(workers),
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--preload",  # built once in the master: the workers share its memory
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "--error-logfile",
            str(config.parent / "gunicorn.log"),
            "dualrandom.console.wsgi:app",
        ],
        env=env,
        cwd=config.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        stats, peak = Stats(), [0.0, 0.0]  # PSS, RSS
        cpu = [_cpu_seconds(server.pid), 0.0]  # at the start, the latest
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                pss, rss = _memory_mib(server.pid)
                peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
                cpu[1] = _cpu_seconds(server.pid)
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        roles = ["operator"] * (users // 4) + ["reviewer"] * (users // 10)
        roles += ["inspector"] * (users - len(roles))
        load_before = os.getloadavg()
        own_cpu = time.process_time()  # the load generator's own CPU (all its threads)
        deadline = time.perf_counter() + seconds
        threads = []
        inspector = 0
        for n, role in enumerate(roles):
            name = {"operator": "op", "reviewer": "reviewer"}.get(role, "")
            if role == "inspector":
                name, inspector = f"inspector{inspector % INSPECTORS}", inspector + 1
            threads.append(User(base, name, role, deadline, stats, seed=n, think=think))
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 30)
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        load_after = os.getloadavg()
        own_cpu = time.process_time() - own_cpu
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    every = [t for kind, times in stats.times.items() if kind not in SIGN_IN for t in times]
    print(
        f"\n{users} users (think time 0–{2 * think:.1f} s), {elapsed:.0f} s, gunicorn {workers} workers × 4 threads, {len(every):,} requests ({len(every) / elapsed:.0f}/s)"
    )
    by_kind = _cpu_by_kind(spent)
    print(f"{'request':30} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'CPU ms':>7}")
    for kind, times in sorted(stats.times.items()):
        n, seconds = by_kind.get(_ascii(kind), (0, 0.0))
        print(
            f"{kind:30} {len(times):7,} {_percentile(times, 50):8.0f} {_percentile(times, 95):8.0f} {_percentile(times, 99):8.0f} {seconds / max(1, n) * 1000:7.1f}"
        )
    p95 = _percentile(every, 95)
    print(
        f"{'all pages (sign-in aside)':30} {len(every):7,} {statistics.median(every) * 1000:8.0f} {p95:8.0f} {_percentile(every, 99):8.0f}"
    )
    print(
        f"errors: {len(stats.errors)}" + (f" (first: {stats.errors[:3]})" if stats.errors else "")
    )
    print(
        f"server peak memory (master + workers, PSS): {peak[0]:.0f} MiB "
        f"(RSS summed, shared pages counted in each process: {peak[1]:.0f} MiB)"
    )
    used = cpu[1] - cpu[0]
    served = sum(seconds for _, seconds in by_kind.values())
    print(
        f"server CPU (master + workers, not PostgreSQL): {used:.1f} s, "
        f"{used / max(1, len(every)) * 1000:.1f} ms per request; in the requests' own "
        f"threads (CPU ms above) {served:.1f} s, the rest (master, background check, "
        f"idle threads) {used - served:.1f} s"
    )
    print(
        f"load generator CPU (its {users} users and this sampler): {own_cpu:.1f} s, "
        f"{own_cpu / max(1, len(every)) * 1000:.0f} ms per request"
    )
    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} ({os.cpu_count()} cores)"
    )
    ok = p95 < 300 and not stats.errors and peak[0] < 500
    print("floor (p95 < 300 ms, no errors, < 500 MiB):", "met" if ok else "MISSED")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", required=True, help="a PostgreSQL database (a schema is made in it)"
    )
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause of a user between requests, s (0: none)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench schema")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-console-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    config = setup(folder, options.database_url, options.objects, options.visits, options.reuse)
    print(f"setup {time.perf_counter() - started:.0f} s in {folder}")
    ok = load(config, options.users, options.seconds, options.workers, options.think)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
