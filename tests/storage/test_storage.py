"""Storage on SQLite and PostgreSQL: the migrations, UTC timestamps, uniqueness rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from storage import migrate
from storage.database import Database
from storage.models import ActivityRecord, Base, Role
from storage.queries.members import add_member
from storage.queries.organizations import create_organization
from storage.queries.records import add_record, soft_delete_record
from storage.queries.reporting import TypeTotal, monthly_totals, type_totals

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrations_round_trip(db: Database) -> None:
    model_tables = set(Base.metadata.tables)
    assert model_tables <= await table_names(db)
    assert await migrate.current(db) == migrate.head()
    async with db.session() as session:  # data in a tree must not block the way down
        parent = await create_organization(session, "机关党委", NOW)
        await create_organization(session, "第一党支部", NOW, parent_id=parent.id)
    await migrate.downgrade(db, "base")
    assert await migrate.current(db) is None
    assert not model_tables & await table_names(db)
    await migrate.upgrade(db)
    assert model_tables <= await table_names(db)


async def test_timestamps_come_back_in_utc(db: Database) -> None:
    beijing = timezone(timedelta(hours=8))
    created = datetime(2026, 3, 1, 9, 30, tzinfo=beijing)
    async with db.session() as session:
        org = await create_organization(session, "测试支部", created)
    async with db.session() as session:
        from storage.models import Organization

        stored = await session.get(Organization, org.id)
        assert stored is not None
        assert stored.created_at == created
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)


async def test_a_naive_timestamp_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        async with db.session() as session:
            await create_organization(session, "测试支部", datetime(2026, 1, 1))


async def test_a_chat_account_belongs_to_one_member(db: Database) -> None:
    async with db.session() as session:
        org = await create_organization(session, "测试支部", NOW)
        await add_member(
            session,
            name="甲",
            channel="telegram",
            external_id="1",
            chat_id="1",
            organization_id=org.id,
            roles=[Role.MEMBER],
            now=NOW,
        )
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await add_member(
                session,
                name="乙",
                channel="telegram",
                external_id="1",
                chat_id="1",
                organization_id=org.id,
                roles=[Role.MEMBER],
                now=NOW,
            )


async def test_totals_are_aggregated_per_type_and_skip_deleted_and_planned(db: Database) -> None:
    async with db.session() as session:
        org = await create_organization(session, "测试支部", NOW)
        rows = [
            ("主题党日", date(2026, 10, 9), 1, 21, "done", False),
            ("主题党日", date(2026, 11, 10), 1, None, "done", False),
            ("主题党日", date(2026, 11, 11), 1, 50, "planned", False),
            ("集中学习", date(2026, 10, 1), 30, None, "done", True),
            ("集中学习", date(2026, 9, 30), 5, 9, "done", False),  # outside the quarter
        ]
        for activity_type, day, count, participants, status, approximate in rows:
            await add_record(
                session,
                organization_id=org.id,
                reporter_id=None,
                activity_type=activity_type,
                category="组织建设",
                occurred_on=day,
                count=count,
                approximate=approximate,
                unit="次",
                participants=participants,
                title="",
                raw_text="",
                status=status,
                source_channel="test",
                source_message_id=None,
                created_at=NOW,
                updated_at=NOW,
                deleted_at=None,
            )
        deleted = await add_record(
            session,
            organization_id=org.id,
            activity_type="主题党日",
            category="组织建设",
            occurred_on=date(2026, 11, 12),
            unit="次",
            participants=99,
            created_at=NOW,
            updated_at=NOW,
        )
        assert await soft_delete_record(session, deleted.id, NOW)
        assert not await soft_delete_record(session, deleted.id, NOW)
    async with db.session() as session:
        totals = {
            t.activity_type: t
            for t in type_totals(
                await monthly_totals(session, [org.id], date(2026, 10, 1), date(2026, 12, 31))
            ).values()
        }
        live = await session.scalars(
            select(ActivityRecord.id).where(ActivityRecord.deleted_at.is_(None))
        )
        assert len(list(live)) == 5
    assert totals["主题党日"] == TypeTotal("主题党日", 2, 2, 21, 1, False)
    assert totals["集中学习"] == TypeTotal("集中学习", 30, 1, 0, 1, True)
