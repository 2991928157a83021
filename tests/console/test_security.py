"""Sessions, logins and headers: CSRF, session fixation, lock-out, timeouts, the
Content-Security-Policy, cookie flags, and nothing personal in the log or URLs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from dualrandom.accounts import set_disabled
from dualrandom.tables import AuditEntryRow, ConsoleSessionRow, UserRow
from tests.conftest import BACKENDS
from tests.console.conftest import PASSWORD, Console, build_console, csrf_token, sign_in
from tests.publish.scenario import database_url


@pytest.fixture(params=BACKENDS)
def fresh(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    """A console of its own: these tests move its clock and lock its accounts."""
    folder = tmp_path_factory.mktemp("console-security")
    with database_url(request.param, folder) as url:
        built = build_console(folder, url, draw=False)
        yield built
        built.close()


def _cookie(client, name: str) -> str | None:  # type: ignore[no-untyped-def]
    found = client.get_cookie(name)
    return None if found is None else found.value


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(console: Console) -> None:
    client = console.client("admin")
    data = {"username": "x.y", "display_name": "X", "role": "auditor", "password": "p" * 12}
    assert client.post("/admin/users", data=data).status_code == 400
    assert client.post("/admin/users", data={**data, "csrf_token": "forged"}).status_code == 400
    other = console.client("op")  # another session's token is no good either
    assert (
        client.post(
            "/admin/users", data={**data, "csrf_token": csrf_token(other, "/plans")}
        ).status_code
        == 400
    )
    with console.app.transaction() as session:
        assert session.scalars(select(UserRow).where(UserRow.username == "x.y")).first() is None


def test_login_makes_a_new_session_token_and_the_old_one_is_dead(fresh: Console) -> None:
    client = fresh.client()
    sign_in(client, "op")
    first = _cookie(client, "dr_session")
    assert first and client.get("/").status_code == 200
    sign_in(client, "op")  # signing in again, e.g. on a shared machine
    second = _cookie(client, "dr_session")
    assert second and second != first
    planted = fresh.client()
    planted.set_cookie("dr_session", first)
    assert planted.get("/").headers["Location"].endswith("/login")
    # A token an attacker plants before the victim signs in is replaced, never adopted.
    victim = fresh.client()
    victim.set_cookie("dr_session", "attacker-chosen-token")
    sign_in(victim, "op")
    assert _cookie(victim, "dr_session") != "attacker-chosen-token"
    with fresh.app.transaction() as session:
        stored = list(session.scalars(select(ConsoleSessionRow.token_hash)))
    assert second not in stored and all(len(h) == 64 for h in stored)  # only hashes are kept


def test_the_account_locks_after_repeated_failures(fresh: Console) -> None:
    limit = fresh.app.settings.console.max_failed_logins
    client = fresh.client()
    for _ in range(limit):
        page = sign_in(client, "reviewer", "wrong-password-123").get_data(as_text=True)
        assert "用户名或密码错误" in page
    page = sign_in(client, "reviewer", PASSWORD).get_data(as_text=True)
    assert "已锁定" in page and _cookie(client, "dr_session") is None
    fresh.clock.advance(minutes=fresh.app.settings.console.lock_minutes + 1)
    sign_in(client, "reviewer", PASSWORD)
    assert client.get("/").status_code == 200
    with fresh.app.transaction() as session:
        locked = session.scalar(
            select(func.count()).where(
                AuditEntryRow.action == "user.locked", AuditEntryRow.subject == "reviewer"
            )
        )
    assert locked == 1


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(fresh: Console) -> None:
    unknown = sign_in(fresh.client(), "nobody", PASSWORD).get_data(as_text=True)
    wrong = sign_in(fresh.client(), "op", "not-the-password").get_data(as_text=True)
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", unknown).replace("nobody", "op") == strip.sub("", wrong)


def test_a_session_ends_after_the_idle_timeout_and_not_before(fresh: Console) -> None:
    idle = fresh.app.settings.console.idle_minutes
    client = fresh.client("auditor")
    fresh.clock.advance(minutes=idle - 1)
    assert client.get("/").status_code == 200  # still there, and the clock restarts
    fresh.clock.advance(minutes=idle - 1)
    assert client.get("/").status_code == 200
    fresh.clock.advance(minutes=idle + 1)
    assert client.get("/").headers["Location"].endswith("/login")


def test_a_session_ends_at_its_absolute_lifetime_however_busy(fresh: Console) -> None:
    settings = fresh.app.settings.console
    client = fresh.client("auditor")
    steps = int(settings.session_hours * 60 / (settings.idle_minutes - 1)) + 1
    for _ in range(steps):
        fresh.clock.advance(minutes=settings.idle_minutes - 1)
        response = client.get("/")
    assert response.headers["Location"].endswith("/login")


def test_disabling_an_account_ends_its_sessions(fresh: Console) -> None:
    client = fresh.client("op")
    assert client.get("/").status_code == 200
    with fresh.app.transaction() as session:
        set_disabled(session, "op", True, now=fresh.clock.now, actor="admin")
    assert client.get("/").headers["Location"].endswith("/login")
    assert "账户已停用" in sign_in(fresh.client(), "op").get_data(as_text=True)


def test_logout_ends_the_session_for_good(fresh: Console) -> None:
    client = fresh.client("op")
    token = _cookie(client, "dr_session")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plans")})
    again = fresh.client()
    again.set_cookie("dr_session", str(token))
    assert again.get("/").headers["Location"].endswith("/login")


def test_every_response_carries_a_strict_policy_and_safe_cookies(fresh: Console) -> None:
    client = fresh.client()
    response = client.post(
        "/login",
        data={"username": "op", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("dr_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    for path in ("/", "/login", "/static/console.css"):
        with client.get(path) as response:
            headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_page_has_inline_script_or_style(console: Console) -> None:
    client = console.client("op")
    for path in ("/", "/plans/2027-Q1/ceremony/screen", "/plans/2027-Q1/draws/1", "/registries/"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), path  # no inline event handler


def test_secure_cookies_when_configured(fresh: Console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from dualrandom.console import create_app

    settings = replace(
        fresh.app.settings, console=replace(fresh.app.settings.console, secure_cookies=True)
    )
    app = replace(fresh.app, settings=settings)
    flask = create_app(app, clock=fresh.clock, secret_key=b"s" * 32)
    client = flask.test_client()
    response = client.post(
        "/login",
        data={"username": "op", "password": PASSWORD, "csrf_token": csrf_token(client)},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("dr_session="))
    assert "Secure" in cookie
    assert "max-age" in response.headers.get("Strict-Transport-Security", "")


def test_urls_and_the_audit_log_carry_no_personal_data(console: Console) -> None:
    client = console.client("op")
    page = client.get("/plans/2027-Q1/draws/1").get_data(as_text=True)
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and not [h for h in hrefs if "?" in h and not re.search(r"\?page=\d+$", h)]
    with console.app.transaction() as session:
        payloads = " ".join(session.scalars(select(AuditEntryRow.payload)))
    assert console.inspector_cert and console.inspector_cert not in payloads
    assert "检查员" not in payloads  # display names stay out of the log


def test_a_request_that_fails_writes_nothing(console: Console) -> None:
    client = console.client("op")
    token = csrf_token(client, "/plans/new")
    bad = console.folder / "bad.csv"
    bad.write_text("code,name,level\nSCJG,,市\n", encoding="utf-8")
    with console.app.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntryRow))
    with bad.open("rb") as f:
        response = client.post(
            "/registries/departments/check", data={"csrf_token": token, "file": (f, "bad.csv")}
        )
    assert response.status_code == 422 and "problems" in response.get_data(as_text=True)
    with console.app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntryRow)) == before
