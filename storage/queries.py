"""Queries the handlers, the reports and the command line share.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Date,
    Integer,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityRecord,
    ChatIdentity,
    ConversationState,
    Invite,
    Member,
    Membership,
    Organization,
    OrganizationKind,
    RecordStatus,
    Role,
)

#: Invite codes avoid look-alike characters (0/O, 1/I/L) so they survive being read aloud.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 8
INVITE_VALID_FOR = timedelta(days=14)
INVITE_MAX_USES = 50


# --- organizations and members -------------------------------------------------------------


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


# --- invites -------------------------------------------------------------------------------


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


# --- activity records ----------------------------------------------------------------------


def live_records() -> Any:
    """The condition for records that are not soft-deleted."""
    return ActivityRecord.deleted_at.is_(None)


async def add_record(session: AsyncSession, **fields: Any) -> ActivityRecord:
    """Insert one activity record (the column names of :class:`ActivityRecord` as keywords)."""
    record = ActivityRecord(**fields)
    session.add(record)
    await session.flush()
    return record


async def records_of_reporter(
    session: AsyncSession, reporter_id: int, start: date, end: date
) -> Sequence[ActivityRecord]:
    """A member's live records with ``start <= occurred_on <= end``, oldest first (the /list
    numbering)."""
    rows = await session.scalars(
        select(ActivityRecord)
        .where(
            ActivityRecord.reporter_id == reporter_id,
            ActivityRecord.occurred_on.between(start, end),
            live_records(),
        )
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return rows.all()


async def soft_delete_record(session: AsyncSession, record_id: int, now: datetime) -> bool:
    """Mark a record deleted; ``False`` when it was already gone."""
    result = await session.execute(
        update(ActivityRecord)
        .where(ActivityRecord.id == record_id, live_records())
        .values(deleted_at=now, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class TypeTotal:
    """Totals of one activity type over a period (status ``done`` unless asked otherwise).

    ``count`` sums the records' counts; ``participants`` sums the head counts that were given
    and ``without_participants`` counts records that gave none; ``approximate`` is true when any
    count was approximate ("30余次").
    """

    activity_type: str
    count: int
    records: int
    participants: int
    without_participants: int
    approximate: bool


async def totals_by_type(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    status: RecordStatus = RecordStatus.DONE,
) -> list[TypeTotal]:
    """Per-type totals of live records of the organizations in ``start..end``, aggregated in SQL."""
    rows = await session.execute(
        select(
            ActivityRecord.activity_type,
            func.sum(ActivityRecord.count),
            func.count(ActivityRecord.id),
            func.coalesce(func.sum(ActivityRecord.participants), 0),
            func.sum(case((ActivityRecord.participants.is_(None), 1), else_=0)),
            func.max(case((ActivityRecord.approximate, 1), else_=0).cast(Integer)),
        )
        .where(
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            ActivityRecord.status == status,
            live_records(),
        )
        .group_by(ActivityRecord.activity_type)
    )
    return [
        TypeTotal(str(t), int(c), int(n), int(p), int(w), bool(a))
        for t, c, n, p, w, a in rows.all()
    ]


async def monthly_counts(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> dict[tuple[str, int, int], int]:
    """Done counts per (activity_type, year, month) in ``start..end``, for the gap checks."""
    records = await session.execute(
        select(
            ActivityRecord.activity_type, ActivityRecord.occurred_on, ActivityRecord.count
        ).where(
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            ActivityRecord.status == RecordStatus.DONE,
            live_records(),
        )
    )
    out: dict[tuple[str, int, int], int] = {}
    for activity_type, occurred_on, count in records.all():
        key = (activity_type, occurred_on.year, occurred_on.month)
        out[key] = out.get(key, 0) + count
    return out


async def records_in_period(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    status: RecordStatus | None = None,
) -> Sequence[ActivityRecord]:
    """Live records of the organizations in ``start..end``, by date (for notable items, the
    plans section and traceability)."""
    query = select(ActivityRecord).where(
        ActivityRecord.organization_id.in_(organization_ids),
        ActivityRecord.occurred_on.between(start, end),
        live_records(),
    )
    if status is not None:
        query = query.where(ActivityRecord.status == status)
    rows = await session.scalars(query.order_by(ActivityRecord.occurred_on, ActivityRecord.id))
    return rows.all()


# --- conversation state --------------------------------------------------------------------


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


async def notable_records(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date, per_type: int
) -> Sequence[ActivityRecord]:
    """Up to ``per_type`` done records of each type in ``start..end`` with a title, those with
    the most participants first, then the earliest (a window function, one query)."""
    rank = (
        func.row_number()
        .over(
            partition_by=ActivityRecord.activity_type,
            order_by=(
                func.coalesce(ActivityRecord.participants, -1).desc(),
                ActivityRecord.occurred_on,
                ActivityRecord.id,
            ),
        )
        .label("rank")
    )
    ranked = (
        select(ActivityRecord.id, rank)
        .where(
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            ActivityRecord.status == RecordStatus.DONE,
            ActivityRecord.title != "",
            live_records(),
        )
        .subquery()
    )
    rows = await session.scalars(
        select(ActivityRecord)
        .join(ranked, ranked.c.id == ActivityRecord.id)
        .where(ranked.c.rank <= per_type)
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return rows.all()


# --- reports, traceability, import and export (issue 4) --------------------------------------


@dataclass(frozen=True, slots=True)
class MonthTotal:
    """Totals of one organization's records of one activity type in one calendar month.

    Same measures as :class:`TypeTotal`; ``year``/``month`` are those of the local date
    ``occurred_on``; ``top_titled`` is the largest head count among the month's records that
    have a title (``None`` if none gave one), which bounds the notable-record query.
    """

    organization_id: int
    activity_type: str
    year: int
    month: int
    count: int
    records: int
    participants: int
    without_participants: int
    approximate: bool
    top_titled: int | None = None


async def _scope_columns(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> tuple[Any, Any]:
    """The (organization_id, occurred_on) expressions to filter a report scan on.

    On SQLite, when ``start..end`` of the organizations holds more than an eighth of the table,
    they are written ``+column``: SQLite's documented way to keep a term off an index, because
    one sequential scan then beats a random table access per row through the
    (organization_id, occurred_on) index (``bench/RESULTS.md``: a year of 100,000 records about
    3x faster). The two counts deciding it are cheap: one reads only the index, the other is the
    largest rowid. PostgreSQL's planner makes this choice itself from its statistics.
    """
    organization: Any = ActivityRecord.organization_id
    occurred_on: Any = ActivityRecord.occurred_on
    if session.get_bind().dialect.name != "sqlite":
        return organization, occurred_on
    in_range = await session.scalar(
        select(func.count()).where(
            organization.in_(organization_ids), occurred_on.between(start, end)
        )
    )
    table = await session.scalar(select(func.max(ActivityRecord.id)))
    if in_range and table and in_range * 8 > table:
        name = ActivityRecord.__tablename__
        organization = literal_column(f"+{name}.organization_id", Integer)
        occurred_on = literal_column(f"+{name}.occurred_on", Date)
    return organization, occurred_on


async def monthly_totals(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    status: RecordStatus = RecordStatus.DONE,
) -> list[MonthTotal]:
    """Totals per (organization, activity type, year, month) of live records in ``start..end``,
    aggregated in SQL in one scan: at most organizations x types x months rows, whatever the
    number of records. Reports derive per-type totals, gap checks, per-branch tables and the
    notable-record bounds from it.
    """
    if session.get_bind().dialect.name == "sqlite":  # dates are stored as 'YYYY-MM-DD'
        year_month: Any = func.substr(ActivityRecord.occurred_on, 1, 7)
    else:
        year_month = func.to_char(ActivityRecord.occurred_on, "YYYY-MM")
    organization, occurred_on = await _scope_columns(session, organization_ids, start, end)
    rows = await session.execute(
        select(
            ActivityRecord.organization_id,
            ActivityRecord.activity_type,
            year_month,
            func.sum(ActivityRecord.count),
            func.count(ActivityRecord.id),
            func.coalesce(func.sum(ActivityRecord.participants), 0),
            func.sum(case((ActivityRecord.participants.is_(None), 1), else_=0)),
            func.max(case((ActivityRecord.approximate, 1), else_=0).cast(Integer)),
            func.max(case((ActivityRecord.title != "", ActivityRecord.participants))),
        )
        .where(
            organization.in_(organization_ids),
            occurred_on.between(start, end),
            ActivityRecord.status == status,
            live_records(),
        )
        # not organization_id first: SQLite would walk the index in that order, with a random
        # table access per row, instead of scanning the table
        .group_by(ActivityRecord.activity_type, year_month, ActivityRecord.organization_id)
    )
    return [
        MonthTotal(
            int(o),
            str(t),
            int(ym[:4]),
            int(ym[5:7]),
            int(c),
            int(n),
            int(p),
            int(w),
            bool(a),
            None if top is None else int(top),
        )
        for o, t, ym, c, n, p, w, a, top in rows.all()
    ]


async def planned_records(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date, limit: int
) -> tuple[Sequence[ActivityRecord], int]:
    """The first ``limit`` live planned records in ``start..end`` by date, and how many there
    are in all (two bounded queries)."""
    where = (
        ActivityRecord.organization_id.in_(organization_ids),
        ActivityRecord.occurred_on.between(start, end),
        ActivityRecord.status == RecordStatus.PLANNED,
        live_records(),
    )
    total = int(await session.scalar(select(func.count(ActivityRecord.id)).where(*where)) or 0)
    rows = await session.scalars(
        select(ActivityRecord)
        .where(*where)
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
        .limit(limit)
    )
    return rows.all(), total


async def records_behind(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    *,
    status: RecordStatus = RecordStatus.DONE,
    activity_types: Sequence[str] | None = None,
    with_participants: bool | None = None,
    record_id: int | None = None,
) -> list[tuple[int, int, int | None]]:
    """``(id, count, participants)`` of the live records a report figure counts, by id.

    ``activity_types`` ``None`` means every type; ``with_participants`` ``True``/``False``
    keeps records that did / did not give a head count; ``record_id`` narrows to one record.
    Used by ``--trace`` only (it loads one row per record).
    """
    query = select(ActivityRecord.id, ActivityRecord.count, ActivityRecord.participants).where(
        ActivityRecord.organization_id.in_(organization_ids),
        ActivityRecord.occurred_on.between(start, end),
        ActivityRecord.status == status,
        live_records(),
    )
    if activity_types is not None:
        query = query.where(ActivityRecord.activity_type.in_(activity_types))
    if with_participants is True:
        query = query.where(ActivityRecord.participants.is_not(None))
    elif with_participants is False:
        query = query.where(ActivityRecord.participants.is_(None))
    if record_id is not None:
        query = query.where(ActivityRecord.id == record_id)
    rows = await session.execute(query.order_by(ActivityRecord.id))
    return [(int(i), int(c), None if p is None else int(p)) for i, c, p in rows.all()]


async def organizations_by_id(
    session: AsyncSession, organization_ids: Sequence[int]
) -> dict[int, Organization]:
    """The organizations with these ids (missing ids are left out)."""
    rows = await session.scalars(select(Organization).where(Organization.id.in_(organization_ids)))
    return {org.id: org for org in rows.all()}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One record as the ledger (台账) and ``djbot export`` show it: stored fields plus the
    reporter's and the organization's names."""

    record_id: int
    organization: str
    occurred_on: date
    activity_type: str
    category: str
    count: int
    approximate: bool
    unit: str
    participants: int | None
    title: str
    status: RecordStatus
    reporter: str
    text: str


