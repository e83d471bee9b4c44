"""Photos and files as evidence, through the harness and the real dispatcher, on SQLite and
PostgreSQL: a captioned photo becomes a record with its evidence (in the media directory, or
in an S3 bucket), a photo joins an open card, an album attaches together, a reply to a saved
card reaches that record, a photo without text waits for it; names become attendee lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import has_gps, minimal_pdf, photo

from bot.channels.harness import Chats, Harness
from bot.domain.taxonomy import load_taxonomy
from bot.reports.rendering import ReportTemplates
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.media import DirectoryMediaStore
from storage.models import ActivityRecord, Evidence, RecordAttendee

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 2026-11-20, 10:00 in Shanghai


def make_dispatcher(db: Database, media: Any) -> ConversationDispatcher:
    return ConversationDispatcher(
        db,
        tz=ZoneInfo("Asia/Shanghai"),
        taxonomy=load_taxonomy(),
        templates=ReportTemplates(),
        media=media,
    )


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def bot(db: Database, media_dir: Path) -> ConversationDispatcher:
    return make_dispatcher(db, DirectoryMediaStore(media_dir))


async def found(dispatcher: ConversationDispatcher, chats: Chats | None = None) -> Harness:
    secretary = Harness(dispatcher, "100", "张书记", now=NOW, chats=chats)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    return secretary


async def join(secretary: Harness, user_id: str, name: str) -> Harness:
    code = Harness.text(await secretary.say("/invite")).split("邀请码：", 1)[1].split()[0]
    member = Harness(secretary.dispatcher, user_id, name, now=secretary.now, chats=secretary.chats)
    assert "欢迎加入" in Harness.text(await member.say(f"/start {code}"))
    return member


async def evidence_rows(db: Database) -> list[Evidence]:
    async with db.session() as session:
        return list(await session.scalars(select(Evidence).order_by(Evidence.id)))


async def records(db: Database) -> list[ActivityRecord]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(ActivityRecord)
                .where(ActivityRecord.deleted_at.is_(None))
                .order_by(ActivityRecord.id)
            )
        )


async def test_a_photo_with_a_caption_becomes_a_record_with_its_evidence(
    bot: ConversationDispatcher, db: Database, media_dir: Path
) -> None:
    secretary = await found(bot)
    original = photo("red", gps=True)
    replies = await secretary.send_photo(original, "今天上午组织全体党员开展主题党日活动，到场23人")
    card = Harness.text(replies)
    assert "活动类型：主题党日" in card and "参加人数：23人" in card
    assert "佐证：1张照片" in card
    assert await evidence_rows(db) == []  # nothing linked before 保存
    saved = Harness.text(await secretary.press("保存"))
    assert "已保存1条记录" in saved and "佐证：1张照片" in saved
    [record] = await records(db)
    assert f"记录编号：{record.id}" in saved
    [row] = await evidence_rows(db)
    assert (row.record_id, row.kind, row.mime_type) == (record.id, "photo", "image/jpeg")
    assert row.filename == "照片20261120-1.jpg" and (row.width, row.height) == (64, 48)
    stored = (media_dir / row.storage_key).read_bytes()
    assert row.size == len(stored) and not has_gps(stored)  # the GPS position is gone
    assert secretary.fetches == 1


async def test_on_the_s3_path_the_file_lands_in_the_bucket(db: Database, s3_store: Any) -> None:
    secretary = await found(make_dispatcher(db, s3_store))
    await secretary.send_photo(photo("navy"), "昨天召开支委会，研究发展党员工作，出席7人")
    await secretary.press("保存")
    [row] = await evidence_rows(db)
    body = s3_store.client.get_object(Bucket=s3_store.bucket, Key=f"evidence/{row.storage_key}")
    data = body["Body"].read()
    assert len(data) == row.size and not has_gps(data)
    assert body["ContentType"] == "image/jpeg"


async def test_a_photo_sent_while_a_card_is_open_and_an_album_join_the_card(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    await secretary.say("今天组织党员开展主题党日活动，参加20人")
    replies = await secretary.send_photo(photo("red"))
    assert "已添加佐证：1张照片" in Harness.text(replies)
    assert "佐证：1张照片" in Harness.text(replies)
    # an album: three photos, each its own message with one album id
    for replies in await secretary.send_album([photo("blue"), photo("green"), photo("red")]):
        assert "活动类型：主题党日" in Harness.text(replies)
    card = Harness.text(secretary.last)
    assert "佐证：3张照片" in card  # the red one was there already: kept once
    assert "1个重复的照片或文件已忽略" in card
    await secretary.press("保存")
    [record] = await records(db)
    assert len({r.sha256 for r in await evidence_rows(db)}) == 3
    assert {r.record_id for r in await evidence_rows(db)} == {record.id}


async def test_an_album_with_a_caption_is_one_record_with_all_photos(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    await secretary.send_album(
        [photo("red"), photo("blue"), photo("green")], "11月18日讲专题党课，参加30人"
    )
    assert "佐证：3张照片" in Harness.text(secretary.last)
    await secretary.press("保存")
    [record] = await records(db)
    assert record.activity_type == "党课"
    assert len(await evidence_rows(db)) == 3


async def test_a_reply_to_a_saved_card_adds_to_that_record(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    member = await join(secretary, "300", "王五")
    await member.say("11月18日讲专题党课，参加30人")
    [saved] = await member.press("保存")
    await member.say("昨天召开党小组会，参加8人")  # another record in between
    await member.press("保存")
    replies = await member.send_file(minimal_pdf(), "党课签到表.pdf", reply_to=saved)
    first = (await records(db))[0]
    assert f"已为记录{first.id}" in Harness.text(replies) and "1个文件" in Harness.text(replies)
    [row] = await evidence_rows(db)
    assert (row.record_id, row.kind, row.filename) == (first.id, "file", "党课签到表.pdf")
    # the same file again: nothing new
    again = Harness.text(await member.send_file(minimal_pdf(), "副本.pdf", reply_to=saved))
    assert "已经添加过" in again and len(await evidence_rows(db)) == 1
    # an album as a reply: the first photo carries the reply, the rest the album id
    await member.send_photo(photo("red"), reply_to=saved, album_id="a1")
    await member.send_photo(photo("blue"), album_id="a1")
    assert "2张照片、1个文件" in Harness.text(member.last)
    # another member cannot add to 王五's record; the secretary can
    other = await join(secretary, "400", "赵六")
    assert "只能为自己登记的记录" in Harness.text(
        await other.send_photo(photo("green"), reply_to=saved)
    )
    assert "已为记录" in Harness.text(await secretary.send_photo(photo("green"), reply_to=saved))
    assert len(await evidence_rows(db)) == 4


async def test_a_photo_without_text_waits_for_the_activity(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    replies = await secretary.send_photo(photo("red"))
    assert "已收到佐证：1张照片" in Harness.text(replies)
    replies = await secretary.send_photo(photo("blue"), "大家辛苦了")  # no activity in it
    assert "已收到佐证：2张照片" in Harness.text(replies)
    replies = await secretary.say("今天开展主题党日活动，参加15人")
    assert "佐证：2张照片" in Harness.text(replies)
    await secretary.press("保存")
    assert len(await evidence_rows(db)) == 2


async def test_what_is_refused_is_said_and_the_rest_is_kept(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    fake = secretary.attachment(b"MZ\x90\x00 not a photo", kind="file", filename="活动照片.jpg")
    good = secretary.attachment(photo("red"), kind="photo")
    replies = await secretary.send_attachments([fake, good], "今天开展主题党日活动，参加15人")
    text = Harness.text(replies)
    assert "未保存：活动照片.jpg——不支持这种文件" in text
    assert "佐证：1张照片" in text
    await secretary.press("保存")
    assert len(await evidence_rows(db)) == 1
    assert len(await records(db)) == 1


async def test_without_a_media_store_photos_are_answered_not_lost(db: Database) -> None:
    secretary = await found(make_dispatcher(db, None))
    replies = await secretary.send_photo(photo(), "今天开展主题党日活动，参加15人")
    assert "未配置文件存储" in Harness.text(replies)
    assert await records(db) == []


async def test_names_become_the_attendee_list(bot: ConversationDispatcher, db: Database) -> None:
    secretary = await found(bot)
    zhang = await join(secretary, "301", "张三")
    li = await join(secretary, "302", "李四")
    wang = await join(secretary, "303", "王五")
    replies = await secretary.say("今天开展主题党日活动。参加人员：张三、李四、赵六；请假：王五")
    card = Harness.text(replies)
    assert "参加人员：张三、李四、赵六（3人）" in card and "请假人员：王五" in card
    assert "参加人数：3人" in card
    assert "本支部没有名为“赵六”的党员" in card  # the card asks
    await secretary.press("保存")
    [record] = await records(db)
    assert record.participants == 3
    async with db.session() as session:
        rows = list(await session.scalars(select(RecordAttendee).order_by(RecordAttendee.id)))
    ids = {name: m for name, m in [(r.name, r.member_id) for r in rows]}
    assert [(r.name, r.status) for r in rows] == [
        ("张三", "attended"),
        ("李四", "attended"),
        ("赵六", "attended"),
        ("王五", "leave"),
    ]
    assert ids["赵六"] is None and None not in (ids["张三"], ids["李四"], ids["王五"])
    del zhang, li, wang


async def test_a_larger_stated_count_wins_and_a_shared_name_is_asked(
    bot: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(bot)
    await join(secretary, "301", "张伟")
    later = await join(secretary, "302", "张伟")
    await join(secretary, "303", "李四")
    replies = await secretary.say("今天召开支部党员大会，张伟、李四等5人参加")
    assert "有2名党员叫“张伟”" in Harness.text(replies)
    choices = [c.label for r in replies for c in r.flat_choices()]
    assert choices[:2] == ["张伟（2026年11月加入）", "张伟（2026年11月加入）"]
    replies = await secretary.press_data(replies[0].choices[1][0].data)  # the second 张伟
    card = Harness.text(replies)
    assert "参加人员：张伟、李四（2人）" in card and "参加人数：5人" in card
    # a corrected list replaces it
    replies = await secretary.say("参加人员：张伟、李四、张书记")
    assert "参加人员：张伟、李四、张书记（3人）" in Harness.text(replies)
    await secretary.press("保存")
    async with db.session() as session:
        rows = list(await session.scalars(select(RecordAttendee).order_by(RecordAttendee.id)))
    assert rows[0].name == "张伟" and rows[0].member_id is not None
    del later


async def test_album_photos_handled_at_the_same_moment_all_join_the_card(
    bot: ConversationDispatcher, db: Database
) -> None:
    """Telegram delivers an album as separate updates, which two processes may handle at once:
    each photo's message waits for the other's (a lock per conversation), none is lost."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one bot process, whose inbox handles a chat's messages in order")
    secretary = await found(bot)
    await secretary.say("今天组织党员开展主题党日活动，参加20人")
    colors = ["red", "blue", "green", "yellow", "purple", "orange"]
    await asyncio.gather(*(secretary.send_photo(photo(c), album_id="a9") for c in colors))
    await secretary.say("保存")
    assert len(await evidence_rows(db)) == len(colors)
