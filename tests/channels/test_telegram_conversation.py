"""The whole conversation over Telegram: real handlers, real python-telegram-bot, real HTTP
against the fake Bot API server. Scripted users: a founder, an invitee and a stranger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.telegram_api import FakeTelegram

from bot.channels.telegram import TelegramChannel
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database

TOKEN = "424242:CONVERSATION-test"
FOUNDER, INVITEE, STRANGER = 501, 502, 503

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
async def telegram(dispatcher: ConversationDispatcher) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="djtest_bot") as tg:
        settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, _env_file=None)
        channel = TelegramChannel(settings, dispatcher, poll_timeout=1.0)
        await channel.start()
        try:
            yield tg
        finally:
            await channel.stop()


async def say(tg: FakeTelegram, user: int, text: str, name: str = "") -> str:
    """Send a message and wait for the bot's next message in that chat; returns its text."""
    before = len(tg.messages(user))
    tg.push_text(user, text, first_name=name or None)
    await tg.wait_until(lambda: len(tg.messages(user)) > before, timeout=10, what=text)
    return tg.messages(user)[-1].body


async def test_founder_invitee_and_stranger_over_telegram(
    telegram: FakeTelegram, db: Database
) -> None:
    tg = telegram
    assert ("report", "生成党建工作总结草稿") in tg.commands

    assert "党支部的全称" in await say(tg, FOUNDER, "/start", "张书记")
    assert "管理员和书记" in await say(tg, FOUNDER, "第一党支部")
    invite = await say(tg, FOUNDER, "/invite")
    code = invite.split("邀请码：", 1)[1].split()[0]
    assert f"https://t.me/djtest_bot?start={code}" in invite

    # the invitee follows the deep link: Telegram sends "/start CODE"
    assert "欢迎加入“第一党支部”" in await say(tg, INVITEE, f"/start {code}", "王五")
    card_text = await say(tg, INVITEE, "今天上午组织全体党员开展主题党日活动，到场23人")
    assert "主题党日" in card_text and "参加人数：23人" in card_text
    card = tg.messages(INVITEE)[-1]
    assert card.buttons == ["保存", "修改", "取消"]

    # pressing 保存: the press is answered and the card is edited in place
    answered = len(tg.calls_of("answerCallbackQuery"))
    tg.push_callback(INVITEE, card.message_id, card.data_for("保存"))
    await tg.wait_until(lambda: "已保存" in tg.find_message(INVITEE, card.message_id).body)
    assert len(tg.calls_of("answerCallbackQuery")) == answered + 1
    assert tg.find_message(INVITEE, card.message_id).buttons == []

    # a forged press is refused and stores nothing
    tg.push_callback(INVITEE, card.message_id, "00000000:save", strict=False)
    await tg.wait_until(lambda: "已失效" in tg.messages(INVITEE)[-1].body)

    # the stranger can neither record nor report
    assert "还不是任何党支部的成员" in await say(tg, STRANGER, "今天开展主题党日，参加5人")
    assert "书记或管理员" in await say(tg, STRANGER, "/report")
    # the invitee is a plain member: no report
    assert "书记或管理员" in await say(tg, INVITEE, "/report")

    # the founder records a second one and gets the draft
    await say(tg, FOUNDER, "今天下午组织党员开展主题党日活动，参加21人")
    card = tg.messages(FOUNDER)[-1]
    tg.push_callback(FOUNDER, card.message_id, card.data_for("保存"))
    await tg.wait_until(lambda: "已保存" in tg.find_message(FOUNDER, card.message_id).body)
    report = await say(tg, FOUNDER, "/report")
    assert "第一党支部2026年第四季度党建工作总结" in report or "党建工作总结" in report
    assert "主题党日2次，参与党员累计44人次" in report
