"""Writing and reading the audit log (:class:`storage.models.AuditEntry`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def write(
    session: AsyncSession,
    action: str,
    *,
    now: datetime,
    organization_id: int | None,
    actor_id: int | None,
    target: str = "",
    details: dict[str, Any] | None = None,
    channel: str = "",
) -> None:
    """Add one entry in the caller's transaction, so it commits (or not) with the change."""
    session.add(
        AuditEntry(
            organization_id=organization_id,
            actor_id=actor_id,
            action=action,
            target=target[:100],
            details=details or {},
            channel=channel,
            created_at=now,
        )
    )
    await session.flush()


async def entries(
    session: AsyncSession, organization_ids: Sequence[int], limit: int = 200
) -> Sequence[AuditEntry]:
    """The newest ``limit`` entries of the organizations, newest first."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.organization_id.in_(organization_ids))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return rows.all()
