"""Organizations: the committee -> branch tree.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    exists,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Membership,
    Organization,
    OrganizationKind,
)


async def any_organization(session: AsyncSession) -> bool:
    """Whether at least one organization exists (an empty database is waiting for a founder)."""
    return bool(await session.scalar(select(exists().where(Organization.id.is_not(None)))))


async def create_organization(
    session: AsyncSession,
    name: str,
    now: datetime,
    *,
    kind: OrganizationKind = OrganizationKind.BRANCH,
    parent_id: int | None = None,
) -> Organization:
    """Create an organization and return it with its id."""
    org = Organization(name=name, kind=kind, parent_id=parent_id, created_at=now)
    session.add(org)
    await session.flush()
    return org


async def organization_tree_ids(session: AsyncSession, root_id: int) -> list[int]:
    """``root_id`` and the ids of all organizations below it (a committee rolls up its branches)."""
    ids, frontier = [root_id], [root_id]
    while frontier:
        children = list(
            await session.scalars(
                select(Organization.id).where(Organization.parent_id.in_(frontier))
            )
        )
        frontier = [c for c in children if c not in ids]
        ids.extend(frontier)
    return ids


async def organizations_by_id(
    session: AsyncSession, organization_ids: Sequence[int]
) -> dict[int, Organization]:
    """The organizations with these ids (missing ids are left out)."""
    rows = await session.scalars(select(Organization).where(Organization.id.in_(organization_ids)))
    return {org.id: org for org in rows.all()}


async def organizations_with_members(session: AsyncSession) -> list[Organization]:
    """Organizations that have at least one member, by id."""
    rows = await session.scalars(
        select(Organization)
        .where(Organization.id.in_(select(Membership.organization_id)))
        .order_by(Organization.id)
    )
    return list(rows)
