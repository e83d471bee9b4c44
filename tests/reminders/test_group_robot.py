"""Deadline reminders posted into a branch's WeCom group through its group robot (群机器人):
once per group and reminder however often the sweep runs, @-mentioning who has recorded
nothing; nothing for a branch without a robot; ``djbot org robot`` sets and removes it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fakes.wecom_api import FakeWeCom
from sqlalchemy import select
from support import djbot, wecom_settings
from test_delivery import CALENDAR, CONFIG, JOINED, SEP23, TAXONOMY, at

from bot.app import open_senders
from bot.reminders.sweep import sweep
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import GroupReminderSend, Organization, ReminderStatus, Role
from storage.queries.members import add_member
from storage.queries.organizations import create_organization
from storage.queries.records import add_record


async def branch_on_wecom(db: Database, webhook_url: str | None) -> int:
    """A branch of three WeCom members: 张书记 (secretary) and 李四 recorded in the third
    quarter, 王五 recorded nothing."""
    async with db.session() as session:
        org = await create_organization(session, "第二党支部", JOINED)
        org.wecom_webhook_url = webhook_url
        for userid, name, roles in (
            ("zhangshuji", "张书记", [Role.SECRETARY]),
            ("lisi", "李四", [Role.MEMBER]),
            ("wangwu", "王五", [Role.MEMBER]),
        ):
            member = await add_member(
                session,
                name=name,
                channel="wecom",
                external_id=userid,
                chat_id=userid,
                organization_id=org.id,
                roles=roles,
                now=JOINED,
            )
            if userid != "wangwu":
                await add_record(
                    session,
                    organization_id=org.id,
                    reporter_id=member.id,
                    activity_type="主题党日",
                    category="组织建设",
                    occurred_on=date(2026, 8, 3),
                    count=1,
                    unit="次",
                    participants=3,
                    title="",
                    raw_text="",
                    source_channel="wecom",
                    created_at=JOINED,
                    updated_at=JOINED,
                )
        return org.id


async def test_the_group_gets_one_reminder_mentioning_who_has_not_recorded(
    db: Database, dispatcher: ConversationDispatcher
) -> None:
    async with FakeWeCom() as wecom:
        await branch_on_wecom(db, wecom.webhook_url("branch-2"))
        opened = await open_senders(wecom_settings(wecom), dispatcher)
        try:
            assert opened.group is not None
            for hour in (9, 10, 15):  # the daily sweep and two hourly ones
                summary = await sweep(
                    db,
                    opened.senders,
                    at(SEP23, hour),
                    CONFIG,
                    taxonomy=TAXONOMY,
                    calendar=CALENDAR,
                    group_sender=opened.group,
                )
                assert summary.failed == 0, summary.text()
        finally:
            await opened.close()
        [post] = wecom.robot["branch-2"]
        assert post["msgtype"] == "text"
        text = post["text"]["content"]
        assert "第二党支部" in text and "9月30日" in text and "还有7天" in text
        assert "3名党员中还有1人尚未登记" in text
        assert post["text"]["mentioned_list"] == ["wangwu"]
        assert {user for user in ("zhangshuji", "lisi", "wangwu") if wecom.texts(user)} == {
            "zhangshuji",
            "lisi",
            "wangwu",
        }  # and every member got their own reminder as before
    async with db.session() as session:
        rows = list(await session.scalars(select(GroupReminderSend)))
    assert [(r.status, r.offset_days) for r in rows] == [(ReminderStatus.SENT, 7)]


async def test_no_robot_no_group_post_and_a_refusing_robot_is_recorded(
    db: Database, dispatcher: ConversationDispatcher
) -> None:
    async with FakeWeCom() as wecom:
        org_id = await branch_on_wecom(db, None)
        opened = await open_senders(wecom_settings(wecom), dispatcher)
        try:
            await sweep(
                db,
                opened.senders,
                at(SEP23, 9),
                CONFIG,
                taxonomy=TAXONOMY,
                calendar=CALENDAR,
                group_sender=opened.group,
            )
            assert dict(wecom.robot) == {}
            # a robot that answers with an error (an invalid webhook key) fails for good
            async with db.session() as session:
                org = await session.get(Organization, org_id)
                assert org is not None
                org.wecom_webhook_url = wecom.webhook_url("broken")
            wecom.fail_next("/cgi-bin/webhook/send", errcode=93000)
            summary = await sweep(
                db,
                opened.senders,
                at(date(2026, 9, 24), 9),  # 3 days before, moved off the Mid-Autumn holiday
                CONFIG,
                taxonomy=TAXONOMY,
                calendar=CALENDAR,
                group_sender=opened.group,
            )
        finally:
            await opened.close()
    assert summary.failed == 1 and "群机器人" in summary.text()
    async with db.session() as session:
        [row] = list(await session.scalars(select(GroupReminderSend)))
    assert row.status is ReminderStatus.FAILED and row.offset_days == 3


def test_djbot_org_robot_sets_and_removes_the_robot(tmp_path: Path) -> None:
    assert djbot(tmp_path, "org", "create", "第一党支部").returncode == 0
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
    done = djbot(tmp_path, "org", "robot", "--org", "1", url)
    assert done.returncode == 0, done.stderr
    assert "已设置“第一党支部”的群机器人" in done.stdout
    wrong = djbot(tmp_path, "org", "robot", "--org", "1", "https://example.org/x")
    assert wrong.returncode == 2 and "群机器人地址无效" in wrong.stderr
    off = djbot(tmp_path, "org", "robot", "--org", "1", "--off")
    assert off.returncode == 0 and "已取消" in off.stdout
    audit = djbot(tmp_path, "audit", "--org", "1")
    assert audit.stdout.count("organization.robot") == 2
