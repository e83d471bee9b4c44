"""Sign-in in a group chat and privately, each member's record of organizational life
(/stats), and what the bot does in a group chat, through the harness on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from support import photo

from bot.channels.harness import Chats, Harness
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.media import DirectoryMediaStore
from storage.models import ActivityRecord, Membership, RecordAttendee, Role

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 2026-11-20, 10:00 in Shanghai
GROUP = "-100777"
JOINED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # everyone joined early in the year


async def branch(
    dispatcher: ConversationDispatcher, names: list[str]
) -> tuple[Harness, list[Harness]]:
    chats = Chats()
    secretary = Harness(dispatcher, "100", "张书记", now=JOINED, chats=chats)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    members = []
    for i, name in enumerate(names):
        code = Harness.text(await secretary.say("/invite")).split("邀请码：", 1)[1].split()[0]
        member = Harness(dispatcher, str(300 + i), name, now=JOINED, chats=chats)
        await member.say(f"/start {code}")
        member.now = NOW
        members.append(member)
    secretary.now = NOW
    return secretary, members


async def records(db: Database) -> list[ActivityRecord]:
    async with db.session() as session:
        return list(await session.scalars(select(ActivityRecord).order_by(ActivityRecord.id)))


async def attendees(db: Database, record_id: int) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(RecordAttendee)
            .where(RecordAttendee.record_id == record_id)
            .order_by(RecordAttendee.id)
        )
        return [(r.name, r.status) for r in rows]


async def test_a_group_sign_in_makes_a_record_with_the_right_attendees(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary, (zhang, li, wang, zhao) = await branch(dispatcher, ["张三", "李四", "王五", "赵六"])
    replies = await secretary.say("/签到 主题党日", group=GROUP)
    assert "主题党日签到（第一党支部）" in Harness.text(replies)
    assert [c.label for r in replies for c in r.flat_choices()] == ["签到", "请假", "结束"]
    replies = await zhang.press("签到", group=GROUP)
    assert replies[0].replace and "已签到1人：张三" in replies[0].text
    assert replies[1].alert and "张三，已签到" in replies[1].text
    await li.press("签到", group=GROUP)
    replies = await wang.press("请假", group=GROUP)
    assert "已请假1人：王五" in replies[0].text
    # a second press changes nothing, also a different button
    replies = await zhang.press("请假", group=GROUP)
    assert len(replies) == 1 and replies[0].alert and "您已签到" in replies[0].text
    # a stranger in the group is told so
    stranger = Harness(dispatcher, "999", "路人", now=NOW, chats=secretary.chats)
    replies = await stranger.press("签到", group=GROUP)
    assert replies[0].alert and "不是第一党支部的党员" in replies[0].text
    # only the organizer (or a secretary) ends it
    assert "只有发起人或书记" in Harness.text(await zhao.press("结束", group=GROUP))
    replies = await secretary.press("结束", group=GROUP)
    text = Harness.text(replies)
    assert "签到已结束：签到2人，请假1人" in text
    assert "活动类型：主题党日" in text and "参加人数：2人" in text
    assert "参加人员：张三、李四（2人）" in text and "请假人员：王五" in text
    assert await records(db) == []
    # the card is the organizer's: another member's 保存 is refused, theirs saves
    assert "已失效" in Harness.text(await zhang.press("保存", group=GROUP))
    saved = Harness.text(await secretary.press("保存", group=GROUP))
    assert "已保存1条记录" in saved
    [record] = await records(db)
    assert (record.activity_type, record.participants, record.occurred_on) == (
        "主题党日",
        2,
        date(2026, 11, 20),
    )
    assert await attendees(db, record.id) == [
        ("张三", "attended"),
        ("李四", "attended"),
        ("王五", "leave"),
    ]
    # once ended, presses are answered, not counted
    assert "已结束" in Harness.text(await zhao.press("签到", group=GROUP))


async def test_presses_at_the_same_moment_each_count_once(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    names = [f"党员{i}" for i in range(12)]
    secretary, members = await branch(dispatcher, names)
    await secretary.say("/signin 主题党日", group=GROUP)
    presses = [m.press("签到", group=GROUP) for m in members]
    presses += [members[0].press("签到", group=GROUP) for _ in range(3)]  # one member, 4 taps
    results = await asyncio.gather(*presses)
    fresh = [r for r in results if not r[0].alert]
    assert len(fresh) == 12
    replies = await secretary.press("结束", group=GROUP)
    assert "签到已结束：签到12人，请假0人" in Harness.text(replies)


async def test_a_private_sign_in_sends_each_member_a_card(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary, (zhang, li, wang) = await branch(dispatcher, ["张三", "李四", "王五"])
    replies = await secretary.say("/签到主题党日")  # typed without a space
    sent = [r for r in replies if r.to is not None]
    assert sorted(r.to.user_id for r in sent) == ["300", "301", "302"]
    assert "已向3名党员发送签到卡片" in Harness.text(replies)
    assert "请点“签到”确认参加" in zhang.mail[-1].text
    replies = await zhang.press("签到")
    assert replies[0].replace and "张三，已签到" in replies[0].text
    await li.press("请假")
    replies = await secretary.press("查看")
    assert "已签到1人：张三" in Harness.text(replies) and "已请假1人：李四" in Harness.text(replies)
    replies = await secretary.press("结束")
    assert "参加人员：张三（1人）" in Harness.text(replies)
    await secretary.press("保存")
    [record] = await records(db)
    assert await attendees(db, record.id) == [("张三", "attended"), ("李四", "leave")]
    del wang


async def test_only_organizers_start_a_sign_in(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary, (zhang,) = await branch(dispatcher, ["张三"])
    assert "只有书记、党务干部或管理员" in Harness.text(await zhang.say("/签到 主题党日"))
    async with db.session() as session:
        member = (
            await session.scalars(select(Membership).where(Membership.role == Role.MEMBER))
        ).one()
        session.add(
            Membership(
                member_id=member.member_id,
                organization_id=member.organization_id,
                role=Role.OFFICER,
                created_at=NOW,
            )
        )
    assert "签到（第一党支部）" in Harness.text(await zhang.say("/签到 主题党日", group=GROUP))
    assert "用法" in Harness.text(await secretary.say("/签到"))
    assert "没有识别出" in Harness.text(await secretary.say("/签到 吃饭"))


async def test_the_member_table_counts_attended_leave_and_absent(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary, (zhang, li, wang) = await branch(dispatcher, ["张三", "李四", "王五"])
    # three records with attendee lists, one without
    await secretary.say("11月3日开展主题党日活动，参加人员：张三、李四；请假：王五")
    await secretary.press("保存")
    await secretary.say("11月10日召开支部党员大会，参加人员：张三、张书记；请假：李四")
    await secretary.press("保存")
    await secretary.say("11月12日召开支委会，出席人员：张书记、张三")  # committee only
    await secretary.press("保存")
    await secretary.say("11月17日讲专题党课，参加30人")  # no list: says nothing about anyone
    await secretary.press("保存")
    table = Harness.text(await secretary.say("/stats 2026"))
    assert "第一党支部 2026年党员参加组织生活情况" in table
    lines = table.splitlines()
    # 三会一课: 党员大会 + 支委会; 主题党日 one
    assert "张三　2/0/0　1/0/0" in lines
    assert "李四　0/1/0　1/0/0" in lines  # leave is not absence; not on the committee
    assert "王五　0/0/1　0/1/0" in lines  # absent from the 党员大会 only
    assert "张书记　2/0/0　0/0/1" in lines
    mine = Harness.text(await wang.say("/stats"))
    assert "王五 2026年组织生活情况" in mine
    assert "三会一课：出席0次，请假0次，缺席1次" in mine
    assert "主题党日：出席0次，请假1次，缺席0次" in mine
    assert "缺席：11月10日支部党员大会" in mine
    assert "请假不计为缺席" in mine
    del zhang, li


async def test_group_chatter_produces_no_card(
    dispatcher: ConversationDispatcher, db: Database, tmp_path: Path
) -> None:
    bot = ConversationDispatcher(
        db,
        tz=dispatcher.tz,
        taxonomy=dispatcher.taxonomy,
        templates=dispatcher.templates,
        media=DirectoryMediaStore(tmp_path / "media"),
    )
    secretary, (zhang,) = await branch(bot, ["张三"])
    for text in ("今天上午组织全体党员开展主题党日活动，到场23人", "收到", "好的，辛苦了"):
        assert await zhang.say(text, group=GROUP) == []
    assert await zhang.send_photo(photo(), "今天开展主题党日活动", group=GROUP) == []
    assert secretary.chats.of(GROUP) == []
    # a mention is for the bot: a card in the group, answered there
    replies = await zhang.say(
        "今天上午组织全体党员开展主题党日活动，到场23人", group=GROUP, mention=True
    )
    assert "请确认活动记录" in Harness.text(replies)
    assert "已保存" in Harness.text(await zhang.press("保存", group=GROUP))
    # a command works; a report asked in a group goes to the asker privately
    replies = await secretary.say("/report", group=GROUP)
    assert replies[0].to is None and "已私信发送给张书记" in replies[0].text
    assert all(r.to == secretary.address for r in replies[1:])
    assert any(r.document is not None for r in secretary.mail)
    assert not any(r.document is not None for r in secretary.chats.of(GROUP))
    assert len(await records(db)) == 1


@pytest.mark.parametrize("name", ["signin", "stats"])
def test_the_menu_carries_only_telegram_command_names(name: str) -> None:
    import re

    from handlers import commands

    menu = dict(commands.menu())
    assert name in menu
    assert all(re.fullmatch(r"[a-z0-9_]{1,32}", n) for n in menu)
    assert commands.lookup("签到", "主题党日") == (commands.BY_NAME["signin"], "主题党日")
    assert commands.lookup("统计2026", "") == (commands.BY_NAME["stats"], "2026")


async def test_sign_in_buttons_work_typed(dispatcher: ConversationDispatcher, db: Database) -> None:
    secretary, (zhang, li) = await branch(dispatcher, ["张三", "李四"])
    assert await zhang.say("签到", group=GROUP) == []  # nothing open: chatter
    await secretary.say("/签到 支部党员大会", group=GROUP)
    replies = await zhang.say("签到", group=GROUP)
    assert "张三，已签到" in Harness.text(replies) and not any(r.alert for r in replies)
    assert "李四，已登记请假" in Harness.text(await li.say("请假", group=GROUP))
    assert "只有发起人或书记" in Harness.text(await zhang.say("结束", group=GROUP))
    replies = await secretary.say("结束", group=GROUP)
    assert "签到已结束：签到1人，请假1人" in Harness.text(replies)
    assert "活动类型：支部党员大会" in Harness.text(replies)
    assert await li.say("保存", group=GROUP) == []  # not li's card: chatter
    assert "已保存1条记录" in Harness.text(await secretary.say("保存", group=GROUP))
