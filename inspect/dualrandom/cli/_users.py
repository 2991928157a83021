"""``dualrandom users …`` (console accounts) and ``dualrandom console`` (the web console)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from dualrandom.app import App
from dualrandom.cli._context import pass_app
from dualrandom.cli._output import print_json, print_rows


def register(cli: click.Group) -> None:
    cli.add_command(users)
    cli.add_command(console)


def _accounts() -> Any:
    """The accounts module, or ConfigError saying how to install the console extra."""
    from dualrandom.accounts.roles import require_console

    require_console()
    import dualrandom.accounts

    return dualrandom.accounts


def _actor() -> str:
    return "cli"


def _password(prompt: Callable[..., Any] = click.prompt) -> str:
    return str(prompt("密码 Password", hide_input=True, confirmation_prompt=True))


@click.group()
def users() -> None:
    """Accounts of the web console: admin, operator, reviewer, inspector, auditor."""


@users.command()
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "operator", "reviewer", "inspector", "auditor"]),
    help="admin 系统管理员; operator 部门操作员; reviewer 审核人员; inspector 执法检查人员; auditor 纪检监督人员.",
)
@click.option(
    "--name", "display_name", required=True, help="The person's name as shown in the console."
)
@click.option("--department", default="", help="Department code (required for an operator).")
@click.option(
    "--cert-no", default="", help="Certificate number 执法证号 (required for an inspector)."
)
@click.option("--password", help="The initial password [default: prompted for, twice].")
@pass_app
def add(
    app: App,
    username: str,
    role: str,
    display_name: str,
    department: str,
    cert_no: str,
    password: str | None,
) -> None:
    """Add the account USERNAME (audit-logged)."""
    accounts = _accounts()
    secret = password if password is not None else _password()
    with app.transaction() as session:
        user = accounts.add_user(
            session,
            username,
            display_name,
            role,
            secret,
            department=department,
            cert_no=cert_no,
            now=datetime.now(UTC),
            actor=_actor(),
        )
        label = accounts.ROLE_LABELS[user.role]
    click.echo(f"已添加用户 {username}（{label}）Added user {username} ({role}).")


@users.command()
@click.argument("username")
@pass_app
def disable(app: App, username: str) -> None:
    """Disable USERNAME: they can no longer sign in; their sessions end now."""
    accounts = _accounts()
    with app.transaction() as session:
        accounts.set_disabled(session, username, True, now=datetime.now(UTC), actor=_actor())
    click.echo(f"已停用用户 {username} Disabled {username}.")


@users.command()
@click.argument("username")
@pass_app
def enable(app: App, username: str) -> None:
    """Enable USERNAME again (and unlock it)."""
    accounts = _accounts()
    with app.transaction() as session:
        accounts.set_disabled(session, username, False, now=datetime.now(UTC), actor=_actor())
    click.echo(f"已启用用户 {username} Enabled {username}.")


@users.command("reset-password")
@click.argument("username")
@click.option("--password", help="The new password [default: prompted for, twice].")
@pass_app
def reset_password(app: App, username: str, password: str | None) -> None:
    """Set a new password for USERNAME; unlocks it and ends its sessions."""
    accounts = _accounts()
    secret = password if password is not None else _password()
    with app.transaction() as session:
        accounts.reset_password(session, username, secret, now=datetime.now(UTC), actor=_actor())
    click.echo(f"已重置 {username} 的密码 Password of {username} reset.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every account: user name, name, role, department, state."""
    accounts = _accounts()
    with app.transaction() as session:
        found = accounts.list_users(session)
    rows = [
        {
            "username": u.username,
            "name": u.display_name,
            "role": u.role,
            "department": u.department or None,
            "disabled": u.disabled,
            "locked_until": u.locked_until.isoformat() if u.locked_until else None,
        }
        for u in found
    ]
    if as_json:
        print_json(rows)
        return
    print_rows(
        ("用户名", "姓名", "角色", "部门", "状态"),
        (
            (
                r["username"],
                r["name"],
                accounts.ROLE_LABELS[r["role"]],
                r["department"] or "",
                "已停用" if r["disabled"] else "正常",
            )
            for r in rows
        ),
        f"{len(rows)} 个用户 users",
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port."
)
@pass_app
def console(app: App, host: str, port: int) -> None:
    """Serve the web console (监管工作台) with Werkzeug's server, for one machine.

    In production run it under gunicorn behind nginx with TLS
    (docs/CONSOLE.md): gunicorn 'dualrandom.console.wsgi:app'.
    """
    _accounts()
    from dualrandom.console import create_app

    app.require_schema()
    web = create_app(app)
    click.echo(f"监管工作台 The console: http://{host}:{port}/ (Ctrl+C stops)")
    web.run(host=host, port=port, debug=False, use_reloader=False)
