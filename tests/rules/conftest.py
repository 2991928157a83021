"""Small rules folders written per test: one valid item list and plan, and
helpers to break them one key at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.tables import DepartmentRow

ITEMS = """\
[[item]]
code = "SCJG-01"
name = "营业执照规范使用情况的检查"
legal_basis = "《企业信息公示暂行条例》第十四条"
department = "SCJG"
class = "一般"
methods = ["现场检查"]
ratio = "0.05"
max_per_year = 1
scope = { type = ["企业", "个体工商户"] }

[[item]]
code = "ZJ-02"
name = "建筑施工安全检查"
legal_basis = "《安全生产许可证条例》"
department = "ZJ"
class = "重点"
methods = ["现场检查", "书面检查"]
ratio = "3%"
"""

PLAN = """\
id = "2027-Q1"
title = "2027年第一季度联合抽查"
year = 2027
batch = "Q1"
type = "不定向"
department = "SCJG"
co_departments = ["ZJ"]
items = ["SCJG-01", "ZJ-02"]
schedule = "quarterly"

[window]
start = 2027-01-04
end = 2027-03-31

[[stratum]]
name = "AB"
where = { risk_class = ["A", "B"] }
ratio = "0.01"
min = 1

[[stratum]]
name = "CD"
where = { risk_class = ["C", "D"] }
max = 200

[team]
size = 2
require = [{ department = "SCJG", count = 1 }]
"""

DEPARTMENTS = (("SCJG", "市场监督管理局"), ("ZJ", "住房和城乡建设局"), ("SYJ", "商务局"))

WriteRules = Callable[..., Path]


@pytest.fixture
def write_rules(tmp_path: Path) -> WriteRules:
    """``write_rules(items=..., plans={"2027-Q1": text})`` → the rules folder.

    ``items=None`` leaves items.toml out; the defaults are the valid files above.
    """

    def write(items: str | None = ITEMS, plans: dict[str, str] | None = None) -> Path:
        folder = tmp_path / "rules"
        (folder / "plans").mkdir(parents=True, exist_ok=True)
        if items is not None:
            (folder / "items.toml").write_text(items, encoding="utf-8")
        for stem, text in (plans if plans is not None else {"2027-Q1": PLAN}).items():
            (folder / "plans" / f"{stem}.toml").write_text(text, encoding="utf-8")
        return folder

    return write


def add_departments(session: Session) -> None:
    session.add_all(DepartmentRow(code=c, name=n, level="区县") for c, n in DEPARTMENTS)
    session.flush()


@pytest.fixture
def session(app: App) -> Iterator[Session]:
    """A session on a database with the three departments; committed at the end."""
    with app.transaction() as session:
        add_departments(session)
        yield session
