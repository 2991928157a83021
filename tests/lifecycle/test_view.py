"""A task's view is built from the row its visit's statement read: TaskView's
fields after the visit are draws.view.TASK_CELLS, one for one, in order."""

from __future__ import annotations

from dataclasses import fields

from dualrandom.draws.view import TASK_CELLS
from dualrandom.lifecycle import TaskView
from dualrandom.tables import InspectionTaskRow


def test_a_task_view_takes_the_task_columns_in_their_order() -> None:
    shown = [field.name for field in fields(TaskView)]
    assert shown[0] == "visit"
    # the view calls the result code "result"; every other field is its column
    assert shown[1:] == ["result" if c == "result_code" else c for c in TASK_CELLS]
    columns = set(InspectionTaskRow.__table__.columns.keys())
    assert set(TASK_CELLS) <= columns