async def ledger_entries(
    session: AsyncSession, organization_ids: Sequence[int], start: date, end: date
) -> list[LedgerEntry]:
    """Every live record (done and planned) of the organizations in ``start..end``, by date and
    id, with the reporter's name (``""`` if none) and the organization's name."""
    rows = await session.execute(
        select(
            ActivityRecord.id,
            Organization.name,
            ActivityRecord.occurred_on,
            ActivityRecord.activity_type,
            ActivityRecord.category,
            ActivityRecord.count,
            ActivityRecord.approximate,
            ActivityRecord.unit,
            ActivityRecord.participants,
            ActivityRecord.title,
            ActivityRecord.status,
            func.coalesce(Member.name, ""),
            ActivityRecord.raw_text,
        )
        .join(Organization, Organization.id == ActivityRecord.organization_id)
        .outerjoin(Member, Member.id == ActivityRecord.reporter_id)
        .where(
            ActivityRecord.organization_id.in_(organization_ids),
            ActivityRecord.occurred_on.between(start, end),
            live_records(),
        )
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return [LedgerEntry(*row) for row in rows.tuples().all()]


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


async def insert_records(
    session: AsyncSession, rows: Sequence[dict[str, Any]], batch_size: int = 5000
) -> int:
    """Insert activity records (column names of :class:`ActivityRecord` as keys) with
    executemany in batches, inside the caller's transaction; returns how many."""
    # Core insert on the table, not the ORM's bulk path: one executemany per batch
    statement = insert(cast(Table, ActivityRecord.__table__))
    for i in range(0, len(rows), batch_size):
        await session.execute(statement, list(rows[i : i + batch_size]))
    return len(rows)


async def imported_from(
    session: AsyncSession, organization_ids: Sequence[int], key_prefix: str
) -> int:
    """How many live records of the organizations came from an import whose
    ``source_message_id`` starts with ``key_prefix`` (a file already imported)."""
    return int(
        await session.scalar(
            select(func.count(ActivityRecord.id)).where(
                ActivityRecord.organization_id.in_(organization_ids),
                ActivityRecord.source_channel == "import",
                ActivityRecord.source_message_id.startswith(key_prefix, autoescape=True),
                live_records(),
            )
        )
        or 0
    )


# --- inbound receipts (de-duplication of deliveries across processes) ----------------------


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


async def notable_records_at_least(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    per_type: int,
    floors: dict[str, int],
) -> Sequence[ActivityRecord]:
    """:func:`notable_records` with a bound: records of a type in ``floors`` are candidates
    only with at least that many participants, so the window function sorts a few rows, not
    the period's every record. Correct when each floor is at most the ``per_type``-th largest
    head count of titled records of its type (the caller derives it from
    :attr:`MonthTotal.top_titled`: the ``per_type``-th largest of the monthly maxima)."""
    rank = (
        func.row_number()
        .over(
            partition_by=ActivityRecord.activity_type,
            order_by=(
                func.coalesce(ActivityRecord.participants, -1).desc(),
                ActivityRecord.occurred_on,
                ActivityRecord.id,
            ),
        )
        .label("rank")
    )
    organization, occurred_on = await _scope_columns(session, organization_ids, start, end)
    bounded = [
        and_(ActivityRecord.activity_type == name, ActivityRecord.participants >= floor)
        for name, floor in sorted(floors.items())
    ]
    candidates = or_(ActivityRecord.activity_type.not_in(list(floors)), *bounded)
    if floors:
        # a cheap first test that rejects most rows before the per-type ones
        candidates = and_(
            or_(
                ActivityRecord.participants >= min(floors.values()),
                ActivityRecord.activity_type.not_in(list(floors)),
            ),
            candidates,
        )
    ranked = (
        select(ActivityRecord.id, rank)
        .where(
            organization.in_(organization_ids),
            occurred_on.between(start, end),
            ActivityRecord.status == RecordStatus.DONE,
            ActivityRecord.title != "",
            live_records(),
            candidates,
        )
        .subquery()
    )
    rows = await session.scalars(
        select(ActivityRecord)
        .join(ranked, ranked.c.id == ActivityRecord.id)
        .where(ranked.c.rank <= per_type)
        .order_by(ActivityRecord.occurred_on, ActivityRecord.id)
    )
    return rows.all()
