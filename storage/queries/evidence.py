"""Evidence files (佐证材料) of activity records: attaching, listing, counting.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock. The files
themselves are in the media store (:mod:`storage.media`); rows here link them to records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActivityRecord, Evidence, EvidenceKind
from storage.queries.records import live_records


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file already in the media store, to link to a record: ``kind`` ``"photo"`` or
    ``"file"``, ``size`` in bytes, ``sha256`` of the stored bytes, ``storage_key`` its key,
    ``width``/``height`` in pixels for photos."""

    kind: str
    filename: str
    mime_type: str
    size: int
    sha256: str
    storage_key: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One evidence row as plain data (for cards, ledgers, the 佐证材料汇编): ``created_at`` UTC."""

    id: int
    record_id: int
    kind: str
    filename: str
    mime_type: str
    size: int
    sha256: str
    storage_key: str
    width: int | None
    height: int | None
    created_at: datetime


async def add_evidence(
    session: AsyncSession,
    record_id: int,
    organization_id: int,
    files: Sequence[EvidenceFile],
    *,
    uploaded_by_id: int | None,
    source_channel: str,
    source_message_id: str | None,
    now: datetime,
) -> int:
    """Link ``files`` to a record; a file the record already has (same SHA-256) is skipped,
    also when another process links it at the same moment (``INSERT ... ON CONFLICT DO
    NOTHING`` on the unique record and hash). Returns how many were added."""
    if not files:
        return 0
    values: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in files:
        if f.sha256 in seen:
            continue
        seen.add(f.sha256)
        values.append(
            {
                "record_id": record_id,
                "organization_id": organization_id,
                "kind": EvidenceKind(f.kind),
                "filename": f.filename[:200],
                "mime_type": f.mime_type[:100],
                "size": f.size,
                "sha256": f.sha256,
                "storage_key": f.storage_key,
                "width": f.width,
                "height": f.height,
                "uploaded_by_id": uploaded_by_id,
                "source_channel": source_channel,
                "source_message_id": source_message_id,
                "created_at": now,
            }
        )
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Evidence)
        .values(values)
        .on_conflict_do_nothing(index_elements=["record_id", "sha256"])
    )
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _row(e: Evidence) -> EvidenceRow:
    return EvidenceRow(
        id=e.id,
        record_id=e.record_id,
        kind=e.kind.value,
        filename=e.filename,
        mime_type=e.mime_type,
        size=e.size,
        sha256=e.sha256,
        storage_key=e.storage_key,
        width=e.width,
        height=e.height,
        created_at=e.created_at,
    )


async def evidence_for(
    session: AsyncSession, record_ids: Sequence[int]
) -> dict[int, list[EvidenceRow]]:
    """The evidence of each record, in the order it was added; records without any are
    absent from the result."""
    out: dict[int, list[EvidenceRow]] = {}
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), 1000):
        rows = await session.scalars(
            select(Evidence)
            .where(Evidence.record_id.in_(ids[start : start + 1000]))
            .order_by(Evidence.record_id, Evidence.id)
        )
        for e in rows:
            out.setdefault(e.record_id, []).append(_row(e))
    return out


async def evidence_totals(session: AsyncSession, record_id: int) -> tuple[int, int]:
    """``(files, bytes)`` already linked to a record (for the per-record limits)."""
    row = (
        await session.execute(
            select(func.count(Evidence.id), func.coalesce(func.sum(Evidence.size), 0)).where(
                Evidence.record_id == record_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def records_without_evidence(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> list[ActivityRecord]:
    """Live, held (not planned) records of the organizations with ``start <= occurred_on <=
    end`` that have no evidence, oldest first (listed for the secretary)."""
    rows = await session.scalars(
        select(ActivityRecord)
        .where(
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            ActivityRecord.status == "done",
            live_records(),
            ~exists().where(Evidence.record_id == ActivityRecord.id),
        )
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return list(rows)


async def stored_keys(session: AsyncSession) -> list[str]:
    """Every media key some evidence row refers to (what a backup must carry), sorted."""
    return sorted(set(await session.scalars(select(Evidence.storage_key).distinct())))
