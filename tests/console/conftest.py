"""A console on a database with the sample registries and rules, a drawn and a
prepared plan, and one user of every role; a test client that signs in.

The database is built once per test module (the tests here only read it, or
write what no other test of the module looks at); argon2 runs with its
cheapest parameters so that signing in costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient

from dualrandom.accounts import add_user, passwords
from dualrandom.app import App
from dualrandom.console import create_app
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.registry import import_registry
from tests.conftest import BACKENDS, REPO
from tests.draws.conftest import fixed_token, load_sample, store_dr1_plans
from tests.publish.scenario import database_url, make_app

T0 = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
DICE = "3 1 4 1 5 2 6 5 3 5 6 2 1 4 4 6 2 3 3 1"
# (username, role, department, cert_no): an inspector on a team of 2027-Q1 is found below.
USERS = (
    ("admin", "admin", "", ""),
    ("op", "operator", "SCJG", ""),
    ("op.syj", "operator", "SYJ", ""),
    ("op.cz", "operator", "CZ", ""),
    ("reviewer", "reviewer", "", ""),
    ("auditor", "auditor", "", ""),
)


@pytest.fixture(autouse=True, scope="session")
def cheap_hashes() -> Iterator[None]:
    saved = passwords.HASHER
    passwords.HASHER = PasswordHasher.from_parameters(CHEAPEST)
    yield
    passwords.HASHER = saved


class Clock:
    """The console's clock: pinned, moved by the tests."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Console:
    app: App
    flask: Flask
    clock: Clock
    inspector_cert: str
    folder: Path
    ids: dict[str, int] = field(default_factory=dict)

    def settle(self) -> None:
        """Wait for the integrity checks the pages started in the background."""
        kept = self.flask.extensions.get("dualrandom.checked")
        if kept is not None:
            kept.settle()

    def close(self) -> None:
        self.settle()  # no check may hold a connection when the engine goes
        self.app.close()

    def client(self, username: str | None = None) -> FlaskClient:
        client = self.flask.test_client()
        if username is not None:
            sign_in(client, username)
        return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def build_console(folder: Path, url: str, *, draw: bool = True) -> Console:
    app = make_app(url, folder)
    load_sample(app)
    with app.transaction() as session:  # a second version of a registry, for the diff
        partial = folder / "conflicts-v2.csv"
        lines = (REPO / "registries" / "conflicts.csv").read_text(encoding="utf-8").splitlines()
        partial.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
        import_registry(session, "conflicts", partial, today=T0.date(), at=T0, actor="tester")
    secrets = SecretStore(app.settings.secrets_dir, token=fixed_token(9))
    cert = ""
    if draw:
        # Plans stored before DR-2: the pages must still show and run DR-1 draws
        # (tests/console/test_ceremony_dr2.py runs the beacon ceremony).
        store_dr1_plans(app, "2027-Q1", "2027-Q3")
        with app.transaction() as session:
            prepare_draw(session, "2027-Q1", secrets=secrets, now=T0, actor="tester")
        with app.transaction() as session:
            _row, result = run_draw(
                session,
                "2027-Q1",
                DICE,
                secrets=secrets,
                now=T0 + timedelta(days=1),
                actor="tester",
            )
            cert = result.visits[0].team[0].officer
        with app.transaction() as session:
            prepare_draw(session, "2027-Q3", secrets=secrets, now=T0, actor="tester")
    clock = Clock(T0 + timedelta(days=2))
    console = Console(
        app, create_app(app, clock=clock, secret_key=b"k" * 32, testing=True), clock, cert, folder
    )
    with app.transaction() as session:
        for username, role, department, _ in USERS:
            user = add_user(
                session,
                username,
                username.upper(),
                role,
                PASSWORD,
                department=department,
                now=T0,
                actor="test",
            )
            console.ids[username] = user.id
        if cert:
            user = add_user(
                session,
                "inspector",
                "检查员",
                "inspector",
                PASSWORD,
                cert_no=cert,
                now=T0,
                actor="test",
            )
            console.ids["inspector"] = user.id
    return console


@pytest.fixture(scope="module", params=BACKENDS)
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """On SQLite, and on PostgreSQL too when DUALRANDOM_TEST_DATABASE_URL is set."""
    folder = tmp_path_factory.mktemp("console")
    with database_url(request.param, folder) as url:
        built = build_console(folder, url)
        yield built
        built.close()
