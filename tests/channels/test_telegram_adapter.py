"""The Telegram adapter end to end: real python-telegram-bot, real HTTP, a fake Bot API server.

A small fake dispatcher stands in for the handlers; each test asserts what a Telegram user would
see in the chat (``tg.sent``) and what reached the dispatcher.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from fakes.telegram_api import FakeTelegram
from telegram.error import InvalidToken

from bot.channels.splitting import utf16_size
from bot.channels.telegram import (
    APOLOGY_MESSAGE,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    ONLY_TEXT_MESSAGE,
    SendError,
    TelegramChannel,
    file_base_url,
)
from bot.messages import Address, Choice, Document, Inbound, Reply
from bot.settings import Settings
from handlers import commands

TOKEN = "123456789:TEST-fake-token"
USER = 1001
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# PTB 22 itself warns when it builds a RetryAfter (int vs timedelta); not our code's doing.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

CARD_TEXT = "请确认活动类型："
CARD_CHOICES = [
    [Choice("主题党日", "type:ztdr"), Choice("三会一课", "type:shyk")],
    [Choice("保持不变", "same"), Choice("取消", "cancel")],
]

# About 9000 characters in 30 paragraphs; every paragraph ends with "。".
PARAGRAPHS = [
    f"（{number}）第{number}项工作："
    + "支部认真组织开展主题党日活动，党员参与积极，效果良好。" * 11
    for number in range(1, 31)
]
LONG_TEXT = "\n\n".join(PARAGRAPHS)
LONG_CAPTION = "本季度党建工作总结草稿如下，请审阅。" * 80  # over 1024 characters


class FakeDispatcher:
    """Answers by keyword, the way the real handlers would answer, and records every inbound."""

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.inbounds.append(inbound)
        if inbound.choice == "same":
            return [Reply(CARD_TEXT, choices=CARD_CHOICES, replace=True)]
        if inbound.choice is not None:
            return [
                Reply(
                    f"已选择：{inbound.choice}",
                    choices=[[Choice("撤销", "undo")]],
                    replace=True,
                )
            ]
        text = inbound.text
        if text == "按钮":
            return [Reply(CARD_TEXT, choices=CARD_CHOICES)]
        if text == "长文":
            return [Reply(LONG_TEXT, choices=[[Choice("确认", "ok")]])]
        if text == "文件":
            document = Document("2026年第三季度党建工作总结.docx", b"PK\x03\x04docx", DOCX)
            return [Reply("总结草稿已生成，请下载修改。", document=document)]
        if text == "长说明文件":
            return [Reply(LONG_CAPTION, document=Document("台账.xlsx", b"PK\x03\x04xlsx"))]
        if text == "出错":
            raise RuntimeError("dispatcher exploded")
        if text == "慢":
            await asyncio.sleep(0.5)
            return [Reply("总结写好了。")]
        if text == "坏按钮":
            return [Reply("按钮数据太长", choices=[[Choice("坏", "x" * 65)]])]
        return [Reply(f"收到：{text}")]

    def texts(self) -> list[str]:
        return [inbound.text for inbound in self.inbounds]

    def menu(self) -> list[tuple[str, str]]:
        return commands.menu()  # the real command table


@asynccontextmanager
async def running(tg: FakeTelegram, dispatcher: FakeDispatcher) -> AsyncIterator[TelegramChannel]:
    settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, _env_file=None)
    channel = TelegramChannel(settings, dispatcher, poll_timeout=5, typing_after=0.2)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="djtest_bot") as fake:
        yield fake


@pytest.fixture
def dispatcher() -> FakeDispatcher:
    return FakeDispatcher()


@pytest.fixture
async def channel(tg: FakeTelegram, dispatcher: FakeDispatcher) -> AsyncIterator[TelegramChannel]:
    async with running(tg, dispatcher) as started:
        yield started


async def say(tg: FakeTelegram, text: str, *, chat_id: int | None = None) -> list[str]:
    """Push a text from USER and return what the bot answered (one message awaited).

    Updates are processed one at a time, so everything pushed earlier has been answered too.
    """
    chat = USER if chat_id is None else chat_id
    before = len(tg.messages(chat))
    tg.push_text(USER, text, chat_id=chat_id)
    messages = await tg.wait_for_messages(chat, before + 1)
    return [message.body for message in messages[before:]]


# --- start-up ---------------------------------------------------------------------------------


async def test_start_sets_chinese_menu_and_username(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    assert channel.bot_username == "djtest_bot"
    assert tg.commands == commands.menu()
    assert ("start", "开始使用/加入支部") in tg.commands
    [polling, *_] = await tg.wait_for("getUpdates")
    assert polling["allowed_updates"] == ["message", "callback_query"]
    assert [name for name, _ in tg.calls[:2]] == ["getMe", "setMyCommands"]
    menu = await channel.application.bot.get_my_commands()  # round trip through the fake
    assert [(c.command, c.description) for c in menu] == commands.menu()


async def test_updates_queued_before_start_are_processed(
    tg: FakeTelegram, dispatcher: FakeDispatcher
) -> None:
    tg.push_text(USER, "早上好")
    async with running(tg, dispatcher):
        [reply] = await tg.wait_for_messages(USER, 1)
    assert reply.text == "收到：早上好"
    assert tg.pending_updates == 0  # confirmed by the final getUpdates on stop


async def test_wrong_token_fails_start_cleanly(tg: FakeTelegram) -> None:
    settings = Settings(telegram_token="42:wrong", telegram_base_url=tg.base_url, _env_file=None)
    channel = TelegramChannel(settings, FakeDispatcher())
    with pytest.raises(InvalidToken):
        await channel.start()
    await channel.stop()  # harmless after a failed start


def test_missing_token_is_refused() -> None:
    with pytest.raises(ValueError, match="令牌"):
        TelegramChannel(Settings(telegram_token="", _env_file=None), FakeDispatcher())


def test_file_base_url_mirrors_the_method_base() -> None:
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


# --- text in, text out ------------------------------------------------------------------------


async def test_text_reaches_dispatcher_as_inbound(
    tg: FakeTelegram, dispatcher: FakeDispatcher, channel: TelegramChannel
) -> None:
    pushed = tg.push_text(USER, "今天开了支部党员大会", first_name="张", last_name="三")
    [reply] = await tg.wait_for_messages(USER, 1)
    assert reply.text == "收到：今天开了支部党员大会"
    [inbound] = dispatcher.inbounds
    assert inbound.address == Address("telegram", str(USER), str(USER))
    assert inbound.text == "今天开了支部党员大会"
    assert inbound.choice is None
    assert inbound.display_name == "张 三"
    assert inbound.message_id == str(pushed["message_id"])
    assert inbound.start_link is not None
    assert inbound.start_link("CODE") == "https://t.me/djtest_bot?start=CODE"
    assert inbound.received_at.tzinfo is not None
    assert inbound.received_at.utcoffset() == timedelta(0)
    assert abs(inbound.received_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_deep_link_start_reaches_dispatcher_verbatim(
    tg: FakeTelegram, dispatcher: FakeDispatcher, channel: TelegramChannel
) -> None:
    assert await say(tg, "/start ABC123") == ["收到：/start ABC123"]
    assert dispatcher.texts() == ["/start ABC123"]


async def test_group_commands_addressed_to_this_bot_lose_the_mention(
    tg: FakeTelegram, dispatcher: FakeDispatcher, channel: TelegramChannel
) -> None:
    group = -1001234567890
    tg.push_text(USER, "/help@other_bot", chat_id=group)
    assert await say(tg, "/list@DJtest_bot 第三季度", chat_id=group) == ["收到：/list 第三季度"]
    assert dispatcher.texts() == ["/list 第三季度"]
    assert dispatcher.inbounds[0].address == Address("telegram", str(group), str(USER))


async def test_reply_with_choices_shows_inline_keyboard(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    tg.push_text(USER, "按钮")
    [card] = await tg.wait_for_messages(USER, 1)
    assert card.text == CARD_TEXT
    assert card.keyboard == [
        [("主题党日", "type:ztdr"), ("三会一课", "type:shyk")],
        [("保持不变", "same"), ("取消", "cancel")],
    ]


async def test_replies_keep_the_order_of_messages(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    for number in range(8):
        tg.push_text(USER, f"第{number}条")
    messages = await tg.wait_for_messages(USER, 8)
    assert [m.text for m in messages] == [f"收到：第{number}条" for number in range(8)]


# --- buttons ----------------------------------------------------------------------------------


async def test_button_press_is_answered_and_card_edited_in_place(
    tg: FakeTelegram, dispatcher: FakeDispatcher, channel: TelegramChannel
) -> None:
    tg.push_text(USER, "按钮")
    [card] = await tg.wait_for_messages(USER, 1)
    query_id = tg.push_callback(USER, card.message_id, card.data_for("主题党日"))
    await tg.wait_until(lambda: card.edited and query_id in tg.answered, what="edit + answer")
    assert card.text == "已选择：type:ztdr"
    assert card.keyboard == [[("撤销", "undo")]]
    assert len(tg.messages(USER)) == 1  # edited, not sent anew
    press = dispatcher.inbounds[-1]
    assert (press.text, press.choice, press.message_id) == ("", "type:ztdr", str(card.message_id))
    assert press.address == Address("telegram", str(USER), str(USER))
    # The callback query is answered before the dispatcher's reply is rendered.
    methods = [name for name, _ in tg.calls if name != "getUpdates"]
    assert methods.index("answerCallbackQuery") < methods.index("editMessageText")


async def test_unchanged_card_is_not_an_error(tg: FakeTelegram, channel: TelegramChannel) -> None:
    tg.push_text(USER, "按钮")
    [card] = await tg.wait_for_messages(USER, 1)
    tg.push_callback(USER, card.message_id, "same")
    await tg.wait_for("editMessageText")  # Telegram answers 400 "message is not modified"
    assert await say(tg, "之后") == ["收到：之后"]
    assert [m.body for m in tg.messages(USER)] == [CARD_TEXT, "收到：之后"]  # no apology


async def test_failed_edit_sends_a_new_message(tg: FakeTelegram, channel: TelegramChannel) -> None:
    tg.push_text(USER, "按钮")
    [card] = await tg.wait_for_messages(USER, 1)
    tg.fail_next("editMessageText", 400, description="Bad Request: message can't be edited")
    tg.push_callback(USER, card.message_id, "cancel")
    [_, fresh] = await tg.wait_for_messages(USER, 2)
    assert fresh.text == "已选择：cancel"
    assert fresh.keyboard == [[("撤销", "undo")]]
    assert card.text == CARD_TEXT and not card.edited


# --- long texts and documents -----------------------------------------------------------------


async def test_long_text_arrives_split_at_paragraphs(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    assert len(LONG_TEXT) >= 9000
    tg.push_text(USER, "长文")
    await tg.wait_until(
        lambda: any(m.body.endswith(PARAGRAPHS[-1]) for m in tg.messages(USER)),
        what="the last paragraph",
    )
    messages = tg.messages(USER)
    assert len(messages) >= 3
    assert all(utf16_size(m.body) <= MESSAGE_LIMIT for m in messages)
    assert "\n\n".join(m.body for m in messages) == LONG_TEXT  # cut only between paragraphs
    assert [m.keyboard for m in messages] == [[]] * (len(messages) - 1) + [[[("确认", "ok")]]]


async def test_document_arrives_with_filename_and_caption(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    tg.push_text(USER, "文件")
    [message] = await tg.wait_for_messages(USER, 1)
    assert message.method == "sendDocument"
    assert message.document is not None
    assert message.document.filename == "2026年第三季度党建工作总结.docx"
    assert message.document.content == b"PK\x03\x04docx"
    assert message.document.content_type == DOCX
    assert message.caption == "总结草稿已生成，请下载修改。"


async def test_document_with_long_text_sends_text_first(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    assert utf16_size(LONG_CAPTION) > CAPTION_LIMIT
    tg.push_text(USER, "长说明文件")
    await tg.wait_until(lambda: any(m.document for m in tg.messages(USER)), what="the document")
    *texts, document = tg.messages(USER)
    assert "".join(m.body for m in texts) == LONG_CAPTION
    assert document.document is not None and document.document.filename == "台账.xlsx"
    assert document.caption is None


# --- things the bot cannot handle -------------------------------------------------------------


async def test_sticker_gets_only_text_answer(
    tg: FakeTelegram, dispatcher: FakeDispatcher, channel: TelegramChannel
) -> None:
    tg.push_sticker(USER)
    [reply] = await tg.wait_for_messages(USER, 1)
    assert reply.text == ONLY_TEXT_MESSAGE
    tg.push_photo(USER, caption="活动照片")
    [_, reply] = await tg.wait_for_messages(USER, 2)
    assert reply.text == ONLY_TEXT_MESSAGE
    assert dispatcher.inbounds == []


async def test_dispatcher_error_apologizes_and_bot_keeps_working(
    tg: FakeTelegram, channel: TelegramChannel, caplog: pytest.LogCaptureFixture
) -> None:
    assert await say(tg, "出错") == [APOLOGY_MESSAGE]
    assert "dispatcher exploded" in caplog.text  # logged with the traceback
    assert await say(tg, "你好") == ["收到：你好"]


async def test_rejected_reply_apologizes(tg: FakeTelegram, channel: TelegramChannel) -> None:
    assert await say(tg, "坏按钮") == [APOLOGY_MESSAGE]  # 400 BUTTON_DATA_INVALID
    assert await say(tg, "你好") == ["收到：你好"]


async def test_slow_dispatcher_shows_typing(tg: FakeTelegram, channel: TelegramChannel) -> None:
    assert await say(tg, "慢") == ["总结写好了。"]
    [action] = tg.calls_of("sendChatAction")
    assert action == {"chat_id": USER, "action": "typing"}
    assert await say(tg, "快") == ["收到：快"]
    assert len(tg.calls_of("sendChatAction")) == 1  # quick answers show nothing


async def test_flood_control_is_waited_out(tg: FakeTelegram, channel: TelegramChannel) -> None:
    tg.fail_next("sendMessage", 429, retry_after=1)
    assert await say(tg, "你好") == ["收到：你好"]
    assert len(tg.calls_of("sendMessage")) == 2


# --- sending outside a conversation (reminders) -----------------------------------------------


async def test_send_to_a_stored_address(tg: FakeTelegram, channel: TelegramChannel) -> None:
    tg.add_user(USER, "张三")
    address = Address("telegram", str(USER), str(USER))
    await channel.send(
        address, Reply("请在本月底前报送主题党日记录。", [[Choice("去填报", "fill")]])
    )
    [message] = tg.messages(USER)
    assert message.text == "请在本月底前报送主题党日记录。"
    assert message.keyboard == [[("去填报", "fill")]]


async def test_send_failures_are_reported_as_send_errors(
    tg: FakeTelegram, channel: TelegramChannel
) -> None:
    tg.add_user(USER)
    address = Address("telegram", str(USER), str(USER))
    tg.fail_next("sendMessage", 502)
    with pytest.raises(SendError) as transient:
        await channel.send(address, Reply("提醒"))
    assert not transient.value.permanent
    tg.fail_next("sendMessage", 429, retry_after=60)  # too long to wait inside send()
    with pytest.raises(SendError) as flood:
        await channel.send(address, Reply("提醒"))
    assert flood.value.retry_after == 60
    tg.block(USER)
    with pytest.raises(SendError) as blocked:
        await channel.send(address, Reply("提醒"))
    assert blocked.value.permanent
    with pytest.raises(ValueError):
        await channel.send(Address("wecom", "x", "x"), Reply("提醒"))


# --- the fake itself ---------------------------------------------------------------------------


async def test_fake_speaks_bot_api_http(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        base = f"{tg.base_url}{TOKEN}"
        async with http.get(f"{base}/GETME") as response:  # method names ignore case
            assert response.status == 200
            assert (await response.json())["result"]["username"] == "djtest_bot"
        async with http.post(f"{base}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{tg.base_url}1:bad/getMe") as response:
            assert response.status == 401
        tg.add_user(USER)
        form = {
            "chat_id": str(USER),
            "text": "表单",
            "reply_markup": json.dumps({"inline_keyboard": []}),
        }
        async with http.post(f"{base}/sendMessage", data=form) as response:
            assert (await response.json())["result"]["chat"]["id"] == USER
        async with http.post(f"{base}/sendMessage", json={"chat_id": USER, "text": ""}) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: message text is empty"
        async with http.post(f"{base}/sendMessage", json={"chat_id": 777, "text": "x"}) as response:
            assert (await response.json())["description"] == "Bad Request: chat not found"
        tg.fail_next("getMe", 429, retry_after=3)
        async with http.get(f"{base}/getMe") as response:
            assert response.status == 429
            assert (await response.json())["parameters"] == {"retry_after": 3}
    assert tg.calls_of("sendMessage")[0]["reply_markup"] == {"inline_keyboard": []}
    assert tg.calls_of("sendMessage")[0]["chat_id"] == USER  # form strings typed like Telegram


async def test_fake_long_polling_returns_when_an_update_arrives(tg: FakeTelegram) -> None:
    async def poll(http: aiohttp.ClientSession, **params: int) -> list[dict[str, object]]:
        async with http.post(f"{tg.base_url}{TOKEN}/getUpdates", json=params) as response:
            result: list[dict[str, object]] = (await response.json())["result"]
            return result

    async with aiohttp.ClientSession() as http:
        assert await poll(http, timeout=0) == []
        loop = asyncio.get_running_loop()
        started = loop.time()
        waiting = asyncio.create_task(poll(http, timeout=10))
        await tg.wait_for("getUpdates", 2)
        tg.push_text(USER, "你好")
        updates = await waiting
        assert loop.time() - started < 5
        assert [u["message"]["text"] for u in updates] == ["你好"]  # type: ignore[index]
        assert tg.pending_updates == 1  # not confirmed yet
        assert await poll(http, offset=int(str(updates[-1]["update_id"])) + 1) == []
    assert tg.pending_updates == 0
