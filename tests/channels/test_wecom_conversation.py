"""The whole conversation over WeCom: real handlers, real WeCom adapter and HTTP server,
encrypted and signed callbacks, the real API client against the fake WeCom API. Scripted users:
a founder, an invitee and a stranger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.wecom_api import SentMessage, WeComStack, running_wecom
from sqlalchemy import select

from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import ActivityRecord, ChatIdentity

FOUNDER, INVITEE, STRANGER = "ZhangShuJi", "WangWu", "LiSi"


@pytest.fixture
async def wecom(dispatcher: ConversationDispatcher, db: Database) -> AsyncIterator[WeComStack]:
    async with running_wecom(dispatcher, db) as stack:
        yield stack


def joined(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


async def test_founder_invitee_and_stranger_over_wecom(wecom: WeComStack, db: Database) -> None:
    assert "党支部的全称" in joined(await wecom.say(FOUNDER, "/start"))
    assert "管理员和书记" in joined(await wecom.say(FOUNDER, "第一党支部"))
    invite = joined(await wecom.say(FOUNDER, "/invite"))
    code = invite.split("邀请码：", 1)[1].split()[0]
    assert f"/start {code}" in invite and "t.me" not in invite

    # the invitee joins with the code; the WeCom userid is bound to the new member
    assert "欢迎加入“第一党支部”" in joined(await wecom.say(INVITEE, f"/start {code}"))
    async with db.session() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == INVITEE)
        )
        assert identity is not None and identity.channel == "wecom"

    # a record becomes a button_interaction template card
    [card] = await wecom.say(INVITEE, "今天上午组织全体党员开展主题党日活动，到场23人")
    assert card.msgtype == "template_card"
    assert card.body["card_type"] == "button_interaction"
    assert "主题党日" in card.text and "参加人数：23人" in card.text
    assert card.buttons == ["保存", "修改", "取消"]

    # clicking 保存 comes back as a template_card_event; the card is updated in place
    assert await wecom.press(INVITEE, card, "保存") == []
    assert len(card.history) == 1 and card.buttons == []
    assert "已保存1条记录" in card.text
    async with db.session() as session:
        [record] = (await session.scalars(select(ActivityRecord))).all()
        assert record.source_channel == "wecom" and record.participants == 23

    # a press of the old card's button (stale, or forged by a client) stores nothing
    old_key = card.history[0]["button_list"][0]["key"]
    _, code = wecom.api.click(card, card.body["button_list"][0]["text"])
    await wecom.player.press(INVITEE, old_key, code, card.history[0]["task_id"])
    await wecom.channel.drain()
    assert "已失效" in wecom.api.texts(INVITEE)[-1]
    await wecom.player.press(INVITEE, "00000000:save", "bogus-code", "dj_forged")
    await wecom.channel.drain()
    assert "已失效" in wecom.api.texts(INVITEE)[-1]

    # the stranger can neither record nor report; the invitee is a plain member: no report
    assert "还不是任何党支部的成员" in joined(
        await wecom.say(STRANGER, "今天开展主题党日，参加5人")
    )
    assert "书记或管理员" in joined(await wecom.say(STRANGER, "/report"))
    assert "书记或管理员" in joined(await wecom.say(INVITEE, "/report"))

    # the founder records a second one and confirms it by typing the button's label
    [card2] = await wecom.say(FOUNDER, "今天下午组织党员开展主题党日活动，参加21人")
    assert card2.buttons == ["保存", "修改", "取消"]
    saved = joined(await wecom.say(FOUNDER, "保存"))
    assert "已保存1条记录" in saved

    # /report: the draft arrives as text (split for WeCom's 2048 bytes) and, when the report
    # handler attaches one, a .docx file
    report = await wecom.say(FOUNDER, "/report")
    text = joined(report)
    assert "党建工作总结" in text
    assert "主题党日2次，参与党员累计44人次" in text
    assert all(len(m.text.encode()) <= 2048 for m in report if m.msgtype == "text")
    for message in report:
        if message.msgtype == "file":
            upload = wecom.api.uploads[message.body["media_id"]]
            assert upload.filename.endswith(".docx") and upload.content.startswith(b"PK")

    async with db.session() as session:
        assert len((await session.scalars(select(ActivityRecord))).all()) == 2


async def test_edit_flow_over_cards(wecom: WeComStack, db: Database) -> None:
    await wecom.say(FOUNDER, "/start")
    await wecom.say(FOUNDER, "第一党支部")
    [card] = await wecom.say(FOUNDER, "昨天召开支委会，参加7人")
    assert await wecom.press(FOUNDER, card, "修改") == []
    assert "活动类型" in card.text and card.buttons == ["保留", "完成修改", "取消"]
    assert await wecom.press(FOUNDER, card, "完成修改") == []
    assert card.buttons == ["保存", "修改", "取消"]
    assert await wecom.press(FOUNDER, card, "取消") == []
    assert card.buttons == [] and "已取消" in card.text
    async with db.session() as session:
        assert (await session.scalars(select(ActivityRecord))).all() == []
