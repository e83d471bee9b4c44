"""Cross-process locks. On PostgreSQL, session-level advisory locks
(PostgreSQL docs, "Advisory Locks", pg_try_advisory_lock); SQLite deployments run one bot
process, so there the lock is always granted.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from storage.database import Database


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name (CRC-32 of the UTF-8 name)."""
    return zlib.crc32(name.encode("utf-8"))


@asynccontextmanager
async def try_lock(db: Database, name: str) -> AsyncIterator[bool]:
    """Try to take the lock ``name`` without waiting; yields whether it was taken.

    The lock is held on one dedicated connection for the ``async with`` block and released at
    its end, or by the server if the process dies (the session ends with the connection).
    """
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    async with db.engine.connect() as connection:
        taken = bool(
            await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        )
        await connection.commit()
        try:
            yield taken
        finally:
            if taken:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
