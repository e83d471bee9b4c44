"""Reminders: the send log (queue, claim, finish), who gets reminded, and what a reminder
reports.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.

The claim protocol (``bot.reminders.sweep``): a sweep inserts ``pending`` rows with
``INSERT ... ON CONFLICT DO NOTHING`` on the send log's unique key, then takes each row with one
``UPDATE ... WHERE status = 'pending' OR (status = 'claimed' AND claimed_at < stale_before)``
and sends only when that update changed the row. Both statements are atomic on SQLite (one
writer at a time) and PostgreSQL (the second updater re-checks the condition after the first
commits, READ COMMITTED), so two sweeps never take the same row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityRecord,
    ChatIdentity,
    GroupReminderSend,
    Member,
    Membership,
    ReminderKind,
    ReminderSend,
    ReminderStatus,
    Role,
)
from storage.queries.records import live_records

#: Roles that get the secretary's version of a reminder (and the monthly nudge).
LEADING_ROLES = frozenset({Role.SECRETARY, Role.ADMIN})


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def recipients(
    session: AsyncSession,
    organization_id: int,
    *,
    roles: Iterable[Role] | None = None,
    joined_before: datetime | None = None,
) -> list[int]:
    """Ids of the organization's members who take reminders (``reminders_enabled``), by id.

    ``roles`` limits them to holders of those roles; ``joined_before`` (UTC) to members whose
    membership existed before that instant.
    """
    query = (
        select(Membership.member_id)
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.organization_id == organization_id, Member.reminders_enabled)
        .distinct()
    )
    if roles is not None:
        query = query.where(Membership.role.in_(list(roles)))
    if joined_before is not None:
        query = query.where(Membership.created_at < joined_before)
    return sorted(await session.scalars(query))


async def leading_member_ids(session: AsyncSession, organization_id: int) -> set[int]:
    """Members holding a secretary or admin role in the organization."""
    rows = await session.scalars(
        select(Membership.member_id).where(
            Membership.organization_id == organization_id,
            Membership.role.in_(list(LEADING_ROLES)),
        )
    )
    return set(rows)


@dataclass(frozen=True, slots=True)
class SendKey:
    """What a reminder is, apart from whom it goes to: its kind, deadline and offset, the day
    it goes out and the periods it covers (``"2026Q2,2026H1"``)."""

    kind: ReminderKind
    deadline: date
    offset_days: int
    remind_on: date
    periods: str


async def members_with_row(session: AsyncSession, organization_id: int, key: SendKey) -> set[int]:
    """Members that already have a send-log row for ``key`` in the organization (any status)."""
    rows = await session.scalars(
        select(ReminderSend.member_id).where(
            ReminderSend.organization_id == organization_id,
            ReminderSend.kind == key.kind,
            ReminderSend.deadline == key.deadline,
            ReminderSend.offset_days == key.offset_days,
        )
    )
    return set(rows)


async def insert_rows(
    session: AsyncSession,
    organization_id: int,
    key: SendKey,
    member_ids: Sequence[int],
    status: ReminderStatus,
    now: datetime,
    *,
    button_tokens: Sequence[str] | None = None,
    error: str | None = None,
) -> int:
    """Insert send-log rows for ``member_ids``, skipping any that exist (another sweep was
    faster); returns how many were inserted.

    Uses ``INSERT ... ON CONFLICT DO NOTHING`` on the unique key (SQLite 3.24+, PostgreSQL 9.5+).
    """
    if not member_ids:
        return 0
    values = [
        {
            "member_id": member_id,
            "organization_id": organization_id,
            "kind": key.kind,
            "deadline": key.deadline,
            "offset_days": key.offset_days,
            "remind_on": key.remind_on,
            "periods": key.periods,
            "status": status,
            "attempts": 0,
            "claim_token": "",
            "button_token": button_tokens[i] if button_tokens else "",
            "error": error,
            "created_at": now,
            "updated_at": now,
        }
        for i, member_id in enumerate(member_ids)
    ]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = 0
    for start in range(0, len(values), 500):
        statement = insert(ReminderSend).values(values[start : start + 500])
        statement = statement.on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
        inserted += _rowcount(await session.execute(statement))
    return inserted


_KEY_COLUMNS = ["member_id", "organization_id", "kind", "deadline", "offset_days"]


#: The two send logs: reminders to members, and reminders to a branch's group robot. The claim
#: protocol is the same on both (the module docstring).
SendLog = type[ReminderSend] | type[GroupReminderSend]


async def expire_before(
    session: AsyncSession, today: date, now: datetime, *, log: SendLog = ReminderSend
) -> list[ReminderSend | GroupReminderSend]:
    """Mark unsent rows of days before ``today`` (local) as expired; returns them."""
    rows: list[ReminderSend | GroupReminderSend] = list(
        await session.scalars(
            select(log).where(
                log.remind_on < today,
                log.status.in_([ReminderStatus.PENDING, ReminderStatus.CLAIMED]),
            )
        )
    )
    for row in rows:
        row.status = ReminderStatus.EXPIRED
        row.error = "提醒日已过，未再发送"
        row.updated_at = now
    await session.flush()
    return rows


async def sendable_ids(
    session: AsyncSession, today: date, stale_before: datetime, *, log: SendLog = ReminderSend
) -> list[int]:
    """Ids of today's rows a sweep may claim: pending, or claimed before ``stale_before`` (the
    claiming sweep died), oldest first."""
    rows = await session.scalars(
        select(log.id).where(log.remind_on == today, _claimable(log, stale_before)).order_by(log.id)
    )
    return list(rows)


def _claimable(log: SendLog, stale_before: datetime) -> Any:
    return or_(
        log.status == ReminderStatus.PENDING,
        and_(log.status == ReminderStatus.CLAIMED, log.claimed_at < stale_before),
    )


async def claim(
    session: AsyncSession,
    send_id: int,
    token: str,
    today: date,
    now: datetime,
    stale_before: datetime,
    *,
    log: SendLog = ReminderSend,
) -> bool:
    """Take one row for sending, atomically; ``False`` when another sweep holds or finished it,
    or its day (``remind_on``, local) is not ``today``."""
    result = await session.execute(
        update(log)
        .where(log.id == send_id, log.remind_on == today, _claimable(log, stale_before))
        .values(status=ReminderStatus.CLAIMED, claim_token=token, claimed_at=now, updated_at=now)
    )
    return _rowcount(result) == 1


async def finish(
    session: AsyncSession,
    send_id: int,
    token: str,
    status: ReminderStatus,
    now: datetime,
    *,
    tries: int = 0,
    error: str | None = None,
    channel: str | None = None,
    chat_id: str | None = None,
    log: SendLog = ReminderSend,
) -> bool:
    """Record the outcome of a claimed row: ``sent``, ``failed``, ``skipped`` or back to
    ``pending`` (try again in a later sweep). ``False`` when the claim was no longer ours (a
    sweep took it over after the lease ran out). ``channel``/``chat_id`` (members' log only)
    record where it went."""
    values: dict[str, Any] = {
        "status": status,
        "attempts": log.attempts + tries,
        "error": error[:300] if error else None,
        "updated_at": now,
    }
    if status is ReminderStatus.SENT:
        values["sent_at"] = now
    if status is not ReminderStatus.CLAIMED:
        values["claim_token"] = ""
    if channel is not None and log is ReminderSend:
        values["channel"] = channel
        values["chat_id"] = chat_id
    result = await session.execute(
        update(log).where(log.id == send_id, log.claim_token == token).values(**values)
    )
    return _rowcount(result) == 1


async def queue_group_reminder(
    session: AsyncSession, organization_id: int, key: SendKey, now: datetime
) -> bool:
    """Queue the group-robot reminder ``key`` of an organization (pending), unless it exists
    (``INSERT ... ON CONFLICT DO NOTHING`` on the key); ``True`` when it was queued now."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(GroupReminderSend)
        .values(
            organization_id=organization_id,
            kind=key.kind,
            deadline=key.deadline,
            offset_days=key.offset_days,
            remind_on=key.remind_on,
            periods=key.periods,
            status=ReminderStatus.PENDING,
            attempts=0,
            claim_token="",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["organization_id", "kind", "deadline", "offset_days"]
        )
    )
    return _rowcount(await session.execute(statement)) == 1


