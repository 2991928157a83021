"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from dualrandom.accounts import LoginRefused, change_password, end_session, login
from dualrandom.console.auth import (
    COOKIE,
    SIGNED_IN,
    allow,
    current_user,
    public,
    set_session_cookie,
)
from dualrandom.console.forms import LoginForm, PasswordForm
from dualrandom.console.web import db, fail, now, settings
from dualrandom.errors import UserError

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@public
def login_page() -> Response | str:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        earlier = request.cookies.get(COOKIE)
        if earlier:  # a session from before this login never survives it
            end_session(db(), earlier, now=now())
        try:
            user, token = login(
                db(),
                form.username.data,
                form.password.data,
                now=now(),
                settings=settings().console,
            )
        except LoginRefused as exc:
            error = exc  # the failure count is committed: no fail()
        else:
            session.clear()  # a new CSRF token too: nothing of before the login survives
            g.user = user
            home = "tasks.mine" if user.role == "inspector" else "dashboard.index"
            response = redirect(url_for(home))
            set_session_cookie(response, token)
            return response
    return render_template("login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@allow(*SIGNED_IN)
def logout() -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        end_session(db(), token, now=now())
    session.clear()
    response = redirect(url_for("auth.login"))
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*SIGNED_IN)
def password() -> Response | str:
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            change_password(db(), current_user(), form.old.data, form.new.data, now=now())
        except UserError as exc:
            fail()
            error = exc
        else:
            flash("密码已修改，请用新密码重新登录。", "success")
            response = redirect(url_for("auth.login"))
            response.delete_cookie(COOKIE, path="/")
            return response
    return render_template("password.html", form=form, error=error)
