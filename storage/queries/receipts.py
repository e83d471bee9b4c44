"""Inbound receipts: de-duplication of webhook deliveries across processes.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
)
from sqlalchemy.ext.asyncio import AsyncSession


async def claim_receipt(session: AsyncSession, channel: str, key: str, now: datetime) -> bool:
    """Record that the delivery ``(channel, key)`` was taken in; ``False`` if it already was.

    Atomic across processes (``INSERT ... ON CONFLICT DO NOTHING`` on the unique
    ``(channel, key)``), so of two processes receiving the same retried delivery exactly one
    gets ``True``. ``key`` is at most 128 characters (a WeCom ``MsgId``, a callback nonce...).

    Raises:
        ValueError: ``key`` is empty or longer than 128 characters.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.models import InboundReceipt

    if not key or len(key) > 128:
        raise ValueError("receipt key must be 1-128 characters")
    values = {"channel": channel, "key": key, "received_at": now}
    if session.get_bind().dialect.name == "postgresql":
        stmt: Any = postgresql.insert(InboundReceipt).values(**values)
    else:
        stmt = sqlite.insert(InboundReceipt).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["channel", "key"])
    inserted = await session.scalar(stmt.returning(InboundReceipt.id))
    return inserted is not None


async def delete_receipts_before(session: AsyncSession, channel: str, before: datetime) -> int:
    """Delete ``channel``'s receipts received before ``before`` (past every retry and replay
    window); returns how many were deleted."""
    from storage.models import InboundReceipt

    result = await session.execute(
        delete(InboundReceipt)
        .where(InboundReceipt.channel == channel, InboundReceipt.received_at < before)
        .returning(InboundReceipt.id)
    )
    return len(result.all())
