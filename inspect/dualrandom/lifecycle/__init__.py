"""The inspection lifecycle: from a drawn visit to a published result.

States and transitions are in :mod:`.states`; every transition is an audit
entry (``task.state``). Results come in by file or one at a time
(:mod:`.results`), deadlines are counted in Chinese working days
(:mod:`.deadlines`), and gone objects are replaced by the core's reserve rule
(:mod:`.substitution`). :mod:`.view` shows a plan's tasks with their
businesses, items and teams by name, for internal users.
"""

from dualrandom.lifecycle.codes import FOLLOW_UPS, NO_FOLLOW_UP, RESULT_CODES, result_problem
from dualrandom.lifecycle.deadlines import (
    DeadlineRow,
    DepartmentDeadlines,
    deadline_for,
    deadline_summary,
    deadlines,
    recompute_provisional,
    refresh_calendar,
    working_calendar,
)
from dualrandom.lifecycle.results import (
    RESULT_COLUMNS,
    ResultEntry,
    ResultsSummary,
    import_results,
    set_result,
)
from dualrandom.lifecycle.states import (
    BULK_FROM,
    FINAL,
    LABELS,
    OPEN,
    STATES,
    TRANSITIONS,
    transition_problem,
)
from dualrandom.lifecycle.substitution import SubstitutionReport, rebuild, substitute_objects
from dualrandom.lifecycle.tasks import (
    cancel,
    find_task,
    mark_published,
    move,
    move_many,
    standing_draw,
    subject,
    tasks_of,
)
from dualrandom.lifecycle.view import (
    TASK_COLUMNS,
    TaskView,
    count_inspector_tasks,
    count_tasks,
    inspector_task,
    inspector_tasks,
    state_counts,
    task_cells,
    task_json,
    task_view,
    task_views,
)

__all__ = [
    "BULK_FROM",
    "FINAL",
    "FOLLOW_UPS",
    "LABELS",
    "NO_FOLLOW_UP",
    "OPEN",
    "RESULT_CODES",
    "RESULT_COLUMNS",
    "STATES",
    "TASK_COLUMNS",
    "TRANSITIONS",
    "DeadlineRow",
    "DepartmentDeadlines",
    "ResultEntry",
    "ResultsSummary",
    "SubstitutionReport",
    "TaskView",
    "cancel",
    "count_inspector_tasks",
    "count_tasks",
    "deadline_for",
    "deadline_summary",
    "deadlines",
    "find_task",
    "import_results",
    "inspector_task",
    "inspector_tasks",
    "mark_published",
    "move",
    "move_many",
    "rebuild",
    "recompute_provisional",
    "refresh_calendar",
    "result_problem",
    "set_result",
    "standing_draw",
    "state_counts",
    "subject",
    "substitute_objects",
    "task_cells",
    "task_json",
    "task_view",
    "task_views",
    "tasks_of",
    "transition_problem",
    "working_calendar",
]
