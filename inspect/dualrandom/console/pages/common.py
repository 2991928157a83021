"""What every page module shares: plans the user may see, pages of long lists, errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import NamedTemporaryFile

from flask import Flask, abort, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from dualrandom.console.auth import current_user, may_act_on, may_see
from dualrandom.console.web import db, fail, settings
from dualrandom.errors import DualRandomError, NotFoundError, Problem
from dualrandom.rules import StoredPlan, get_plan, list_plans

__all__ = [
    "Pager",
    "acting_plan",
    "install_errors",
    "problem_rows",
    "saved_upload",
    "visible_plan",
    "visible_plans",
]

PAGE_SIZE = 100


@dataclass(frozen=True)
class Pager:
    """Page ``number`` (from 1) of ``total`` rows, ``size`` a page; ``url(n)`` links page n."""

    number: int
    total: int
    size: int
    url: Callable[[int], str]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else 1


def visible_plan(plan_id: str) -> StoredPlan:
    """The plan if the signed-in user may see it; else 404, as if it did not exist."""
    try:
        stored = get_plan(db(), plan_id)
    except NotFoundError:
        abort(404)
    if not may_see(current_user(), stored.plan):
        abort(404)
    return stored


def acting_plan(plan_id: str) -> StoredPlan:
    """The plan if the signed-in user may act on it (an operator of its department)."""
    stored = visible_plan(plan_id)
    if not may_act_on(current_user(), stored.plan):
        abort(403)
    return stored


def visible_plans(year: int | None = None) -> list[StoredPlan]:
    user = current_user()
    return [s for s in list_plans(db(), year) if may_see(user, s.plan)]


@dataclass(frozen=True)
class ProblemRow:
    """A problem as the table shows it: the reason, and the fix when the reason names one."""

    file: str
    row: int | None
    column: str
    value: str
    reason: str
    reason_en: str
    fix: str


def problem_rows(problems: list[Problem]) -> list[ProblemRow]:
    """Each problem with what to do split from why, where the library's reason
    says both (``…；请…``)."""
    rows = []
    for p in problems:
        reason, fix = p.reason, ""
        head, sep, tail = p.reason.partition("；")
        if sep and tail.startswith(("请", "应", "须", "改为", "将")):
            reason, fix = head, tail
        rows.append(ProblemRow(p.file, p.row, p.column, p.value, reason, p.reason_en, fix))
    return rows


def saved_upload(upload: FileStorage, folder_name: str) -> Path:
    """The uploaded file in the console's upload folder under var/, keeping its
    extension (the readers tell CSV from XLSX by it); the caller removes it."""
    folder = settings().var_dir / "console-uploads" / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.filename or "").suffix.lower()[:8]
    with NamedTemporaryFile(dir=folder, suffix=suffix, delete=False) as out:
        upload.save(out)
        return Path(out.name)


_TITLES = {
    400: "请求无效",
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    405: "不支持的操作",
    413: "文件过大",
}


def install_errors(flask: Flask) -> None:
    @flask.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        message = {
            400: "请求无效或已过期（表单令牌缺失或失效），请刷新页面后重试。",
            401: "请先登录。",
            403: "您的账户无权进行此操作。",
            404: "请求的页面或数据不存在，或您无权查看。",
            413: f"上传的文件超过 {settings().console.upload_max_mb} MiB 的上限。",
        }.get(code, "请求未能完成。")
        fail()
        return _page(_TITLES.get(code, "出错了"), message, ""), code

    @flask.errorhandler(DualRandomError)
    def _library(error: DualRandomError) -> tuple[str, int]:
        fail()
        code = 404 if isinstance(error, NotFoundError) else 409
        return _page("无法完成", error.message, error.english), code


def _page(title: str, message: str, english: str) -> str:
    back = (
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("dashboard.index")
    )
    return render_template("error.html", title=title, message=message, english=english, back=back)
