"""The composition root: the one place that builds settings, the engine and sessions.

Service functions never open or commit a session of their own; they take a
``Session`` from :meth:`App.transaction`, which commits when the block ends
and rolls back on any error, so a failed command writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from dualrandom import db
from dualrandom.config import Settings, load_settings
from dualrandom.errors import ConfigError

__all__ = ["App"]


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # Once the schema is found it stays: a server's requests do not each ask the catalog.
    _schema_found: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> App:
        engine = db.make_engine(settings.database_url)
        return cls(settings, engine, db.make_sessionmaker(engine))

    @classmethod
    def from_config(cls, config: Path | None = None) -> App:
        return cls.from_settings(load_settings(config))

    def upgrade(self) -> None:
        """Create the schema or migrate it to the newest revision."""
        db.upgrade(self.engine)

    def require_schema(self) -> None:
        if self._schema_found:
            return
        if not inspect(self.engine).has_table("alembic_version"):
            url = self.engine.url.render_as_string()
            raise ConfigError(
                f"数据库 {url!r} 尚未建表；请先运行 dualrandom init",
                f"the database {url!r} has no schema yet; run 'dualrandom init' first",
            )
        self._schema_found = True

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        self.require_schema()
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
