"""The audit tests' history (DR-2 draws, a supersede, a substitution) serves here too."""

from tests.audit.conftest import history, secrets

__all__ = ["history", "secrets"]
