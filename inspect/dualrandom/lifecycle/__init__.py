"""The inspection lifecycle: from a drawn visit to a published result.

States and transitions are in :mod:`.states`; every transition is an audit
entry (``task.state``). Results come in by file or one at a time
(:mod:`.results`), deadlines are counted in Chinese working days
(:mod:`.deadlines`), and gone objects are replaced by the core's reserve rule
(:mod:`.substitution`).
"""

from dualrandom.lifecycle.codes import FOLLOW_UPS, NO_FOLLOW_UP, RESULT_CODES, result_problem
from dualrandom.lifecycle.deadlines import (
    DeadlineRow,
    deadline_for,
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
from dualrandom.lifecycle.states import FINAL, OPEN, STATES, TRANSITIONS, transition_problem
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

__all__ = [
    "FINAL",
    "FOLLOW_UPS",
    "NO_FOLLOW_UP",
    "OPEN",
    "RESULT_CODES",
    "RESULT_COLUMNS",
    "STATES",
    "TRANSITIONS",
    "DeadlineRow",
    "ResultEntry",
    "ResultsSummary",
    "SubstitutionReport",
    "cancel",
    "deadline_for",
    "deadlines",
    "find_task",
    "import_results",
    "mark_published",
    "move",
    "move_many",
    "rebuild",
    "recompute_provisional",
    "refresh_calendar",
    "result_problem",
    "set_result",
    "standing_draw",
    "subject",
    "substitute_objects",
    "tasks_of",
    "transition_problem",
    "working_calendar",
]
