"""抽取记录: the printable record of a draw, for the signatures."""

from __future__ import annotations

from sqlalchemy import func, select

from dualrandom.draws import get_draw
from dualrandom.tables import DrawVisitRow
from tests.console.conftest import Console


def test_the_record_carries_the_draws_digests_its_trail_and_room_to_sign(
    console: Console,
) -> None:
    with console.app.transaction() as session:
        row = get_draw(session, "2027-Q1")
        visits = session.scalar(select(func.count()).where(DrawVisitRow.draw_id == row.id))
        digests = (row.commitment_hash, row.seed, row.result_digest)
    response = console.client("reviewer").get("/plans/2027-Q1/ceremony/record")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for digest in digests:
        assert digest and f'<dd class="digest">{digest}</dd>' in page
    assert f"<dt>抽中户数</dt><dd>{visits}</dd>" in page
    # conftest prepared and drew it as "tester"
    assert "<td>准备（生成承诺）</td><td>tester</td>" in page
    assert "<td>抽取</td><td>tester</td>" in page
    for line in ("操作员：", "复核人：", "纪检监督人员：", "见证人："):
        assert line in page


def test_a_draw_not_yet_made_has_no_record(console: Console) -> None:
    assert console.client("reviewer").get("/plans/2027-Q3/ceremony/record").status_code == 404
