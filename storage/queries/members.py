"""Members, their chat identities and roles (memberships), and the roster import.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChatIdentity,
    Member,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)


async def member_by_identity(
    session: AsyncSession, channel: str, external_id: str
) -> Member | None:
    """The member behind a chat account, or ``None`` for a stranger."""
    result = await session.execute(
        select(Member)
        .join(ChatIdentity, ChatIdentity.member_id == Member.id)
        .where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    return result.scalar_one_or_none()


async def add_member(
    session: AsyncSession,
    *,
    name: str,
    channel: str,
    external_id: str,
    chat_id: str,
    organization_id: int,
    roles: Iterable[Role],
    now: datetime,
) -> Member:
    """Create a member with one chat identity and the given roles in an organization."""
    member = Member(name=name, created_at=now)
    session.add(member)
    await session.flush()
    session.add(
        ChatIdentity(
            channel=channel,
            external_id=external_id,
            chat_id=chat_id,
            member_id=member.id,
            created_at=now,
        )
    )
    await grant_roles(session, member.id, organization_id, roles, now)
    return member


async def grant_roles(
    session: AsyncSession,
    member_id: int,
    organization_id: int,
    roles: Iterable[Role],
    now: datetime,
) -> None:
    """Give a member roles in an organization; roles already held are left as they are."""
    held = set(await roles_in(session, member_id, organization_id))
    for role in roles:
        if role not in held:
            session.add(
                Membership(
                    member_id=member_id, organization_id=organization_id, role=role, created_at=now
                )
            )
    await session.flush()


async def roles_in(session: AsyncSession, member_id: int, organization_id: int) -> list[Role]:
    """The roles a member holds in one organization."""
    rows = await session.scalars(
        select(Membership.role).where(
            Membership.member_id == member_id, Membership.organization_id == organization_id
        )
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class Affiliation:
    """A member's organization and the roles held there."""

    organization: Organization
    roles: frozenset[Role]

    def can_report(self) -> bool:
        """Secretaries and admins may request reports and invite."""
        return bool(self.roles & {Role.SECRETARY, Role.ADMIN})


async def affiliations(session: AsyncSession, member_id: int) -> list[Affiliation]:
    """Every organization a member belongs to with the roles held, branches first, then by id."""
    rows = (
        await session.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.member_id == member_id)
            .order_by(Organization.id)
        )
    ).all()
    by_org: dict[int, tuple[Organization, set[Role]]] = {}
    for org, role in rows:
        by_org.setdefault(org.id, (org, set()))[1].add(role)
    result = [Affiliation(org, frozenset(roles)) for org, roles in by_org.values()]
    result.sort(key=lambda a: (a.organization.kind != OrganizationKind.BRANCH, a.organization.id))
    return result


async def member_ids_by_name(
    session: AsyncSession, organization_ids: Sequence[int], names: Iterable[str]
) -> dict[str, int]:
    """Members with a role in one of the organizations, by name (the lowest id for a name two
    members share); names not found are left out."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Member.name, func.min(Member.id))
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.organization_id.in_(organization_ids), Member.name.in_(wanted))
        .group_by(Member.name)
    )
    return {str(name): int(member_id) for name, member_id in rows.all()}


async def set_reminders_enabled(session: AsyncSession, member_id: int, enabled: bool) -> None:
    """Switch a member's reminders on or off (``/remind on|off``)."""
    await session.execute(
        update(Member).where(Member.id == member_id).values(reminders_enabled=enabled)
    )


async def chat_identities(session: AsyncSession, member_id: int) -> list[ChatIdentity]:
    """A member's chat accounts, newest first."""
    rows = await session.scalars(
        select(ChatIdentity)
        .where(ChatIdentity.member_id == member_id)
        .order_by(ChatIdentity.id.desc())
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One line of a branch roster: a name, the chat accounts and the role."""

    name: str
    telegram_id: str | None
    wecom_userid: str | None
    role: Role


async def import_member(
    session: AsyncSession, organization_id: int, entry: RosterEntry, now: datetime
) -> str:
    """Add one roster entry: ``"created"`` (a new member), ``"updated"`` (an existing member
    got an account or role) or ``"unchanged"``.

    A member is recognised by any of the entry's chat accounts.

    Raises:
        ValueError: the entry's accounts belong to two different members (Chinese message).
    """
    wanted = [
        (channel, external_id)
        for channel, external_id in (("telegram", entry.telegram_id), ("wecom", entry.wecom_userid))
        if external_id
    ]
    existing = {
        (identity.channel, identity.external_id): identity
        for identity in await session.scalars(
            select(ChatIdentity).where(
                or_(
                    *[
                        and_(ChatIdentity.channel == c, ChatIdentity.external_id == e)
                        for c, e in wanted
                    ]
                )
            )
        )
    }
    owners = {identity.member_id for identity in existing.values()}
    if len(owners) > 1:
        raise ValueError(f"{entry.name}：Telegram 账号和企业微信账号分属两名不同的党员")
    changed = False
    if owners:
        member = await session.get(Member, owners.pop())
        assert member is not None
        outcome = "unchanged"
    else:
        member = Member(name=entry.name, created_at=now)
        session.add(member)
        await session.flush()
        outcome = "created"
    for channel, external_id in wanted:
        if (channel, external_id) not in existing:
            session.add(
                ChatIdentity(
                    channel=channel,
                    external_id=external_id,
                    chat_id=external_id,  # a private chat: the user's own id on both channels
                    member_id=member.id,
                    created_at=now,
                )
            )
            changed = True
    held = set(
        await session.scalars(
            select(Membership.role).where(
                Membership.member_id == member.id, Membership.organization_id == organization_id
            )
        )
    )
    if entry.role not in held:
        session.add(
            Membership(
                member_id=member.id,
                organization_id=organization_id,
                role=entry.role,
                created_at=now,
            )
        )
        changed = True
    await session.flush()
    if outcome == "unchanged" and changed:
        outcome = "updated"
    return outcome