async def silent_wecom_userids(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> list[str]:
    """The WeCom userids of the members who reported no live record in the organizations in
    ``start..end`` (the ones a group reminder @-mentions), sorted."""
    rows = await session.scalars(
        select(ChatIdentity.external_id)
        .where(
            ChatIdentity.channel == "wecom",
            ChatIdentity.member_id.in_(_silent(organization_ids, start, end)),
        )
        .distinct()
        .order_by(ChatIdentity.external_id)
    )
    return list(rows)


def _silent(organization_ids: Sequence[int], start: date, end: date) -> Any:
    """Ids of the organizations' members with no live record there in ``start..end``."""
    reported = select(ActivityRecord.reporter_id).where(
        ActivityRecord.organization_id.in_(organization_ids),
        ActivityRecord.occurred_on.between(start, end),
        ActivityRecord.reporter_id.is_not(None),
        live_records(),
    )
    return select(Membership.member_id).where(
        Membership.organization_id.in_(organization_ids), Membership.member_id.not_in(reported)
    )


async def status_counts(
    session: AsyncSession, remind_on: date | None = None
) -> dict[ReminderStatus, int]:
    """Rows per status (of one day, or all)."""
    query = select(ReminderSend.status, func.count(ReminderSend.id)).group_by(ReminderSend.status)
    if remind_on is not None:
        query = query.where(ReminderSend.remind_on == remind_on)
    return {ReminderStatus(s): int(n) for s, n in (await session.execute(query)).all()}


async def send_for_button(session: AsyncSession, send_id: int) -> ReminderSend | None:
    """The send-log row a reminder's button points at."""
    return await session.get(ReminderSend, send_id)


async def records_of(
    session: AsyncSession, member_id: int, organization_ids: Sequence[int], start: date, end: date
) -> list[ActivityRecord]:
    """A member's live records in the organizations with ``start <= occurred_on <= end``,
    oldest first."""
    rows = await session.scalars(
        select(ActivityRecord)
        .where(
            ActivityRecord.reporter_id == member_id,
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            live_records(),
        )
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return list(rows)


async def record_count(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> int:
    """Live records of the organizations in ``start..end``."""
    return int(
        await session.scalar(
            select(func.count(ActivityRecord.id)).where(
                ActivityRecord.organization_id.in_(organization_ids),
                ActivityRecord.occurred_on.between(start, end),
                live_records(),
            )
        )
        or 0
    )


async def members_without_records(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> tuple[int, list[str]]:
    """``(members, names)``: how many members the organizations have, and the names of those
    who reported no live record there in ``start..end`` (by name)."""
    total = int(
        await session.scalar(
            select(func.count(func.distinct(Membership.member_id))).where(
                Membership.organization_id.in_(organization_ids)
            )
        )
        or 0
    )
    names = await session.scalars(
        select(Member.name)
        .where(Member.id.in_(_silent(organization_ids, start, end)))
        .order_by(Member.name, Member.id)
    )
    return total, list(names)
