"""Who was there: a branch's roster, records' attendee lists, sign-ins (签到) and the facts
each member's attendance is counted from (``bot.domain.attendance.tally``).

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityRecord,
    AttendanceStatus,
    ChatIdentity,
    Member,
    Membership,
    RecordAttendee,
    Signin,
    SigninMark,
    SigninStatus,
)
from storage.queries.records import live_records


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A member of an organization: id, name and when they joined it (the first role's
    ``created_at``, UTC)."""

    member_id: int
    name: str
    joined_at: datetime


async def roster(session: AsyncSession, organization_ids: Sequence[int]) -> list[RosterEntry]:
    """The members holding any role in the organizations, by name then id."""
    rows = await session.execute(
        select(Member.id, Member.name, func.min(Membership.created_at))
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.organization_id.in_(list(organization_ids)))
        .group_by(Member.id, Member.name)
        .order_by(Member.name, Member.id)
    )
    out = []
    for member_id, name, joined in rows.all():
        # an aggregate bypasses the column type: SQLite returns a naive UTC value (or text)
        when = datetime.fromisoformat(joined) if isinstance(joined, str) else joined
        out.append(RosterEntry(int(member_id), str(name), _utc(when)))
    return out


def _utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def is_member_of(session: AsyncSession, member_id: int, organization_id: int) -> bool:
    """Whether the member holds any role in the organization."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Membership.member_id == member_id,
                    Membership.organization_id == organization_id,
                )
            )
        )
    )


@dataclass(frozen=True, slots=True)
class MemberChat:
    """Where a member is reached on one channel: ``chat_id`` (their private chat) and
    ``external_id`` (their user id there)."""

    member_id: int
    name: str
    chat_id: str
    external_id: str


async def member_chats(
    session: AsyncSession, organization_id: int, channel: str
) -> list[MemberChat]:
    """The organization's members with an account on ``channel`` (the newest account of
    each), by member id."""
    rows = await session.execute(
        select(Member.id, Member.name, ChatIdentity.chat_id, ChatIdentity.external_id)
        .join(ChatIdentity, ChatIdentity.member_id == Member.id)
        .where(
            ChatIdentity.channel == channel,
            Member.id.in_(
                select(Membership.member_id).where(Membership.organization_id == organization_id)
            ),
        )
        .order_by(Member.id, ChatIdentity.id.desc())
    )
    out: dict[int, MemberChat] = {}
    for member_id, name, chat_id, external_id in rows.all():
        out.setdefault(int(member_id), MemberChat(int(member_id), name, chat_id, external_id))
    return list(out.values())


# --- attendee lists ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attendee:
    """One name of an attendee list: the member (``None``: matched nobody), the name as
    written or the member's, and ``"attended"`` or ``"leave"``."""

    member_id: int | None
    name: str
    status: str = "attended"


async def add_attendees(
    session: AsyncSession, record_id: int, attendees: Sequence[Attendee]
) -> int:
    """Put names on a record's attendee list; a member already on it keeps their first entry.
    Returns how many were added."""
    held = {
        row
        for row in await session.scalars(
            select(RecordAttendee.member_id).where(RecordAttendee.record_id == record_id)
        )
    }
    added = 0
    for a in attendees:
        if a.member_id is not None and a.member_id in held:
            continue
        held.add(a.member_id)
        session.add(
            RecordAttendee(
                record_id=record_id,
                member_id=a.member_id,
                name=a.name[:100],
                status=AttendanceStatus(a.status),
            )
        )
        added += 1
    await session.flush()
    return added


async def attendees_of(
    session: AsyncSession, record_ids: Sequence[int]
) -> dict[int, list[Attendee]]:
    """Each record's attendee list in the order written; records without one are absent."""
    out: dict[int, list[Attendee]] = {}
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), 1000):
        rows = await session.scalars(
            select(RecordAttendee)
            .where(RecordAttendee.record_id.in_(ids[start : start + 1000]))
            .order_by(RecordAttendee.record_id, RecordAttendee.id)
        )
        for r in rows:
            out.setdefault(r.record_id, []).append(Attendee(r.member_id, r.name, r.status.value))
    return out


@dataclass(frozen=True, slots=True)
class ListedRecord:
    """A live, held record with an attendee list: id, type, local date, organization."""

    record_id: int
    activity_type: str
    occurred_on: date
    organization_id: int


@dataclass(frozen=True, slots=True)
class AttendanceFacts:
    """What attendance is counted from: the records with attendee lists and the marks on them
    (``(record id, member id) -> "attended" | "leave"``)."""

    records: list[ListedRecord]
    marks: dict[tuple[int, int], str]


