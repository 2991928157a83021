"""The result form's select writes its options itself (html_params was most of a
task page's form): the HTML must stay what WTForms' own select writes."""

from __future__ import annotations

import pytest
from flask import Flask
from wtforms.widgets import Select

from dualrandom.console.forms import ResultForm


@pytest.mark.parametrize("chosen", [None, "未发现问题", "无需后续处置", 'x<"&'])
def test_the_result_selects_write_what_wtforms_writes(chosen: str | None) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k" * 32, WTF_CSRF_ENABLED=False)
    with app.test_request_context():
        form = ResultForm()
        for field in (form.result, form.follow_up):
            field.data = chosen
            assert str(field.widget(field)) == str(Select()(field))
            marked = {"aria_invalid": "true", "aria_describedby": f"{field.id}-error"}
            assert str(field.widget(field, **marked)) == str(Select()(field, **marked))
            offered = [choice.value for choice in field.choices]
            assert (f'<option selected value="{chosen}">' in str(field())) == (chosen in offered)
