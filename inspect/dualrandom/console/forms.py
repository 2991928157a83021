"""The console's forms. Flask-WTF puts a CSRF token in each and refuses a POST without it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from dualrandom.accounts import ROLE_LABELS, ROLES
from dualrandom.lifecycle import FOLLOW_UPS, RESULT_CODES

__all__ = [
    "ActionForm",
    "LoginForm",
    "PasswordForm",
    "PlanForm",
    "PlanTextForm",
    "PrepareForm",
    "RegistryForm",
    "ResetPasswordForm",
    "ResultForm",
    "ResultsFileForm",
    "RunForm",
    "UserForm",
]

_REQUIRED = "必填"


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something: only the CSRF token."""


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("用户名", validators=[DataRequired(_REQUIRED), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(_REQUIRED), Length(max=200)])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    old = PasswordField("原密码", validators=[DataRequired(_REQUIRED)])
    new = PasswordField("新密码（至少 10 个字符）", validators=[DataRequired(_REQUIRED)])


class UserForm(FlaskForm):  # type: ignore[misc]
    username = StringField("用户名", validators=[DataRequired(_REQUIRED), Length(max=64)])
    display_name = StringField("姓名", validators=[DataRequired(_REQUIRED), Length(max=50)])
    role = SelectField("角色", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    department = StringField("所属部门代码（部门操作员必填）", validators=[Length(max=32)])
    cert_no = StringField("执法证号（执法检查人员必填）", validators=[Length(max=32)])
    password = PasswordField("初始密码（至少 10 个字符）", validators=[DataRequired(_REQUIRED)])


class ResetPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField("新密码（至少 10 个字符）", validators=[DataRequired(_REQUIRED)])


class RegistryForm(FlaskForm):  # type: ignore[misc]
    file = FileField("名录文件（CSV 或 XLSX）", validators=[FileRequired("请选择文件")])
    partial = BooleanField("部分更新：只新增或修改文件中的行，不把文件中没有的对象标为注销")


class PlanTextForm(FlaskForm):  # type: ignore[misc]
    name = StringField("文件名", validators=[DataRequired(_REQUIRED), Length(max=80)])
    text = TextAreaField("计划（TOML）", validators=[DataRequired(_REQUIRED)])
    confirm = BooleanField("我已知晓：载入后，已准备的抽取须作废并重新准备")


class PlanForm(FlaskForm):  # type: ignore[misc]
    """The common plan in a form; the TOML it makes is checked like an uploaded one."""

    id = StringField("计划编号", validators=[DataRequired(_REQUIRED), Length(max=64)])
    title = StringField("标题", validators=[DataRequired(_REQUIRED), Length(max=200)])
    year = IntegerField("年度", validators=[InputRequired(_REQUIRED), NumberRange(2000, 2200)])
    batch = SelectField(
        "批次", choices=[SelectChoice(b) for b in ("Q1", "Q2", "Q3", "Q4", "H1", "H2", "B1", "B2")]
    )
    kind = SelectField("抽查类型", choices=[SelectChoice(k) for k in ("不定向", "定向", "专项")])
    co_departments = StringField("联合部门代码（以逗号分隔）", validators=[Length(max=200)])
    items = SelectMultipleField("抽查事项", validators=[DataRequired("至少选择一个事项")])
    window_start = DateField("检查开始日期", validators=[InputRequired(_REQUIRED)])
    window_end = DateField("检查结束日期", validators=[InputRequired(_REQUIRED)])
    ratio = StringField("抽取比例（如 0.05）", validators=[DataRequired(_REQUIRED), Length(max=20)])
    team_size = IntegerField("检查组人数", default=2, validators=[NumberRange(2, 10)])
    leader = BooleanField("设组长", default=True)
    entropy = SelectField(
        "公开随机数来源",
        choices=[SelectChoice("dice", "见证人掷骰"), SelectChoice("typed", "现场录入")],
    )


class PrepareForm(FlaskForm):  # type: ignore[misc]
    reason = TextAreaField(
        "重新抽取的理由（作废上一次抽取时必填，将公开）", validators=[Optional(), Length(max=500)]
    )
    ceremony_at = DateTimeLocalField(
        "抽取仪式开始时间（信标抽取：锁定此后的信标轮次；留空则为计划的抽取时间）",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )


class BeaconDrawForm(FlaskForm):  # type: ignore[misc]
    round_file = FileField("信标轮次 JSON 文件（可选；不提供则从中继获取）")


class RunForm(FlaskForm):  # type: ignore[misc]
    dice = StringField(
        "见证人掷出的点数",
        validators=[DataRequired(_REQUIRED), Length(max=400)],
        render_kw={"data-dice-input": "", "inputmode": "numeric", "autocomplete": "off"},
    )
    confirmer = StringField("复核人用户名", validators=[DataRequired(_REQUIRED), Length(max=64)])
    confirmer_password = PasswordField("复核人密码", validators=[DataRequired(_REQUIRED)])


class _Select(Select):  # type: ignore[misc]
    """WTForms' select with each plain option written by one format: the same
    HTML (html_params sorts the attributes, ``selected`` before ``value``). A
    task's page has 18 options, and html_params took longer than the rest of
    its form."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: object) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            plain: Markup = super().render_option(choice, **kwargs)
            return plain
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class ResultForm(FlaskForm):  # type: ignore[misc]
    checked_on = DateField("检查完成日期", validators=[InputRequired(_REQUIRED)])
    result = SelectField(
        "检查结果", choices=[SelectChoice(c) for c in RESULT_CODES], widget=_Select()
    )
    follow_up = SelectField(
        "后续处置", choices=[SelectChoice(c) for c in FOLLOW_UPS], widget=_Select()
    )
    note = TextAreaField("内部备注（不公开）", validators=[Length(max=500)])


class ResultsFileForm(FlaskForm):  # type: ignore[misc]
    file = FileField("结果文件（CSV 或 XLSX）", validators=[FileRequired("请选择文件")])


class ReviewForm(FlaskForm):  # type: ignore[misc]
    visits = HiddenField()