async def attendance_facts(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    activity_types: Sequence[str],
) -> AttendanceFacts:
    """The organizations' live, held records of ``activity_types`` with ``start <= occurred_on
    <= end`` that have an attendee list (oldest first), and their marks."""
    records = [
        ListedRecord(int(r.id), r.activity_type, r.occurred_on, int(r.organization_id))
        for r in (
            await session.execute(
                select(
                    ActivityRecord.id,
                    ActivityRecord.activity_type,
                    ActivityRecord.occurred_on,
                    ActivityRecord.organization_id,
                )
                .where(
                    ActivityRecord.organization_id.in_(list(organization_ids)),
                    ActivityRecord.occurred_on.between(start, end),
                    ActivityRecord.activity_type.in_(list(activity_types)),
                    ActivityRecord.status == "done",
                    live_records(),
                    exists().where(RecordAttendee.record_id == ActivityRecord.id),
                )
                .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
            )
        ).all()
    ]
    marks: dict[tuple[int, int], str] = {}
    ids = [r.record_id for r in records]
    for i in range(0, len(ids), 1000):
        rows = await session.execute(
            select(RecordAttendee.record_id, RecordAttendee.member_id, RecordAttendee.status).where(
                RecordAttendee.record_id.in_(ids[i : i + 1000]),
                RecordAttendee.member_id.is_not(None),
            )
        )
        for record_id, member_id, status in rows.all():
            marks[(int(record_id), int(member_id))] = AttendanceStatus(status).value
    return AttendanceFacts(records, marks)


# --- sign-ins ---------------------------------------------------------------------------------


async def create_signin(
    session: AsyncSession,
    *,
    organization_id: int,
    created_by_id: int,
    activity_type: str,
    title: str,
    occurred_on: date,
    token: str,
    channel: str,
    chat_id: str,
    in_group: bool,
    now: datetime,
) -> Signin:
    """Open a sign-in."""
    row = Signin(
        organization_id=organization_id,
        created_by_id=created_by_id,
        activity_type=activity_type,
        title=title[:200],
        occurred_on=occurred_on,
        token=token,
        channel=channel,
        chat_id=chat_id,
        in_group=in_group,
        status=SigninStatus.OPEN,
        created_at=now,
        closed_at=None,
    )
    session.add(row)
    await session.flush()
    return row


async def mark_signin(
    session: AsyncSession, signin_id: int, member_id: int, status: str, now: datetime
) -> bool:
    """Record a member's press; ``False`` when they had pressed before (the first press
    stands, also when two presses race: ``INSERT ... ON CONFLICT DO NOTHING``)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SigninMark)
        .values(
            signin_id=signin_id,
            member_id=member_id,
            status=AttendanceStatus(status),
            marked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["signin_id", "member_id"])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class Mark:
    """A press on a sign-in: the member, their name and ``"attended"`` or ``"leave"``."""

    member_id: int
    name: str
    status: str


async def signin_marks(session: AsyncSession, signin_id: int) -> list[Mark]:
    """The presses on a sign-in, first first."""
    rows = await session.execute(
        select(SigninMark.member_id, Member.name, SigninMark.status)
        .join(Member, Member.id == SigninMark.member_id)
        .where(SigninMark.signin_id == signin_id)
        .order_by(SigninMark.marked_at, SigninMark.id)
    )
    return [Mark(int(m), str(n), AttendanceStatus(s).value) for m, n, s in rows.all()]


async def close_signin(session: AsyncSession, signin_id: int, now: datetime) -> bool:
    """Close an open sign-in; ``False`` when it was closed already (by another press)."""
    result = await session.execute(
        update(Signin)
        .where(Signin.id == signin_id, Signin.status == SigninStatus.OPEN)
        .values(status=SigninStatus.CLOSED, closed_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def open_signin(
    session: AsyncSession,
    channel: str,
    *,
    chat_id: str | None = None,
    organization_ids: Sequence[int] = (),
) -> Signin | None:
    """The newest open sign-in started in group chat ``chat_id``, or (without a chat) started
    privately on ``channel`` for one of ``organization_ids``."""
    query = select(Signin).where(Signin.status == SigninStatus.OPEN, Signin.channel == channel)
    if chat_id is not None:
        query = query.where(Signin.chat_id == chat_id, Signin.in_group.is_(True))
    else:
        query = query.where(
            Signin.organization_id.in_(list(organization_ids)), Signin.in_group.is_(False)
        )
    return (await session.scalars(query.order_by(Signin.id.desc()).limit(1))).first()
