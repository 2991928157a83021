"""Loading a plan in the console: a change that would force a prepared draw to be
superseded is loaded only once the operator has acknowledged the warning."""

from __future__ import annotations

from flask.testing import FlaskClient

from dualrandom.rules import get_plan
from dualrandom.tables import AuditEntryRow
from tests.conftest import REPO
from tests.console.conftest import Console, csrf_token

WARNING = "已准备的第 1 次抽取承诺的是修改前的计划"


def _load(client: FlaskClient, name: str, *, confirm: bool) -> tuple[int, str]:
    """The rules folder's plan ``name`` loaded as an operator pastes it in."""
    text = (REPO / "rules" / "plans" / name).read_text(encoding="utf-8")
    data = {"csrf_token": csrf_token(client, "/plans/new"), "name": name, "text": text}
    if confirm:
        data["confirm"] = "y"
    response = client.post("/plans/load", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_a_change_to_a_prepared_plan_warns_and_loads_only_when_acknowledged(
    console: Console,
) -> None:
    # 2027-Q3 is prepared (conftest), from the plan as stored before DR-2; the
    # rules folder's 2027-Q3.toml is another plan (a beacon draw).
    client = console.client("op")
    with console.app.transaction() as session:
        before = get_plan(session, "2027-Q3").digest
    status, page = _load(client, "2027-Q3.toml", confirm=False)
    assert status == 200 and WARNING in page and "我已知晓" in page
    with console.app.transaction() as session:
        assert get_plan(session, "2027-Q3").digest == before  # nothing loaded
    assert not (console.app.settings.rules_dir / "plans" / "2027-Q3.toml").exists()

    status, _ = _load(client, "2027-Q3.toml", confirm=True)
    assert status == 302
    with console.app.transaction() as session:
        assert get_plan(session, "2027-Q3").digest != before
        entry = (
            session.query(AuditEntryRow)
            .filter(AuditEntryRow.action == "rules.plan", AuditEntryRow.subject == "2027-Q3")
            .order_by(AuditEntryRow.seq.desc())
            .first()
        )
    assert entry is not None and entry.actor == "op"
    assert (console.app.settings.rules_dir / "plans" / "2027-Q3.toml").is_file()


def test_a_plan_without_a_prepared_draw_loads_without_a_warning(console: Console) -> None:
    client = console.client("op")
    status, page = _load(client, "2027-Q4.toml", confirm=False)
    assert status == 302 and WARNING not in page
