"""Activity records: adding, listing, deleting (soft), and inserting imported ones in bulk.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityRecord,
)


def live_records() -> Any:
    """The condition for records that are not soft-deleted."""
    return ActivityRecord.deleted_at.is_(None)


async def add_record(session: AsyncSession, **fields: Any) -> ActivityRecord:
    """Insert one activity record (the column names of :class:`ActivityRecord` as keywords)."""
    record = ActivityRecord(**fields)
    session.add(record)
    await session.flush()
    return record


async def records_of_reporter(
    session: AsyncSession, reporter_id: int, start: date, end: date
) -> Sequence[ActivityRecord]:
    """A member's live records with ``start <= occurred_on <= end``, oldest first (the /list
    numbering)."""
    rows = await session.scalars(
        select(ActivityRecord)
        .where(
            ActivityRecord.reporter_id == reporter_id,
            ActivityRecord.occurred_on.between(start, end),
            live_records(),
        )
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return rows.all()


async def soft_delete_record(session: AsyncSession, record_id: int, now: datetime) -> bool:
    """Mark a record deleted; ``False`` when it was already gone."""
    result = await session.execute(
        update(ActivityRecord)
        .where(ActivityRecord.id == record_id, live_records())
        .values(deleted_at=now, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def insert_records(
    session: AsyncSession, rows: Sequence[dict[str, Any]], batch_size: int = 5000
) -> int:
    """Insert activity records (column names of :class:`ActivityRecord` as keys) with
    executemany in batches, inside the caller's transaction; returns how many."""
    # Core insert on the table, not the ORM's bulk path: one executemany per batch
    statement = insert(cast(Table, ActivityRecord.__table__))
    for i in range(0, len(rows), batch_size):
        await session.execute(statement, list(rows[i : i + batch_size]))
    return len(rows)


async def imported_from(
    session: AsyncSession, organization_ids: Sequence[int], key_prefix: str
) -> int:
    """How many live records of the organizations came from an import whose
    ``source_message_id`` starts with ``key_prefix`` (a file already imported)."""
    return int(
        await session.scalar(
            select(func.count(ActivityRecord.id)).where(
                ActivityRecord.organization_id.in_(organization_ids),
                ActivityRecord.source_channel == "import",
                ActivityRecord.source_message_id.startswith(key_prefix, autoescape=True),
                live_records(),
            )
        )
        or 0
    )
