"""Console accounts: add, disable or enable, reset a password; each an audit entry.

Accounts are never deleted (the audit log names them); a disabled account
cannot sign in and its sessions end at once. The audit entries hold the
user name, role and department, never the display name or a certificate
number.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.accounts import passwords
from dualrandom.accounts.roles import ROLE_LABELS, ROLES
from dualrandom.accounts.sessions import end_sessions
from dualrandom.errors import NotFoundError, UserError
from dualrandom.tables import DepartmentRow, InspectorRow, UserRow

__all__ = [
    "add_user",
    "change_password",
    "get_user",
    "list_users",
    "reset_password",
    "set_disabled",
]

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


def _check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise UserError(
            f"用户名 {username!r} 无效：2–64 个小写字母、数字或 . _ -，以字母或数字开头",
            f"user name {username!r} must be 2-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )


def _check_role(session: Session, role: str, department: str, cert_no: str) -> None:
    if role not in ROLES:
        raise UserError(
            f"角色 {role!r} 无效；可选：{'、'.join(f'{r}（{ROLE_LABELS[r]}）' for r in ROLES)}",
            f"role {role!r} is not one of {', '.join(ROLES)}",
        )
    if role == "operator" and not department:
        raise UserError("部门操作员须指定所属部门", "an operator needs a department")
    if department and session.get(DepartmentRow, department) is None:
        raise UserError(
            f"部门 {department!r} 不在部门名录中；请先导入部门名录",
            f"department {department!r} is not in the departments registry; import it first",
        )
    if role == "inspector":
        if not cert_no:
            raise UserError("执法检查人员须填写执法证号", "an inspector needs a certificate number")
        known = session.scalars(
            select(InspectorRow.pk).where(InspectorRow.cert_no == cert_no).limit(1)
        ).first()
        if known is None:
            raise UserError(
                "该执法证号不在执法检查人员名录中；请核对或先导入名录",
                "that certificate number is not in the inspectors registry",
            )


def get_user(session: Session, username: str) -> UserRow:
    user = session.scalars(select(UserRow).where(UserRow.username == username)).first()
    if user is None:
        raise NotFoundError(f"用户 {username!r} 不存在", f"no user {username!r}")
    return user


def list_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(UserRow.role, UserRow.username)))


def add_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    now: datetime,
    actor: str,
    department: str = "",
    cert_no: str = "",
) -> UserRow:
    """A new account; UserError names what is wrong with any field."""
    username, display_name = username.strip(), " ".join(display_name.split())
    department, cert_no = department.strip(), cert_no.strip()
    _check_username(username)
    if not display_name or len(display_name) > 50:
        raise UserError("姓名须为 1–50 个字符", "a display name has 1-50 characters")
    if session.scalars(select(UserRow.id).where(UserRow.username == username)).first():
        raise UserError(f"用户名 {username!r} 已被使用", f"user name {username!r} is taken")
    _check_role(session, role, department, cert_no)
    passwords.check_new_password(password, username)
    user = UserRow(
        username=username,
        display_name=display_name,
        role=role,
        department=department,
        cert_no=cert_no if role == "inspector" else "",
        password_hash=passwords.hash_password(password),
        disabled=False,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    audit.append(
        session,
        "user.add",
        username,
        {"role": role, "department": department or None},
        actor=actor,
        at=now,
    )
    return user


def set_disabled(
    session: Session, username: str, disabled: bool, *, now: datetime, actor: str
) -> UserRow:
    """Disable (ending every session of the account) or enable an account."""
    if disabled and username == actor:
        raise UserError("不能停用自己的账户", "you cannot disable your own account")
    user = get_user(session, username)
    user.disabled, user.updated_at = disabled, now
    if disabled:
        end_sessions(session, user)
    else:
        user.failed_logins, user.locked_until = 0, None
    audit.append(
        session, "user.disable" if disabled else "user.enable", username, {}, actor=actor, at=now
    )
    return user


def reset_password(
    session: Session, username: str, password: str, *, now: datetime, actor: str
) -> UserRow:
    """Set a new password (by an administrator): unlocks the account, ends its sessions."""
    user = get_user(session, username)
    _set_password(session, user, password, now)
    audit.append(session, "user.reset_password", username, {}, actor=actor, at=now)
    return user


def change_password(session: Session, user: UserRow, old: str, new: str, *, now: datetime) -> None:
    """A user changes their own password; the old one must be right."""
    if not passwords.verify_password(user.password_hash, old):
        raise UserError("原密码不正确", "the current password is wrong")
    _set_password(session, user, new, now)
    audit.append(session, "user.change_password", user.username, {}, actor=user.username, at=now)


def _set_password(session: Session, user: UserRow, password: str, now: datetime) -> None:
    passwords.check_new_password(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.failed_logins, user.locked_until, user.updated_at = 0, None, now
    end_sessions(session, user)
