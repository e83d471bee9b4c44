"""Telegram channel adapter on python-telegram-bot 22: updates in, replies out, nothing else.

The adapter translates between the Bot API and the neutral vocabulary of
:mod:`handlers.types`; all conversation logic lives behind the :class:`~handlers.types.Dispatcher`.

Inbound (long polling, ``allowed_updates = ["message", "callback_query"]``):

* a text message (commands and ``/start CODE`` deep links included) becomes
  ``Inbound(address=Address("telegram", str(chat_id), str(user_id)), text=..., display_name=full
  name, message_id=str(message_id), bot_username=..., received_at=message.date in UTC)``. In group
  chats ``/cmd@this_bot`` arrives as ``/cmd``; commands addressed to another bot are ignored;
* a button press becomes ``Inbound(..., text="", choice=callback_data, message_id=<id of the
  message carrying the button>)``, after the callback query has been answered;
* any other message (sticker, photo, voice...) in a private chat is answered with
  :data:`ONLY_TEXT_MESSAGE` without reaching the dispatcher.

Outbound, per :class:`~handlers.types.Reply`:

* text is split with :func:`~bot.channels.splitting.split_text` into messages of at most
  :data:`MESSAGE_LIMIT` UTF-16 code units; the inline keyboard (rows of ``Choice`` ->
  ``InlineKeyboardButton(label, callback_data=data)``) goes on the last message;
* a document is sent with ``sendDocument``, the text as its caption if it fits
  :data:`CAPTION_LIMIT`, otherwise as messages before the document;
* ``replace=True`` after a button press edits the message that carried the button
  (``editMessageText``); "message is not modified" is ignored; any other failure of the edit
  sends the reply as a new message.

Updates are processed one at a time in arrival order (PTB's default ``concurrent_updates=False``),
which keeps each chat's messages in order. A dispatcher or rendering failure is logged with its
traceback and answered with :data:`APOLOGY_MESSAGE`; it never stops polling.

Limits (https://core.telegram.org/bots/api): message text 1-4096 characters (``sendMessage``),
caption 0-1024 characters (``sendDocument``), ``callback_data`` 1-64 bytes
(``InlineKeyboardButton``), command 1-32 of ``[a-z0-9_]`` and description 1-256 characters
(``BotCommand``). A 429 answer carries ``parameters.retry_after`` seconds; PTB raises
``telegram.error.RetryAfter`` for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.splitting import split_text, utf16_size
from bot.settings import Settings
from handlers.types import CHANNEL_TELEGRAM, Address, Dispatcher, Inbound, Reply, SendError

__all__ = [
    "ALLOWED_UPDATES",
    "APOLOGY_MESSAGE",
    "BOT_COMMANDS",
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "ONLY_TEXT_MESSAGE",
    "SendError",
    "TelegramChannel",
    "file_base_url",
]

logger = logging.getLogger(__name__)

#: The command menu set with ``setMyCommands`` at start: ``(command, description)`` pairs.
#: Commands are 1-32 characters of ``[a-z0-9_]``, descriptions 1-256 characters (Bot API
#: ``BotCommand``).
BOT_COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("start", "开始使用/加入支部"),
    ("help", "使用说明"),
    ("list", "本季度我的记录"),
    ("delete", "删除记录（/delete 编号）"),
    ("report", "生成党建工作总结草稿"),
    ("invite", "生成邀请码"),
    ("remind", "报送提醒开关（/remind on 或 off）"),
    ("deadlines", "查看或调整报送截止日期"),
    ("cancel", "取消当前操作"),
)

#: Update kinds requested from ``getUpdates``; others are never delivered.
ALLOWED_UPDATES: Final[tuple[str, ...]] = (Update.MESSAGE, Update.CALLBACK_QUERY)

#: Most characters in one message (Bot API ``sendMessage.text``: 1-4096 after entity parsing).
#: Measured in UTF-16 code units, which is never less than characters.
MESSAGE_LIMIT: Final[int] = int(MessageLimit.MAX_TEXT_LENGTH)

#: Most characters in a document caption (Bot API ``sendDocument.caption``: 0-1024).
CAPTION_LIMIT: Final[int] = int(MessageLimit.CAPTION_LENGTH)

ONLY_TEXT_MESSAGE: Final[str] = "目前只能识别文字消息，请用文字描述活动情况。"
APOLOGY_MESSAGE: Final[str] = "抱歉，处理这条消息时出错了，请稍后再试。"

#: Sent when a reply has buttons but no text (Telegram rejects an empty message).
EMPTY_TEXT_WITH_CHOICES: Final[str] = "请选择："

_LEADING_COMMAND = re.compile(r"^(/[A-Za-z0-9_]+)@([A-Za-z0-9_]+)")
_NOT_MODIFIED = "message is not modified"

_T = TypeVar("_T")


def file_base_url(base_url: str) -> str:
    """The Bot API file URL matching a method URL base (both without the token).

    ``https://api.telegram.org/bot`` -> ``https://api.telegram.org/file/bot``; a self-hosted
    ``http://host:8081/bot`` -> ``http://host:8081/file/bot``. The last ``/bot`` segment gets a
    ``/file`` in front of it; a base without one gets ``/file/bot`` appended to its root.
    """
    head, sep, tail = base_url.rpartition("/bot")
    if sep:
        return f"{head}/file/bot{tail}"
    return base_url.rstrip("/") + "/file/bot"


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Rows of choices as an inline keyboard (rows kept, empty rows dropped), or ``None``."""
    rows = [
        [InlineKeyboardButton(choice.label, callback_data=choice.data) for choice in row]
        for row in reply.choices
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _as_utc(moment: datetime) -> datetime:
    """PTB gives aware datetimes (UTC unless ``Defaults.tzinfo``); a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22.2+ warns when it hands out an int; we accept both)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _send_error(error: TelegramError) -> SendError:
    if isinstance(error, RetryAfter):
        return SendError(str(error), permanent=False, retry_after=_retry_seconds(error))
    return SendError(str(error), permanent=isinstance(error, Forbidden | BadRequest))


class TelegramChannel:
    """The Telegram adapter: long polling in, replies out, via a PTB ``Application``.

    Usage::

        channel = TelegramChannel(settings, dispatcher)
        await channel.start()       # getMe, setMyCommands, deleteWebhook, start polling
        ...                         # runs until
        await channel.stop()        # stop polling, finish queued updates, close HTTP clients

    or ``async with TelegramChannel(settings, dispatcher) as channel: ...``.

    Args:
        settings: ``telegram_token`` and ``telegram_base_url`` (the token is appended to it) are
            used; the file URL is derived with :func:`file_base_url`.
        dispatcher: gets one :class:`Inbound` per text message or button press.
        commands: the command menu, ``(command, description)`` pairs; ``()`` leaves it alone.
        poll_timeout: seconds one ``getUpdates`` long poll may wait on the server.
        max_retry_after: a 429 answer asking to wait at most this many seconds is waited out
            and the call retried (twice at most); longer waits fail at once.
        typing_after: when the dispatcher takes longer than this many seconds (a report being
            drafted), the chat shows "typing…" until the replies are ready.
    """

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        *,
        commands: Sequence[tuple[str, str]] = BOT_COMMANDS,
        poll_timeout: float = 30.0,
        max_retry_after: float = 10.0,
        typing_after: float = 1.0,
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("未配置 Telegram 机器人令牌（DJBOT_TELEGRAM_TOKEN）")
        self._dispatcher = dispatcher
        self._commands = tuple(commands)
        self._poll_timeout = poll_timeout
        self._max_retry_after = max_retry_after
        self._typing_after = typing_after
        self._bot_username: str | None = None
        self._application = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .base_file_url(file_base_url(settings.telegram_base_url))
            .concurrent_updates(False)
            .job_queue(None)
            .build()
        )
        private = filters.ChatType.PRIVATE
        message = filters.UpdateType.MESSAGE
        self._application.add_handler(MessageHandler(message & filters.TEXT, self._on_text))
        self._application.add_handler(CallbackQueryHandler(self._on_callback))
        self._application.add_handler(
            MessageHandler(
                message & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, self._on_other
            )
        )
        self._application.add_error_handler(self._on_error)

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def application(self) -> Application[Any, Any, Any, Any, Any, Any]:
        """The underlying PTB application (for diagnostics; do not add conversation logic)."""
        return self._application

    @property
    def bot_username(self) -> str:
        """The bot's ``@username`` without the ``@``, from ``getMe``; available after start."""
        if self._bot_username is None:
            raise RuntimeError("TelegramChannel.start() has not completed yet")
        return self._bot_username

    async def start(self) -> None:
        """Connect (``getMe``), set the command menu, and start long polling in the background.

        Nothing pending is dropped: updates that arrived while the bot was down are processed.

        Raises:
            telegram.error.InvalidToken: the token was rejected (HTTP 401/404).
            telegram.error.NetworkError: the Bot API could not be reached.
        """
        application = self._application
        try:
            await application.initialize()
            self._bot_username = application.bot.username
            if self._commands:
                try:
                    menu = [BotCommand(name, description) for name, description in self._commands]
                    await application.bot.set_my_commands(menu)
                except TelegramError:
                    logger.exception("Telegram 命令菜单设置失败（setMyCommands），继续运行")
            updater = application.updater
            if updater is None:  # pragma: no cover - ApplicationBuilder always builds one
                raise RuntimeError("the PTB application has no updater")
            await updater.start_polling(
                timeout=timedelta(seconds=self._poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            )
            await application.start()
        except BaseException:
            await self.stop()
            raise
        logger.info("Telegram 机器人 @%s 已开始接收消息", self._bot_username)

    async def stop(self) -> None:
        """Stop polling, let queued updates finish, and close the HTTP clients. Idempotent."""
        application = self._application
        updater = application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        # PTB quirk: if initialize() failed (e.g. a rejected token) the application counts as
        # not initialized and shutdown() returns early, leaving the bot's HTTP clients open.
        await application.bot.shutdown()

    async def open(self) -> None:
        """Connect for sending only (``getMe``): no polling, no command menu. For
        :meth:`send` from a process that does not receive (``djbot reminders run-due``).

        Raises:
            telegram.error.InvalidToken: the token was rejected (HTTP 401/404).
            telegram.error.NetworkError: the Bot API could not be reached.
        """
        try:
            await self._application.initialize()
            self._bot_username = self._application.bot.username
        except BaseException:
            await self.stop()
            raise

    async def close(self) -> None:
        """Undo :meth:`open` (the same as :meth:`stop`). Idempotent."""
        await self.stop()

    async def __aenter__(self) -> TelegramChannel:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- outside a conversation -----------------------------------------------------------------

    async def send(self, address: Address, reply: Reply) -> None:
        """Send ``reply`` to a stored address (reminders); ``replace`` is ignored.

        Raises:
            ValueError: the address is not a Telegram one.
            SendError: Telegram refused or could not be reached; ``permanent`` tells a blocked
                bot or unknown chat from a transient failure.
        """
        if address.channel != CHANNEL_TELEGRAM:
            raise ValueError(f"not a Telegram address: {address}")
        try:
            await self._render(int(address.chat_id), reply)
        except TelegramError as error:
            raise _send_error(error) from error

    # --- inbound --------------------------------------------------------------------------------

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.text is None or message.from_user is None:
            return
        text = self._strip_bot_mention(message.text)
        if text is None:
            return  # a command for another bot in a group
        inbound = Inbound(
            address=Address(CHANNEL_TELEGRAM, str(message.chat.id), str(message.from_user.id)),
            text=text,
            display_name=message.from_user.full_name,
            message_id=str(message.message_id),
            bot_username=self._bot_username,
            received_at=_as_utc(message.date),
        )
        await self._dispatch(inbound, message.chat.id, None)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        try:
            await query.answer()  # stops the client's progress indicator
        except TelegramError:
            logger.warning("answerCallbackQuery 失败（查询可能已过期）", exc_info=True)
        message = query.message
        if message is None or query.data is None:
            logger.warning("忽略没有消息或数据的按钮回调 %s", query.id)
            return
        inbound = Inbound(
            address=Address(CHANNEL_TELEGRAM, str(message.chat.id), str(query.from_user.id)),
            text="",
            choice=query.data,
            display_name=query.from_user.full_name,
            message_id=str(message.message_id),
            bot_username=self._bot_username,
        )
        # An InaccessibleMessage (older than 48 hours) cannot be edited: reply anew.
        editable = message.message_id if isinstance(message, Message) else None
        await self._dispatch(inbound, message.chat.id, editable)

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        try:
            await self._retrying(
                partial(self._application.bot.send_message, message.chat.id, ONLY_TEXT_MESSAGE)
            )
        except TelegramError:
            logger.exception("回复非文字消息失败（chat %s）", message.chat.id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram 更新处理出错：%r", update, exc_info=context.error)

    def _strip_bot_mention(self, text: str) -> str | None:
        """``/cmd@this_bot args`` -> ``/cmd args``; ``None`` for a command to another bot."""
        match = _LEADING_COMMAND.match(text)
        if match is None:
            return text
        if self._bot_username and match.group(2).lower() != self._bot_username.lower():
            return None
        return match.group(1) + text[match.end() :]

    async def _dispatch(self, inbound: Inbound, chat_id: int, edit_message_id: int | None) -> None:
        """Hand ``inbound`` to the dispatcher and render its replies; never raises."""
        typing = asyncio.create_task(self._show_typing(chat_id), name=f"typing:{chat_id}")
        try:
            replies = await self._dispatcher.handle(inbound)
        except Exception:
            logger.exception("处理消息出错：%s", inbound.address)
            await self._apologize(chat_id)
            return
        finally:
            typing.cancel()
        try:
            for reply in replies:
                await self._render(chat_id, reply, edit_message_id=edit_message_id)
                if reply.replace:
                    edit_message_id = None  # only the first replacing reply edits the card
        except Exception:
            logger.exception("发送回复出错：%s", inbound.address)
            await self._apologize(chat_id)

    async def _show_typing(self, chat_id: int) -> None:
        """After ``typing_after`` seconds of dispatcher work, show "typing…" until cancelled.

        Telegram shows a chat action for 5 seconds or until the next message (Bot API
        ``sendChatAction``), so it is repeated every 4.5 seconds.
        """
        await asyncio.sleep(self._typing_after)
        while True:
            try:
                await self._application.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError:
                logger.debug("sendChatAction 失败（chat %s）", chat_id, exc_info=True)
            await asyncio.sleep(4.5)

    async def _apologize(self, chat_id: int) -> None:
        try:
            await self._application.bot.send_message(chat_id, APOLOGY_MESSAGE)
        except TelegramError:
            logger.exception("发送致歉消息失败（chat %s）", chat_id)

    # --- outbound -------------------------------------------------------------------------------

    async def _render(
        self, chat_id: int, reply: Reply, *, edit_message_id: int | None = None
    ) -> None:
        """Send (or, with ``replace`` and a card to edit, edit in) one reply."""
        markup = _keyboard(reply)
        if reply.document is not None:
            await self._send_with_document(chat_id, reply, markup)
            return
        text = reply.text
        if not text.strip(" \t\r\n"):
            if markup is None:
                logger.warning("忽略空回复（chat %s）", chat_id)
                return
            text = EMPTY_TEXT_WITH_CHOICES
        chunks = split_text(text, MESSAGE_LIMIT, size=utf16_size)
        if reply.replace and edit_message_id is not None:
            first_markup = markup if len(chunks) == 1 else None
            if await self._edit(chat_id, edit_message_id, chunks[0], first_markup):
                chunks = chunks[1:]
        await self._send_chunks(chat_id, chunks, markup)

    async def _send_chunks(
        self, chat_id: int, chunks: Sequence[str], markup: InlineKeyboardMarkup | None
    ) -> None:
        bot = self._application.bot
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self._retrying(
                partial(bot.send_message, chat_id, chunk, reply_markup=markup if last else None)
            )

    async def _edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Edit a card in place; ``False`` if the caller should send the text anew instead."""
        bot = self._application.bot
        try:
            await self._retrying(
                partial(
                    bot.edit_message_text,
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=markup,
                )
            )
        except BadRequest as error:
            if _NOT_MODIFIED in error.message.lower():
                return True
            logger.warning("编辑消息失败，改为发送新消息：%s", error.message)
            return False
        except Forbidden:
            raise
        except TelegramError as error:
            logger.warning("编辑消息失败，改为发送新消息：%s", error.message)
            return False
        return True

    async def _send_with_document(
        self, chat_id: int, reply: Reply, markup: InlineKeyboardMarkup | None
    ) -> None:
        document = reply.document
        assert document is not None
        text = reply.text.strip(" \t\r\n")
        caption: str | None = None
        if text and utf16_size(text) <= CAPTION_LIMIT:
            caption = text
        elif text:
            await self._send_chunks(chat_id, split_text(text, MESSAGE_LIMIT, size=utf16_size), None)
        upload = InputFile(document.content, filename=document.filename)
        if document.mime_type != "application/octet-stream":
            upload.mimetype = document.mime_type
        bot = self._application.bot
        await self._retrying(
            partial(bot.send_document, chat_id, upload, caption=caption, reply_markup=markup)
        )

    async def _retrying(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """Run one Bot API call, waiting out short flood-control pauses (429 ``retry_after``).

        Only ``RetryAfter`` is retried: Telegram guarantees the request was not executed. Other
        errors (a 502 may or may not have been executed) propagate, so nothing is sent twice.
        """
        for attempt in range(3):
            try:
                return await call()
            except RetryAfter as error:
                seconds = _retry_seconds(error)
                if attempt == 2 or seconds > self._max_retry_after:
                    raise
                logger.warning("Telegram 限流，%.0f 秒后重试", seconds)
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable")  # pragma: no cover
