"""Alembic migrations, run programmatically on the application's own async engine.

``djbot db upgrade|downgrade|current`` and the automatic upgrade on ``run``/``chat`` call these.
The migration scripts live in ``storage/migrations`` (shipped inside the package).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic ``Config`` pointing at the packaged scripts, for ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def _run_alembic(db: Database, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection of ``db``, in one transaction.

    On SQLite, foreign keys are switched off for the duration: batch migrations copy and drop
    tables, which enforced keys would refuse ("Making Other Kinds Of Table Schema Changes",
    sqlite.org/lang_altertable.html). The pragma only takes effect outside a transaction.
    """
    config = alembic_config(db.url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        action(config)

    async with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            await connection.run_sync(run)
            await connection.commit()
        finally:
            if sqlite:
                await connection.rollback()
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default the newest)."""
    await _run_alembic(db, lambda config: command.upgrade(config, revision))


async def downgrade(db: Database, revision: str) -> None:
    """Downgrade the database to ``revision`` (``base`` empties it)."""
    await _run_alembic(db, lambda config: command.downgrade(config, revision))


async def current(db: Database) -> str | None:
    """The revision the database is at, or ``None`` for a database never migrated."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        return await connection.run_sync(read)


def head() -> str:
    """The newest revision among the packaged scripts."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision is not None
    return revision
