"""Backup and restore round trips between SQLite and PostgreSQL, and the refusals."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.harness import Harness
from bot.domain.taxonomy import load_taxonomy
from bot.reports.rendering import ReportTemplates
from bot.settings import async_database_url
from handlers.dispatcher import ConversationDispatcher
from storage import migrate
from storage.backup import RestoreError, backup, restore
from storage.database import Database
from storage.models import ActivityRecord, ChatIdentity, Member, Membership, Organization

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def dispatcher_on(db: Database) -> ConversationDispatcher:
    return ConversationDispatcher(
        db, tz=ZoneInfo("Asia/Shanghai"), taxonomy=load_taxonomy(), templates=ReportTemplates()
    )


async def populate(db: Database) -> None:
    secretary = Harness(dispatcher_on(db), "100", "张书记", now=NOW)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    for text in ("今天召开支委会，出席7人", "11月10日开展主题党日，参加21人"):
        await secretary.say(text)
        await secretary.press("保存")
    await secretary.say("今天开展集中学习")  # a half-entered record: a conversation state row


async def snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    async with db.session() as session:
        return {
            "organizations": [
                (o.id, o.name, o.parent_id, o.created_at)
                for o in await session.scalars(select(Organization).order_by(Organization.id))
            ],
            "members": [(m.id, m.name) for m in await session.scalars(select(Member))],
            "identities": [
                (i.channel, i.external_id, i.member_id)
                for i in await session.scalars(select(ChatIdentity))
            ],
            "roles": sorted(
                (r.member_id, r.role.value) for r in await session.scalars(select(Membership))
            ),
            "records": [
                (r.id, r.activity_type, r.occurred_on, r.participants, r.title, r.created_at)
                for r in await session.scalars(select(ActivityRecord).order_by(ActivityRecord.id))
            ],
        }


def sqlite_db(path: Path) -> Database:
    return Database(async_database_url(f"sqlite:///{path}"))


async def test_backup_restores_into_a_new_database_of_either_kind(
    db: Database, tmp_path: Path
) -> None:
    source = sqlite_db(tmp_path / "source.sqlite3")
    await migrate.upgrade(source)
    await populate(source)
    before = await snapshot(source)
    assert len(before["records"]) == 2

    # SQLite online backup -> restore into the fixture database (SQLite or PostgreSQL)
    backup_file = tmp_path / "backup.sqlite3"
    summary = await backup(source, backup_file)
    assert summary.rows["activity_records"] == 2
    await source.dispose()
    restored = await restore(db, backup_file)
    assert restored.revision == migrate.head()
    assert await snapshot(db) == before

    # the restored bot carries on: the half-entered record is still pending, ids do not clash
    secretary = Harness(dispatcher_on(db), "100", "张书记", now=NOW)
    assert "已保存" in Harness.text(await secretary.say("保存"))
    assert "共3条" in Harness.text(await secretary.say("/list"))

    # and back out again, as a portable dump on PostgreSQL or a file copy on SQLite
    second = tmp_path / "second.backup"
    await backup(db, second)
    again = sqlite_db(tmp_path / "again.sqlite3")
    await restore(again, second)
    assert await snapshot(again) == await snapshot(db)
    await again.dispose()


async def test_restore_refuses_a_database_with_data(db: Database, tmp_path: Path) -> None:
    await populate(db)
    backup_file = tmp_path / "b.backup"
    await backup(db, backup_file)
    with pytest.raises(RestoreError, match="不是空的"):
        await restore(db, backup_file)


async def test_restore_refuses_files_that_are_not_backups(db: Database, tmp_path: Path) -> None:
    garbage = tmp_path / "notes.txt"
    garbage.write_text("这不是备份", encoding="utf-8")
    with pytest.raises(RestoreError, match="无法识别"):
        await restore(db, garbage)
    future = tmp_path / "future.backup"
    with gzip.open(future, "wt", encoding="utf-8") as fh:
        fh.write('{"format": "djbot-dump", "version": 1, "revision": "9999"}\n')
    with pytest.raises(RestoreError, match="9999"):
        await restore(db, future)
    with pytest.raises(RestoreError, match="找不到"):
        await restore(db, tmp_path / "missing.backup")
