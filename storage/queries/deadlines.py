"""Organizations' own deadlines and reminder offsets (``/deadlines``).

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DeadlineSetting,
)


async def deadline_settings(session: AsyncSession) -> dict[int, DeadlineSetting]:
    """Every organization's own deadline settings, by organization id."""
    rows = await session.scalars(select(DeadlineSetting))
    return {row.organization_id: row for row in rows}


async def deadline_setting(session: AsyncSession, organization_id: int) -> DeadlineSetting | None:
    """One organization's own deadline settings, if it has any."""
    row: DeadlineSetting | None = await session.scalar(
        select(DeadlineSetting).where(DeadlineSetting.organization_id == organization_id)
    )
    return row


async def save_deadline_setting(
    session: AsyncSession,
    organization_id: int,
    now: datetime,
    *,
    updated_by_id: int | None,
    **values: Any,
) -> DeadlineSetting:
    """Create or update an organization's deadline settings with ``values`` (column names of
    :class:`DeadlineSetting`: ``quarter_days``, ``quarter_enabled``, ``offsets``...)."""
    row = await deadline_setting(session, organization_id)
    if row is None:
        row = DeadlineSetting(organization_id=organization_id, updated_at=now)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = updated_by_id
    row.updated_at = now
    await session.flush()
    return row


async def reset_deadline_setting(session: AsyncSession, organization_id: int) -> None:
    """Forget an organization's own deadline settings (back to the defaults)."""
    await session.execute(
        delete(DeadlineSetting).where(DeadlineSetting.organization_id == organization_id)
    )
