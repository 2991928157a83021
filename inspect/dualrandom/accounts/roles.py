"""The five roles of the console and what each is called."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from dualrandom.errors import ConfigError

__all__ = ["ROLES", "ROLE_LABELS", "require_console"]

ROLES = ("admin", "operator", "reviewer", "inspector", "auditor")

ROLE_LABELS: Mapping[str, str] = {
    "admin": "系统管理员",
    "operator": "部门操作员",
    "reviewer": "审核人员",
    "inspector": "执法检查人员",
    "auditor": "纪检监督人员",
}

_CONSOLE_MODULES = ("flask", "flask_wtf", "argon2")


def require_console() -> None:
    """ConfigError saying how to install the console's libraries, if any is missing."""
    missing = [name for name in _CONSOLE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"未安装工作台所需的库（{', '.join(missing)}）；请运行 pip install 'dual-random[console]'",
            f"the console needs {', '.join(missing)}; install them with "
            "pip install 'dual-random[console]'",
        )
