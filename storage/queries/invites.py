"""Invite codes: created by secretaries and admins, redeemed with ``/start CODE``.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Invite,
    Role,
)

#: Invite codes avoid look-alike characters (0/O, 1/I/L) so they survive being read aloud.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


INVITE_LENGTH = 8


INVITE_VALID_FOR = timedelta(days=14)


INVITE_MAX_USES = 50


def new_invite_code() -> str:
    """A random code of :data:`INVITE_LENGTH` characters from :data:`INVITE_ALPHABET`."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


async def create_invite(
    session: AsyncSession,
    organization_id: int,
    created_by_id: int | None,
    now: datetime,
    *,
    role: Role = Role.MEMBER,
    valid_for: timedelta = INVITE_VALID_FOR,
    max_uses: int = INVITE_MAX_USES,
) -> Invite:
    """Create an invite valid for ``valid_for`` from ``now`` and ``max_uses`` joins."""
    invite = Invite(
        code=new_invite_code(),
        organization_id=organization_id,
        role=role,
        created_by_id=created_by_id,
        max_uses=max_uses,
        uses=0,
        expires_at=now + valid_for,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def find_invite(session: AsyncSession, code: str) -> Invite | None:
    """The invite with this code (case-insensitive), or ``None``."""
    result = await session.execute(select(Invite).where(Invite.code == code.strip().upper()))
    return result.scalar_one_or_none()


async def use_invite(session: AsyncSession, invite: Invite) -> bool:
    """Count one use of an invite, atomically; ``False`` when its uses ran out meanwhile."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses < Invite.max_uses)
        .values(uses=Invite.uses + 1)
    )
    return bool(getattr(result, "rowcount", 0))
