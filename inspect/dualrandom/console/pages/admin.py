"""用户管理: accounts, for administrators. The same library functions as ``dualrandom users``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from dualrandom.accounts import add_user, list_users, reset_password, set_disabled
from dualrandom.console.auth import allow, current_user
from dualrandom.console.forms import ActionForm, ResetPasswordForm, UserForm
from dualrandom.console.web import db, fail, now
from dualrandom.errors import UserError
from dualrandom.tables import UserRow

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user(user_id: int) -> UserRow:
    row = db().get(UserRow, user_id)
    if row is None:
        abort(404)
    return row


def _page(form: UserForm, error: UserError | None = None) -> str:
    return render_template(
        "users.html",
        users=list_users(db()),
        form=form,
        error=error,
        action=ActionForm(),
        reset=ResetPasswordForm(),
    )


@bp.route("/users")
@allow("admin")
def users() -> str:
    return _page(UserForm(formdata=None))


@bp.route("/users", methods=["POST"])
@allow("admin")
def add() -> Response | tuple[str, int]:
    form = UserForm()
    if not form.validate_on_submit():
        fail()
        return _page(form), 400
    try:
        add_user(
            db(),
            form.username.data,
            form.display_name.data,
            form.role.data,
            form.password.data,
            department=form.department.data or "",
            cert_no=form.cert_no.data or "",
            now=now(),
            actor=current_user().username,
        )
    except UserError as exc:
        fail()
        return _page(form, exc), 422
    flash(f"已添加用户 {form.username.data}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@allow("admin")
def disable(user_id: int) -> Response:
    return _set(user_id, True)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@allow("admin")
def enable(user_id: int) -> Response:
    return _set(user_id, False)


def _set(user_id: int, disabled: bool) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _user(user_id)
    try:
        set_disabled(db(), user.username, disabled, now=now(), actor=current_user().username)
    except UserError as exc:
        fail()
        flash(exc.message, "error")
    else:
        flash(f"已{'停用' if disabled else '启用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow("admin")
def password(user_id: int) -> Response:
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        abort(400)
    user = _user(user_id)
    try:
        reset_password(
            db(), user.username, form.password.data, now=now(), actor=current_user().username
        )
    except UserError as exc:
        fail()
        flash(exc.message, "error")
    else:
        flash(f"已重置用户 {user.username} 的密码，其登录会话已全部结束。", "success")
    return redirect(url_for("admin.users"))
