"""The console's CPU per page, one user at a time, on bench_console.py's kept data.

    .venv/bin/python bench/console_pages.py DIR [--rounds 30] [--profile KIND [--out FILE]]

DIR is the folder of ``bench_console.py --keep DIR`` (its config.toml and
var/). The console runs in this process (Flask's test client: no HTTP
server, no sockets), signed in as bench_console's operator, reviewer and
first inspector, and opens each kind of page the load opens, ``--rounds``
times, the same random pages for every run (a fixed seed). The draw's
integrity check is waited for first, so the pages compare fingerprints
against a kept outcome as they do in a server that has run a while.

Reported per kind: this process's CPU per request (the console's Python:
Flask, SQLAlchemy, psycopg, Jinja), the PostgreSQL backends' CPU per request
(read from /proc for the backends of the console's database), and the wall
time. These are what bench_console's "server CPU per request" is made of,
measured without the other 49 users. ``--profile KIND`` runs that kind under
cProfile and prints its 25 costliest functions (cumulative and own time).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import os
import pstats
import random
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.console import create_app

PASSWORD = "bench-password-2027"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_MINE = re.compile(r'href="(/plans/BENCH/tasks/\d+)"')


LEFT_OUT = [0.0]  # CPU seconds of the bench's own steps inside a timed loop


def _token(page: str) -> str:
    found = _TOKEN.search(page)
    return (found.group(1) or found.group(2)) if found else ""


def _signed_in(flask_app: object, username: str) -> FlaskClient:
    client: FlaskClient = flask_app.test_client()  # type: ignore[attr-defined]
    token = _token(client.get("/login").get_data(as_text=True))
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code == 302, done.status_code
    return client


class Backends:
    """CPU seconds used by the PostgreSQL backends serving the console's database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        with self.engine.connect() as conn:
            self.own = conn.scalar(text("SELECT pg_backend_pid()"))
            self.database = conn.scalar(text("SELECT current_database()"))

    def cpu(self) -> float:
        with self.engine.connect() as conn:
            pids = conn.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": self.database},
            ).all()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")


class _Split:
    """CPU spent inside chosen functions (wrapped where they are looked up)."""

    def __init__(self, names: list[str]) -> None:
        self.spent: dict[str, float] = {}
        for name in names:
            module_name, _, function = name.partition(":")
            module = importlib.import_module(module_name)
            self._wrap(module, function, name)
            # modules that imported the function by name hold their own reference
            original = getattr(module, "__wrapped_original_" + function)
            for other in list(sys.modules.values()):
                if other is not module and getattr(other, function, None) is original:
                    setattr(other, function, getattr(module, function))

    def _wrap(self, module: object, function: str, name: str) -> None:
        original = getattr(module, function)
        self.spent[name] = 0.0

        def timed(*args: object, **kwargs: object) -> object:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[name] += time.process_time() - start

        setattr(module, "__wrapped_original_" + function, original)
        setattr(module, function, timed)

    def report(self, n: int) -> None:
        for name, seconds in self.spent.items():
            print(f"    {name:60} {seconds / n * 1000:7.1f} ms")
            self.spent[name] = 0.0


def _kinds(clients: dict[str, FlaskClient], chooser: random.Random) -> dict[str, Callable[[], int]]:
    op, reviewer, inspector = clients["op"], clients["reviewer"], clients["inspector0"]
    mine = _MINE.findall(inspector.get("/my/tasks").get_data(as_text=True))
    form = inspector.get(mine[0]).get_data(as_text=True)
    checked = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()

    def get(client: FlaskClient, path: Callable[[], str]) -> Callable[[], int]:
        return lambda: client.get(path()).status_code

    def enter() -> int:
        link = chooser.choice(mine)
        data = {
            "csrf_token": _token(form),
            "checked_on": checked,
            "result": "未发现问题",
            "follow_up": "无需后续处置",
            "note": "",
        }
        status = inspector.post(link, data=data).status_code
        # the redirect's page shows the notice (bench_console opens it, as its own
        # kind); unshown, each notice would stay in the session cookie. The test
        # client's work to drop it is not the console's: its CPU is left out.
        start = time.process_time()
        with inspector.session_transaction() as cookie:
            cookie.pop("_flashes", None)
        LEFT_OUT[0] += time.process_time() - start
        return status

    return {
        "dashboard": get(op, lambda: "/"),
        "draw detail": get(op, lambda: f"/plans/BENCH/draws/1?page={chooser.randint(1, 500)}"),
        "task list": get(op, lambda: f"/plans/BENCH/tasks?page={chooser.randint(1, 500)}"),
        "task (operator)": get(op, lambda: f"/plans/BENCH/tasks/{chooser.randint(1, 50_000)}"),
        "review list": get(reviewer, lambda: "/review"),
        "review task list": get(
            reviewer,
            lambda: f"/plans/BENCH/tasks?state=result_entered&page={chooser.randint(1, 3)}",
        ),
        "inspector's task list": get(inspector, lambda: "/my/tasks"),
        "task (inspector)": get(inspector, lambda: chooser.choice(mine)),
        "result entry (POST)": enter,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", help="the kind of page to profile")
    parser.add_argument("--out", type=Path, help="write the profile's stats here")
    parser.add_argument(
        "--split",
        default="",
        help="module:function,… whose CPU per request is reported apart (nested ones overlap)",
    )
    options = parser.parse_args()
    os.chdir(options.folder)
    settings = load_settings(options.folder / "config.toml", environ={})
    app = App.from_settings(settings)
    flask_app = create_app(app)
    clients = {name: _signed_in(flask_app, name) for name in ("op", "reviewer", "inspector0")}
    clients["op"].get("/plans/BENCH/draws/1")  # starts the draw's check if none is kept
    flask_app.extensions["dualrandom.checked"].settle()
    chooser = random.Random(13)  # the pages opened, not a draw
    kinds = _kinds(clients, chooser)
    backends = Backends(settings.database_url)
    split = _Split([name for name in options.split.split(",") if name])
    print(f"{'page':24} {'CPU ms':>7} {'PG ms':>7} {'wall ms':>8}   ({options.rounds} each)")
    for kind, call in kinds.items():
        if options.profile and kind != options.profile:
            continue
        call()  # warm: the first of a kind parses and caches what the next ones reuse
        profiler = cProfile.Profile(time.process_time) if options.profile else None
        pg, cpu, wall = backends.cpu(), time.process_time(), time.perf_counter()
        LEFT_OUT[0] = 0.0
        if profiler:
            profiler.enable()
        for _ in range(options.rounds):
            status = call()
            if status >= 400:
                sys.exit(f"{kind}: status {status}")
        if profiler:
            profiler.disable()
        n = options.rounds
        cpu, wall = time.process_time() - cpu - LEFT_OUT[0], time.perf_counter() - wall
        pg = backends.cpu() - pg
        print(f"{kind:24} {cpu / n * 1000:7.1f} {pg / n * 1000:7.1f} {wall / n * 1000:8.1f}")
        split.report(n)
        if profiler:
            stats = pstats.Stats(profiler)
            if options.out:
                stats.dump_stats(options.out)
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(25)
    print(f"load average {os.getloadavg()[0]:.2f}")
    app.close()


if __name__ == "__main__":
    main()
