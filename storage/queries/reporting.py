"""What reports read: per-month totals, notable and planned records, the records behind a
figure (``--trace``) and the ledger's rows.

Every function takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the
transaction) and explicit ``now`` (aware UTC) or local dates; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityRecord,
    Member,
    Organization,
    RecordStatus,
)
from storage.queries.records import live_records


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


def type_totals(months: Sequence[MonthTotal]) -> dict[str, TypeTotal]:
    """Per-type totals summed from per-month totals (of any organizations and months)."""
    acc: dict[str, list[int]] = {}
    for m in months:
        a = acc.setdefault(m.activity_type, [0, 0, 0, 0, 0])
        a[0] += m.count
        a[1] += m.records
        a[2] += m.participants
        a[3] += m.without_participants
        a[4] = max(a[4], int(m.approximate))
    return {name: TypeTotal(name, c, n, p, w, bool(x)) for name, (c, n, p, w, x) in acc.items()}


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


async def notable_records(
    session: AsyncSession,
    organization_ids: Sequence[int],
    start: date,
    end: date,
    per_type: int,
    floors: dict[str, int] | None = None,
) -> Sequence[ActivityRecord]:
    """Up to ``per_type`` done records of each type in ``start..end`` with a title, those with
    the most participants first, then the earliest (a window function, one query).

    ``floors`` bounds the work: records of a type in ``floors`` are candidates only with at
    least that many participants, so the window function sorts a few rows, not the period's
    every record. Correct when each floor is at most the ``per_type``-th largest head count of
    titled records of its type (the caller derives it from :attr:`MonthTotal.top_titled`: the
    ``per_type``-th largest of the monthly maxima); ``None`` ranks every record.
    """
    floors = floors or {}
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
