"""Who may open what: every route of the console × every role, and signed out.

The expected table is written here by hand, not read from the code: a new
route without an entry fails :func:`test_every_route_has_an_expectation`.
A GET is allowed when it answers anything but 401/403/404 or a redirect to
the login page. A POST is sent without a CSRF token: the roles are checked
before the token, so an allowed role gets 400 (the missing token) and a
refused one 401 or 403, and nothing is written either way. Department rules
for POSTs are checked with a valid token below.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.console.conftest import Console, csrf_token

ROLES = ("admin", "op", "op.syj", "op.cz", "reviewer", "auditor", "inspector")
SIGNED_IN = frozenset(ROLES)
OPERATORS = frozenset({"op", "op.syj", "op.cz"})
READERS = frozenset({"admin", "reviewer", "auditor"}) | OPERATORS
# Those who see plan 2027-Q1 (SCJG, with SYJ): not the CZ operator, not an inspector.
Q1_READERS = READERS - {"op.cz"}
Q1_WATCHERS = Q1_READERS - {"admin"}  # the ceremony, tasks, bundles: not the administrator

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "auth.login"): frozenset({"anonymous", *ROLES}),
    ("POST", "auth.login"): frozenset({"anonymous", *ROLES}),
    ("POST", "auth.logout"): SIGNED_IN,
    ("GET", "auth.password"): SIGNED_IN,
    ("POST", "auth.password"): SIGNED_IN,
    ("GET", "dashboard.index"): SIGNED_IN,
    ("GET", "dashboard.overdue"): READERS,
    ("GET", "registries.index"): READERS,
    ("GET", "registries.versions"): READERS,
    ("GET", "registries.diff"): READERS,
    ("POST", "registries.check"): OPERATORS | {"admin"},
    ("POST", "registries.import_"): OPERATORS | {"admin"},
    ("GET", "plans.index"): READERS,
    ("GET", "plans.items"): READERS,
    ("POST", "plans.load_items_file"): OPERATORS | {"admin"},
    ("GET", "plans.show"): Q1_READERS,
    ("GET", "plans.new"): OPERATORS,
    ("POST", "plans.compose"): OPERATORS,
    ("POST", "plans.check"): OPERATORS,
    ("POST", "plans.load"): OPERATORS,
    ("GET", "ceremony.index"): Q1_WATCHERS,
    ("GET", "ceremony.screen"): Q1_WATCHERS,
    ("GET", "ceremony.record"): Q1_WATCHERS,
    ("POST", "ceremony.prepare"): OPERATORS,
    ("POST", "ceremony.publish"): OPERATORS,
    ("POST", "ceremony.run"): OPERATORS,
    ("POST", "ceremony.draw"): OPERATORS,
    ("GET", "draws.show"): Q1_READERS,
    ("GET", "draws.visits_csv"): Q1_READERS,
    ("GET", "draws.bundle"): Q1_WATCHERS,
    ("GET", "tasks.mine"): frozenset({"inspector"}),
    ("GET", "tasks.plan_tasks"): Q1_WATCHERS,
    ("POST", "tasks.move"): OPERATORS | {"reviewer"},
    ("GET", "tasks.task"): Q1_WATCHERS | {"inspector"},
    ("POST", "tasks.task"): OPERATORS | {"reviewer", "auditor", "inspector"},
    ("GET", "tasks.results_import"): OPERATORS,
    ("POST", "tasks.results_import"): OPERATORS,
    ("GET", "tasks.review"): frozenset({"reviewer"}),
    ("GET", "tasks.review_plan"): frozenset({"reviewer"}),
    ("GET", "tasks.publish"): OPERATORS | {"reviewer"},
    ("POST", "tasks.publish"): OPERATORS | {"reviewer"},
    ("GET", "audit.index"): frozenset({"admin", "auditor"}),
    ("GET", "audit.verify"): frozenset({"admin", "auditor"}),
    ("GET", "admin.users"): frozenset({"admin"}),
    ("POST", "admin.add"): frozenset({"admin"}),
    ("POST", "admin.disable"): frozenset({"admin"}),
    ("POST", "admin.enable"): frozenset({"admin"}),
    ("POST", "admin.password"): frozenset({"admin"}),
}


def _routes(console: Console) -> Iterator[tuple[str, str, str]]:
    """(method, endpoint, url) of every route, with the fixture's objects as arguments."""
    arguments = {
        "plan_id": "2027-Q1",
        "attempt": 1,
        "visit": 1,
        "kind": "conflicts",
        "user_id": console.ids["op.cz"],
        "to": "notified",
        "tier": "public",
    }
    queries = {"registries.diff": "?old=1&new=2"}
    for rule in console.flask.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build({name: arguments[name] for name in rule.arguments})[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield method, rule.endpoint, url + queries.get(rule.endpoint, "")


def test_every_route_has_an_expectation(console: Console) -> None:
    routes = {(method, endpoint) for method, endpoint, _ in _routes(console)}
    assert routes == set(EXPECTED)


@pytest.fixture(scope="module")
def clients(console: Console) -> dict[str, FlaskClient]:
    found = {role: console.client(role) for role in ROLES}
    found["anonymous"] = console.client()
    return found


def _allowed(method: str, status: int, location: str) -> bool:
    if status in (401, 403, 404):
        return False
    if status in (301, 302, 303) and "/login" in location:
        return False
    if method == "POST":
        assert status == 400, (
            f"an allowed POST without a token must be refused as 400, not {status}"
        )
    return True


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_opens_exactly_what_it_is_allowed(
    console: Console, clients: dict[str, FlaskClient], role: str
) -> None:
    client = clients[role]
    wrong = []
    for method, endpoint, url in _routes(console):
        if (method, endpoint) == ("POST", "auth.logout"):
            continue  # below: it would end the session the other rows use
        response = client.open(url, method=method)
        allowed = _allowed(method, response.status_code, response.headers.get("Location", ""))
        if allowed != (role in EXPECTED[(method, endpoint)]):
            wrong.append(
                f"{method} {url}: {response.status_code}, expected {'allow' if not allowed else 'deny'}"
            )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_logout_is_for_the_signed_in(console: Console, role: str) -> None:
    client = console.client(None if role == "anonymous" else role)
    response = client.post("/logout")
    assert _allowed("POST", response.status_code, response.headers.get("Location", "")) == (
        role != "anonymous"
    )


@pytest.mark.parametrize(
    ("role", "path", "statuses"),
    [
        ("op.syj", "/plans/2027-Q1/ceremony/prepare", (403,)),
        ("op.cz", "/plans/2027-Q1/ceremony/prepare", (404,)),
        ("op.syj", "/plans/2027-Q1/ceremony/run", (403,)),
        ("op.cz", "/plans/2027-Q1/ceremony/publish", (404,)),
        ("op.syj", "/plans/2027-Q1/tasks/move/notified", (403,)),
        ("op.cz", "/plans/2027-Q1/tasks/move/notified", (404,)),
        ("op", "/plans/2027-Q1/tasks/move/reviewed", (403,)),
        ("reviewer", "/plans/2027-Q1/tasks/move/notified", (403,)),
        ("reviewer", "/plans/2027-Q1/tasks/1", (403,)),
        ("auditor", "/plans/2027-Q1/tasks/1", (403,)),
        ("op.cz", "/plans/2027-Q1/tasks/1", (404,)),
    ],
)
def test_departments_and_duties_hold_with_a_valid_token(
    console: Console, role: str, path: str, statuses: tuple[int, ...]
) -> None:
    client = console.client(role)
    token = csrf_token(client, "/account/password")
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code in statuses


def test_an_inspector_sees_only_the_tasks_of_their_own_team(console: Console) -> None:
    client = console.client("inspector")
    assert client.get("/plans/2027-Q1/tasks/1").status_code == 200
    mine = client.get("/my/tasks").get_data(as_text=True)
    others = [n for n in range(1, 60) if f'/plans/2027-Q1/tasks/{n}"' not in mine]
    assert others, "the inspector is on every team?"
    assert client.get(f"/plans/2027-Q1/tasks/{others[0]}").status_code == 404


def test_the_auditor_bundle_is_for_auditors(console: Console) -> None:
    assert console.client("op").get("/plans/2027-Q1/draws/1/bundle-auditor.zip").status_code == 403
    response = console.client("auditor").get("/plans/2027-Q1/draws/1/bundle-auditor.zip")
    assert response.status_code == 200 and response.data[:2] == b"PK"
