"""The whole conversation through the test harness channel and the real dispatcher, on SQLite
and PostgreSQL: founding, invites, recording with the card, editing, /list, /delete, /report,
strangers, forged buttons and a restart in the middle of a record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channels.harness import Harness
from bot.domain.taxonomy import load_taxonomy
from bot.reports.rendering import ReportTemplates
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import ActivityRecord, Invite, Membership, Role

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 2026-11-20, 10:00 in Shanghai


async def count_records(db: Database) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count(ActivityRecord.id)).where(ActivityRecord.deleted_at.is_(None))
            )
            or 0
        )


async def all_records(db: Database) -> list[ActivityRecord]:
    async with db.session() as session:
        rows = await session.scalars(
            select(ActivityRecord)
            .where(ActivityRecord.deleted_at.is_(None))
            .order_by(ActivityRecord.id)
        )
        return list(rows)


async def found(dispatcher: ConversationDispatcher, name: str = "第一党支部") -> Harness:
    secretary = Harness(
        dispatcher,
        "100",
        "张书记",
        now=NOW,
        start_link=lambda code: f"https://t.me/djtest_bot?start={code}",
    )
    await secretary.say("/start")
    replies = await secretary.say(name)
    assert "管理员和书记" in Harness.text(replies)
    return secretary


async def invite_member(secretary: Harness, user_id: str, name: str) -> Harness:
    replies = await secretary.say("/invite")
    code = Harness.text(replies).split("邀请码：", 1)[1].split()[0]
    member = Harness(secretary.dispatcher, user_id, name, now=secretary.now)
    assert "欢迎加入" in Harness.text(await member.say(f"/start {code}"))
    return member


def labels(replies: list) -> list[str]:
    return [c.label for r in replies for c in r.flat_choices()]


async def test_first_user_founds_the_branch_and_becomes_secretary(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    user = Harness(dispatcher, "100", "张书记", now=NOW)
    replies = await user.say("/start")
    assert "党支部的全称" in Harness.text(replies)
    replies = await user.say("党")  # too short for a name
    assert "2至100个字" in Harness.text(replies)
    replies = await user.say("市统计局机关第一党支部")
    assert "已创建“市统计局机关第一党支部”" in Harness.text(replies)
    async with db.session() as session:
        roles = set(await session.scalars(select(Membership.role)))
    assert roles == {Role.ADMIN, Role.SECRETARY}
    # a second newcomer cannot found another organization
    other = Harness(dispatcher, "200", "李四", now=NOW)
    assert "邀请码" in Harness.text(await other.say("/start"))


async def test_member_records_an_activity_with_the_card(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    member = await invite_member(secretary, "300", "王五")
    replies = await member.say("今天上午组织全体党员开展主题党日活动，到场23人")
    card = Harness.text(replies)
    assert "活动类型：主题党日（组织建设）" in card
    assert "日期：2026年11月20日" in card
    assert "参加人数：23人" in card
    assert labels(replies) == ["保存", "修改", "取消"]
    assert await count_records(db) == 0  # only 保存 stores
    replies = await member.press("保存")
    assert replies[0].replace  # the card is updated in place
    assert "已保存1条记录" in Harness.text(replies)
    [record] = await all_records(db)
    assert (record.activity_type, record.category, record.participants) == (
        "主题党日",
        "组织建设",
        23,
    )
    assert record.occurred_on == date(2026, 11, 20)
    assert record.count == 1 and record.unit == "次" and record.status == "done"
    assert record.source_channel == "test" and record.raw_text.startswith("今天上午")
    listing = Harness.text(await member.say("/list"))
    assert "1. 11月20日 主题党日 1次 23人" in listing


async def test_buttons_work_typed_by_label_and_by_number(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    await secretary.say("昨天召开支委会，研究发展党员工作，出席7人")
    assert "已保存" in Harness.text(await secretary.say("保存"))
    await secretary.say("11月18日讲专题党课，参加30人")
    assert "已保存" in Harness.text(await secretary.say("1"))
    await secretary.say("前天开展集中学习，参加12人")
    assert "未保存" in Harness.text(await secretary.say("取消"))
    records = await all_records(db)
    assert [(r.activity_type, r.occurred_on, r.participants) for r in records] == [
        ("支委会", date(2026, 11, 19), 7),
        ("党课", date(2026, 11, 18), 30),
    ]


async def test_edit_walks_through_the_fields(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    await secretary.say("今天组织党员开展主题党日活动，参加20人")
    replies = await secretary.press("修改")
    assert "活动类型" in Harness.text(replies) and "保留" in labels(replies)
    await secretary.press("保留")  # type
    replies = await secretary.say("11月15日")  # date
    assert "次数" in Harness.text(replies)
    await secretary.press("保留")  # count
    replies = await secretary.say("二十几")  # participants: not a number
    assert "参加人数需为" in Harness.text(replies)
    replies = await secretary.say("２５")  # full-width digits
    assert "标题" in Harness.text(replies)
    await secretary.say("赴红色教育基地开展主题党日")
    replies = await secretary.press("已开展")
    card = Harness.text(replies)
    assert "日期：2026年11月15日" in card and "参加人数：25人" in card
    assert "标题：赴红色教育基地开展主题党日" in card
    await secretary.press("保存")
    [record] = await all_records(db)
    assert (record.occurred_on, record.participants) == (date(2026, 11, 15), 25)
    assert record.title == "赴红色教育基地开展主题党日"


async def test_pending_card_is_kept_when_the_user_writes_something_else(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    await secretary.say("今天召开支委会")
    replies = await secretary.say("今天还开展了主题党日")
    assert "未保存的活动记录" in Harness.text(replies)
    assert labels(replies) == ["保存", "修改", "取消"]
    await secretary.press("保存")
    assert [r.activity_type for r in await all_records(db)] == ["支委会"]


async def test_half_entered_record_survives_a_restart(db: Database) -> None:
    def new_process() -> ConversationDispatcher:
        # a new dispatcher on a new engine: nothing carried over in memory
        return ConversationDispatcher(
            Database(db.url),
            tz=ZoneInfo("Asia/Shanghai"),
            taxonomy=load_taxonomy(),
            templates=ReportTemplates(),
        )

    first = new_process()
    secretary = await found(first)
    await secretary.say("今天组织党员开展主题党日活动，参加20人")
    await secretary.press("修改")
    await secretary.press("保留")
    await first.db.dispose()

    second = new_process()
    secretary.dispatcher = second
    replies = await secretary.say("11月16日")  # the date prompt, answered after the restart
    assert "次数" in Harness.text(replies)
    await secretary.press("完成修改")
    await secretary.press("保存")
    [record] = await all_records(db)
    assert record.occurred_on == date(2026, 11, 16) and record.participants == 20
    await second.db.dispose()


async def test_forged_and_stale_buttons_are_refused(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    await secretary.say("今天召开支委会")
    save_data = secretary.last[0].flat_choices()[0].data
    token, _, _ = save_data.partition(":")
    replies = await secretary.press_data("deadbeef:save")
    assert "已失效" in Harness.text(replies)
    replies = await secretary.press_data(f"{token}:drop_table")
    assert "已失效" in Harness.text(replies)
    assert await count_records(db) == 0
    await secretary.press_data(save_data)
    assert await count_records(db) == 1
    replies = await secretary.press_data(save_data)  # pressed again on the old card
    assert "已失效" in Harness.text(replies)
    assert await count_records(db) == 1
    # another user cannot press someone else's button
    intruder = Harness(dispatcher, "999", "陌生人", now=NOW)
    await secretary.say("今天开展主题党日")
    other_data = secretary.last[0].flat_choices()[0].data
    assert "已失效" in Harness.text(await intruder.press_data(other_data))
    assert await count_records(db) == 1


async def test_strangers_cannot_record_or_report(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    stranger = Harness(dispatcher, "999", "陌生人", now=NOW)
    assert "/start" in Harness.text(await stranger.say("今天开展主题党日"))
    await found(dispatcher)
    replies = await stranger.say("今天上午开展主题党日活动，到场23人")
    assert "还不是任何党支部的成员" in Harness.text(replies)
    assert not labels(replies)
    assert "书记或管理员" in Harness.text(await stranger.say("/report"))
    assert "邀请码" in Harness.text(await stranger.say("/start"))
    assert "无效" in Harness.text(await stranger.say("/start NOSUCHCODE"))
    assert await count_records(db) == 0


async def test_invites_join_members_who_cannot_report(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    replies = await secretary.say("/invite")
    text = Harness.text(replies)
    code = text.split("邀请码：", 1)[1].split()[0]
    assert f"https://t.me/djtest_bot?start={code}" in text
    member = Harness(dispatcher, "300", "王五", now=NOW)
    assert "欢迎加入“第一党支部”" in Harness.text(await member.say(f"/start {code.lower()}"))
    assert "已是" in Harness.text(await member.say(f"/start {code}"))
    assert "书记或管理员" in Harness.text(await member.say("/report"))
    assert "书记或管理员" in Harness.text(await member.say("/invite"))
    # an expired invite is refused
    async with db.session() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        invite.expires_at = NOW - timedelta(seconds=1)
    late = Harness(dispatcher, "301", "赵六", now=NOW)
    assert "已过期" in Harness.text(await late.say(f"/start {code}"))


async def test_list_and_delete(dispatcher: ConversationDispatcher, db: Database) -> None:
    secretary = await found(dispatcher)
    for text in ("11月2日召开支委会，出席7人", "11月10日开展主题党日，参加21人"):
        await secretary.say(text)
        await secretary.press("保存")
    listing = Harness.text(await secretary.say("/list"))
    assert "共2条" in listing and "2. 11月10日 主题党日" in listing
    assert "/delete 2" in Harness.text(await secretary.say("/delete"))
    assert "没有第5条" in Harness.text(await secretary.say("/delete 5"))
    replies = await secretary.say("/delete 1")
    assert "支委会" in Harness.text(replies) and labels(replies) == ["确认删除", "取消"]
    assert "已删除" in Harness.text(await secretary.press("确认删除"))
    assert [r.activity_type for r in await all_records(db)] == ["主题党日"]
    assert "共1条" in Harness.text(await secretary.say("/list"))


async def test_report_totals_and_structure(dispatcher: ConversationDispatcher) -> None:
    secretary = await found(dispatcher)
    for text in (
        "10月9日组织党员开展主题党日活动，参加21人",
        "11月10日开展主题党日，到场23人",
        "10月12日召开支委会，出席7人",
        "11月25日召开支委会",  # 11-25 is later than today: read as last year, not in Q4 2026
    ):
        await secretary.say(text)
        await secretary.press("保存")
    report = Harness.text(await secretary.say("/report"))
    assert report.startswith("第一党支部2026年第四季度党建工作总结")
    assert "主题党日2次，参与党员累计44人次" in report
    assert "支委会1次" in report
    for heading in (
        "一、主要工作成效",
        "（一）组织建设方面",
        "二、存在的问题",
        "三、下一步工作计划",
    ):
        assert heading in report
    assert "11月未召开支委会" in report or "11月尚未召开支委会" in report
    year = Harness.text(await secretary.say("/report 2026"))
    assert "2026年度党建工作总结" in year and "全年共开展主题党日2次" in year
    assert "无法识别报告期" in Harness.text(await secretary.say("/report 明年吧"))


async def test_non_records_get_helpful_answers(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    for text in ("你好", "谢谢，收到", "好的", "😀😀😀", "？？？", "x" * 20000, "/nosuchcommand"):
        replies = await secretary.say(text)
        assert replies and replies[0].text
        assert not labels(replies)
    assert await count_records(db) == 0


async def test_a_failing_handler_apologises_and_loses_nothing(
    dispatcher: ConversationDispatcher, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    secretary = await found(dispatcher)
    await secretary.say("今天召开支委会，出席7人")
    from handlers import record_entry

    async def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(record_entry, "save", broken)
    replies = await secretary.press("保存")
    assert "出错" in Harness.text(replies)
    monkeypatch.undo()
    replies = await secretary.say("保存")  # the card is still there
    assert "已保存" in Harness.text(replies)
    assert await count_records(db) == 1
