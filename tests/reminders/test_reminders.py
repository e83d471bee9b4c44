"""Reminder commands in the conversation (``/remind``, ``/deadlines``, the "现在登记" button),
the reminder texts, and the command line's ``members import`` and ``reminders run-due``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from support import djbot

from bot.channels.harness import Harness
from bot.domain.deadlines import DeadlineKind, PlanDefaults
from bot.domain.gaps import Gap
from bot.domain.periods import half, month, quarter
from bot.reminders.plan import DueReminder
from bot.reminders.texts import (
    member_reminder,
    monthly_nudge,
    parse_button,
    record_now_choice,
    secretary_reminder,
)
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import (
    ChatIdentity,
    Member,
    Membership,
    ReminderKind,
    ReminderSend,
    ReminderStatus,
)
from storage.queries.members import import_member
from storage.queries.organizations import create_organization
from storage.queries.reminders import SendKey, insert_rows, leading_member_ids, recipients

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 2026-11-20, 10:00 in Shanghai


async def found(dispatcher: ConversationDispatcher) -> Harness:
    secretary = Harness(dispatcher, "100", "张书记", now=NOW)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    return secretary


async def invite(secretary: Harness, user_id: str, name: str) -> Harness:
    code = Harness.text(await secretary.say("/invite")).split("邀请码：", 1)[1].split()[0]
    member = Harness(secretary.dispatcher, user_id, name, now=NOW)
    await member.say(f"/start {code}")
    return member


# --- /remind ---------------------------------------------------------------------------------


async def test_a_member_switches_reminders_off_and_on(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    member = await invite(secretary, "200", "王五")
    assert "已开启" in Harness.text(await member.say("/remind"))
    assert "已关闭报送提醒" in Harness.text(await member.say("/remind off"))
    assert "已关闭" in Harness.text(await member.say("/remind"))
    async with db.session() as session:
        enabled = await session.scalar(
            select(Member.reminders_enabled).where(Member.name == "王五")
        )
        assert enabled is False
        org_id = await session.scalar(select(Membership.organization_id))
        assert org_id is not None
        assert len(await recipients(session, org_id)) == 1  # only the secretary now
    assert "已开启报送提醒" in Harness.text(await member.say("/remind 开启"))
    assert "用法" in Harness.text(await member.say("/remind maybe"))
    stranger = Harness(dispatcher, "999", "路人", now=NOW)
    assert "还不是任何党支部的成员" in Harness.text(await stranger.say("/remind off"))
    assert "/remind off" in Harness.text(await member.say("/help"))


# --- /deadlines ------------------------------------------------------------------------------


async def test_a_secretary_reads_and_moves_deadlines(dispatcher: ConversationDispatcher) -> None:
    secretary = await found(dispatcher)
    shown = Harness.text(await secretary.say("/deadlines"))
    assert "· 季度总结：每季度最后一天" in shown
    assert "· 半年总结：6月30日" in shown and "· 年度总结：12月31日" in shown
    assert "截止前7天、3天、1天" in shown
    # on 20 November 2026 the next reminders are those of 31 December
    assert "12月24日（周四）：2026年第四季度和2026年度，12月31日截止（提前7天）" in shown

    moved = Harness.text(await secretary.say("/deadlines 季度 +5"))
    assert "已更新" in moved and "· 季度总结：每季度结束后5天" in moved
    assert "2026年第四季度，1月5日截止" in moved  # Q4 is now its own deadline
    if not dispatcher.calendar.knows(2027):
        assert "注意：" in moved and "2027年" in moved  # reminders in January 2027 are estimated
    year = Harness.text(await secretary.say("/deadlines 年度 12-20"))
    assert "· 年度总结：12月31日前11天" in year
    assert "· 半年总结：不设截止日期" in Harness.text(await secretary.say("/deadlines 半年 off"))
    offsets = Harness.text(await secretary.say("/deadlines 提前 5,2"))
    assert "截止前5天、2天" in offsets
    assert "季度总结：每季度最后一天" in Harness.text(await secretary.say("/deadlines 默认"))
    assert "截止前7天、3天、1天" in Harness.text(await secretary.say("/deadlines"))

    bad = Harness.text(await secretary.say("/deadlines 季度 +99"))
    assert "前后31天之内" in bad and "用法" in bad
    assert "无法识别“月度”" in Harness.text(await secretary.say("/deadlines 月度 1"))
    assert "/deadlines" in Harness.text(await secretary.say("/help"))

    member = await invite(secretary, "200", "王五")
    assert "只有支部书记或管理员" in Harness.text(await member.say("/deadlines 季度 +5"))


async def test_deadlines_follow_the_configured_defaults(db: Database) -> None:
    from zoneinfo import ZoneInfo

    from bot.domain.taxonomy import load_taxonomy
    from bot.reports.rendering import ReportTemplates
    from bot.settings import Settings

    settings = Settings(deadlines="quarter=+10,year=0", reminder_offsets="3", _env_file=None)  # type: ignore[call-arg]
    dispatcher = ConversationDispatcher(
        db,
        tz=ZoneInfo("Asia/Shanghai"),
        taxonomy=load_taxonomy(),
        templates=ReportTemplates(),
        reminder_defaults=PlanDefaults.from_settings(settings),
    )
    assert dispatcher.reminder_defaults.rules.shifts == {
        DeadlineKind.QUARTER: 10,
        DeadlineKind.YEAR: 0,
    }
    shown = Harness.text(await (await found(dispatcher)).say("/deadlines"))
    assert "季度总结：每季度结束后10天" in shown and "半年总结：不设截止日期" in shown
    assert "截止前3天（" in shown


# --- the "现在登记" button -------------------------------------------------------------------


async def test_the_record_now_button_is_checked_against_the_send_log(
    dispatcher: ConversationDispatcher, db: Database
) -> None:
    secretary = await found(dispatcher)
    member = await invite(secretary, "200", "王五")
    async with db.session() as session:
        member_id = await session.scalar(select(Member.id).where(Member.name == "王五"))
        org_id = await session.scalar(select(Membership.organization_id))
        assert member_id is not None and org_id is not None
        key = SendKey(
            ReminderKind.DEADLINE, date(2026, 12, 31), 7, date(2026, 12, 24), "2026Q4,2026"
        )
        await insert_rows(
            session, org_id, key, [member_id], ReminderStatus.SENT, NOW, button_tokens=["a1b2c3d4"]
        )
        send_id = await session.scalar(select(func.max(ReminderSend.id)))
    data = record_now_choice(int(send_id or 0), "a1b2c3d4").data
    assert parse_button(data) == (send_id, "a1b2c3d4") and len(data.encode()) <= 64
    assert "请直接发送您开展的活动" in Harness.text(await member.press_data(data))
    # typed, as a console user would
    assert "请直接发送您开展的活动" in Harness.text(await member.say("现在登记"))
    # forged token, unknown row, someone else's reminder
    assert "已失效" in Harness.text(await member.press_data(data[:-1] + "0"))
    assert "已失效" in Harness.text(await member.press_data("remind:999999:a1b2c3d4"))
    assert "已失效" in Harness.text(await member.press_data("remind:x"))
    assert "已失效" in Harness.text(await secretary.press_data(data))
    # the press does not disturb a card waiting for an answer
    await member.say("今天上午组织全体党员开展主题党日活动，到场23人")
    assert "请直接发送" in Harness.text(await member.press_data(data))
    assert "已保存" in Harness.text(await member.say("保存"))


# --- texts -----------------------------------------------------------------------------------


class Record:
    def __init__(self, day: date, kind: str, people: int | None, status: str = "done") -> None:
        self.occurred_on, self.activity_type, self.participants = day, kind, people
        self.count, self.unit, self.status = 1, "次", status


BUTTON = record_now_choice(1, "abcdef12")


def test_a_member_reminder_lists_the_records_and_how_to_stop() -> None:
    due = DueReminder(
        "deadline", date(2026, 9, 30), 3, date(2026, 9, 24), (quarter(2026, 3),), False
    )
    records = [
        Record(date(2026, 7, 5), "主题党日", 23),
        Record(date(2026, 10, 9), "党课", None, "planned"),
    ]
    reply = member_reminder(due, date(2026, 9, 24), records, BUTTON)
    assert reply.text.splitlines() == [
        "【报送提醒】2026年第三季度党建工作总结将于9月30日（周三）截止，还有6天。",
        "2026年第三季度，您已登记2条活动记录：",
        "1. 7月5日 主题党日 1次 23人",
        "2. 10月9日 党课 1次（计划）",
        "还有未登记的活动？点“现在登记”或直接发消息告诉我。",
        "不想再收到提醒，请发送 /remind off；恢复请发送 /remind on。",
    ]
    assert reply.choices == [[BUTTON]]
    many = member_reminder(due, date(2026, 9, 24), [records[0]] * 12, BUTTON)
    assert "10. 7月5日" in many.text and "11." not in many.text and "……等共12条" in many.text


def test_a_secretary_reminder_names_the_silent_and_the_gaps() -> None:
    due = DueReminder(
        "deadline",
        date(2026, 6, 30),
        1,
        date(2026, 6, 29),
        (quarter(2026, 2), half(2026, 1)),
        False,
    )
    gap = Gap("支部党员大会", "第二季度", 1, 0, True, "一般每季度召开1次", "《条例》第十一条")
    reply = secretary_reminder(
        due,
        date(2026, 6, 29),
        "第一党支部",
        BUTTON,
        records=5,
        members=30,
        silent=[f"党员{i}" for i in range(25)],
        gaps=["· 截至目前，第二季度尚未召开支部党员大会（一般每季度召开1次，《条例》第十一条）"],
    )
    text = reply.text
    assert text.startswith("【报送提醒】第一党支部2026年第二季度和上半年党建工作总结将于6月30日")
    assert "还有1天" in text and "30名党员中有25人尚未登记：党员0、" in text and "等25人" in text
    assert "2026年上半年还有以下缺项" in text and "支部党员大会" in text
    nudge = monthly_nudge(
        DueReminder(
            "monthly", date(2026, 11, 30), 5, date(2026, 11, 25), (month(2026, 11),), False
        ),
        date(2026, 11, 25),
        "第一党支部",
        [gap.__class__("支委会", "11月", 1, 0, True, "一般每月召开1次", "《条例》第十二条")],
        BUTTON,
    )
    assert nudge.text.startswith("【每月提示】第一党支部2026年11月尚未登记：支委会。")
    assert "抓紧安排召开支委会（本月还剩5天）" in nudge.text


# --- command line ----------------------------------------------------------------------------


def test_members_import_a_roster(tmp_path: Path) -> None:
    assert djbot(tmp_path, "org", "create", "第一党支部").stdout.strip() == "1"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,telegram_id,wecom_userid,role\n"
        "张书记,1001,zhangsan,secretary\n"
        "王五,1002,,\n"
        "李四,,lisi,党员\n",
        encoding="utf-8",
    )
    result = djbot(tmp_path, "members", "import", "--org", "1", str(roster))
    assert result.returncode == 0, result.stderr
    assert "新增3人" in result.stdout
    again = djbot(tmp_path, "members", "import", "--org", "1", str(roster))
    assert "新增0人" in again.stdout and "无变化3人" in again.stdout
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(
        json.dumps({"name": "王五", "wecom_userid": "wangwu", "telegram_id": 1002})
        + "\n"
        + json.dumps({"name": "赵六", "telegram_id": "1004", "role": "officer"})
        + "\n",
        encoding="utf-8",
    )
    more = djbot(tmp_path, "members", "import", "--org", "1", str(jsonl))
    assert "新增1人，更新1人" in more.stdout, more.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,telegram_id,wecom_userid,role\n,abc,,chief\n钱七,,,\n孙八,1005,,\n孙九,1005,,\n",
        encoding="utf-8",
    )
    refused = djbot(tmp_path, "members", "import", "--org", "1", str(bad))
    assert refused.returncode == 1
    assert "未导入任何党员" in refused.stderr
    assert "第2行：姓名不能为空" in refused.stderr and "telegram_id“abc”应为数字" in refused.stderr
    assert "角色“chief”无效" in refused.stderr
    assert "第3行：至少需要 telegram_id 或 wecom_userid 之一" in refused.stderr
    assert "第5行：telegram 账号 1005 与第4行重复" in refused.stderr
    assert djbot(tmp_path, "members", "import", "--org", "7", str(roster)).returncode == 1


async def test_the_roster_lands_in_the_database(db: Database) -> None:
    from bot.cli.members import parse_roster

    entries, problems = parse_roster(
        "姓名,telegram,企业微信,角色\n张三,42,zhangsan,书记\n", "a.csv"
    )
    assert problems == []
    async with db.session() as session:
        org = await create_organization(session, "第一党支部", NOW)
        assert await import_member(session, org.id, entries[0], NOW) == "created"
        assert await import_member(session, org.id, entries[0], NOW) == "unchanged"
        rows = (await session.execute(select(ChatIdentity.channel, ChatIdentity.chat_id))).all()
        assert sorted(rows) == [("telegram", "42"), ("wecom", "zhangsan")]
        assert await leading_member_ids(session, org.id)


def test_run_due_needs_a_channel_and_a_valid_instant(tmp_path: Path) -> None:
    no_channel = djbot(tmp_path, "reminders", "run-due", "--now", "2026-09-23T09:00+08:00")
    assert no_channel.returncode == 2 and "未配置可发送提醒的聊天渠道" in no_channel.stderr
    bad = djbot(tmp_path, "reminders", "run-due", "--now", "明天早上")
    assert bad.returncode == 2 and "应为 ISO-8601" in bad.stderr
