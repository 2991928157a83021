"""Accounts: the rules of a new account, and ``dualrandom users`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dualrandom.accounts import add_user, reset_password, set_disabled
from dualrandom.app import App
from dualrandom.cli import _main
from dualrandom.errors import UserError
from dualrandom.tables import AuditEntryRow, DepartmentRow, UserRow
from tests.console.conftest import PASSWORD, T0


@pytest.fixture
def with_department(app: App) -> App:
    with app.transaction() as session:
        session.add(DepartmentRow(code="SCJG", name="市场监督管理局", level="市"))
    return app


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"username": "Zhang Wei"}, "用户名"),
        ({"role": "boss"}, "角色"),
        ({"role": "operator", "department": ""}, "所属部门"),
        ({"role": "operator", "department": "XX"}, "不在部门名录"),
        ({"role": "inspector"}, "执法证号"),
        ({"role": "inspector", "cert_no": "999"}, "不在执法检查人员名录"),
        ({"password": "short"}, "至少 10"),
        ({"password": "zhang.wei-2027"}, "不得包含用户名"),
    ],
)
def test_a_new_account_is_refused_with_the_reason(
    with_department: App, fields: dict[str, str], says: str
) -> None:
    given = {"username": "zhang.wei", "role": "operator", "department": "SCJG", "cert_no": ""}
    given |= fields
    with with_department.transaction() as session, pytest.raises(UserError, match=says):
        add_user(
            session,
            given["username"],
            "张伟",
            given["role"],
            given.get("password", PASSWORD),
            department=given["department"],
            cert_no=given["cert_no"],
            now=T0,
            actor="test",
        )


def test_only_a_hash_is_stored_and_changes_are_logged_under_the_actor(with_department: App) -> None:
    with with_department.transaction() as session:
        add_user(
            session,
            "zhang.wei",
            "张伟",
            "operator",
            PASSWORD,
            department="SCJG",
            now=T0,
            actor="boss",
        )
        reset_password(session, "zhang.wei", "another-password-1", now=T0, actor="boss")
        set_disabled(session, "zhang.wei", True, now=T0, actor="boss")
        with pytest.raises(UserError, match="自己"):
            set_disabled(session, "boss", True, now=T0, actor="boss")
    with with_department.transaction() as session:
        user = session.scalars(select(UserRow)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        log = [(e.action, e.actor, e.subject) for e in session.scalars(select(AuditEntryRow))]
    assert log == [
        ("user.add", "boss", "zhang.wei"),
        ("user.reset_password", "boss", "zhang.wei"),
        ("user.disable", "boss", "zhang.wei"),
    ]


def test_the_users_commands(with_department: App, config_file: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(_main.cli, ["--config", str(config_file), *args])
        assert result.exit_code == 0, result.output
        return result.output

    run(
        "users",
        "add",
        "li.na",
        "--role",
        "operator",
        "--name",
        "李娜",
        "--department",
        "SCJG",
        "--password",
        PASSWORD,
    )
    result = runner.invoke(
        _main.cli,
        [
            "--config",
            str(config_file),
            "users",
            "add",
            "root",
            "--role",
            "admin",
            "--name",
            "管理员",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "li.na" in run("users", "list") and "部门操作员" in run("users", "list")
    run("users", "disable", "li.na")
    assert '"disabled": true' in run("users", "list", "--json")
    run("users", "enable", "li.na")
    run("users", "reset-password", "li.na", "--password", "a-new-password-9")
    refused = runner.invoke(
        _main.cli,
        [
            "--config",
            str(config_file),
            "users",
            "add",
            "x",
            "--role",
            "operator",
            "--name",
            "X",
            "--password",
            PASSWORD,
        ],
    )
    assert refused.exit_code == 1 and "错误：" in refused.output and "Error:" in refused.output
