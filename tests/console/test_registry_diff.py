"""名录库版本差异: two versions of a registry compared row by row."""

from __future__ import annotations

from tests.conftest import REPO
from tests.console.conftest import Console


def test_the_diff_names_the_row_a_new_version_removed(console: Console) -> None:
    # conftest imported the conflicts again without the file's last row (version 2)
    last = (REPO / "registries" / "conflicts.csv").read_text(encoding="utf-8").splitlines()[-1]
    cert, object_id = last.split(",")[:2]
    page = console.client("reviewer").get("/registries/conflicts/diff?old=1&new=2")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "第 1 版 → 第 2 版" in text
    assert '<span class="n">0</span>新增' in text
    assert '<span class="n">1</span>移除或注销' in text
    assert '<span class="n">0</span>修改' in text
    assert f"{cert} / {object_id}" in text or f"{object_id} / {cert}" in text
    back = console.client("reviewer").get("/registries/conflicts/diff?old=2&new=1")
    refused = back.get_data(as_text=True)
    assert back.status_code == 409 and "请选择较早的版本与较晚的版本（2 不早于 1）" in refused
    assert refused.index("请选择") < refused.index("choose an older and a newer version")
