"""Conversation state: where each (channel, chat, user) is in a multi-step conversation.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ConversationState,
)


async def load_state(
    session: AsyncSession, channel: str, chat_id: str, user_id: str
) -> ConversationState | None:
    """The stored conversation step of one user in one chat, if any."""
    result = await session.execute(
        select(ConversationState).where(
            ConversationState.channel == channel,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )
    return result.scalar_one_or_none()


async def save_state(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    user_id: str,
    state: str,
    data: dict[str, Any],
    token: str,
    now: datetime,
) -> None:
    """Create or replace the conversation step of one user in one chat."""
    row = await load_state(session, channel, chat_id, user_id)
    if row is None:
        session.add(
            ConversationState(
                channel=channel,
                chat_id=chat_id,
                user_id=user_id,
                state=state,
                data=data,
                token=token,
                updated_at=now,
            )
        )
    else:
        row.state, row.data, row.token, row.updated_at = state, data, token, now
    await session.flush()


async def clear_state(session: AsyncSession, channel: str, chat_id: str, user_id: str) -> None:
    """Forget the conversation step of one user in one chat."""
    await session.execute(
        delete(ConversationState).where(
            ConversationState.channel == channel,
            ConversationState.chat_id == chat_id,
            ConversationState.user_id == user_id,
        )
    )


async def lock_conversation(
    session: AsyncSession, channel: str, chat_id: str, user_id: str
) -> None:
    """Hold the conversation of one user in one chat for the rest of the transaction, so two
    of their messages handled at once (the photos of one album, delivered as separate updates
    to two processes) take turns instead of overwriting each other's step.

    PostgreSQL: a transaction-level advisory lock (PostgreSQL docs, "Advisory Locks",
    ``pg_advisory_xact_lock``), released at commit or rollback. SQLite serialises writers
    itself and runs one bot process: nothing to do.
    """
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return
    key = zlib.crc32(f"conversation:{channel}:{chat_id}:{user_id}".encode())
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
