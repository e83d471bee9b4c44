"""Telegram outbound: neutral replies rendered as Bot API calls.

* text is split with :func:`~bot.channels.splitting.split_text` into messages of at most
  :data:`MESSAGE_LIMIT` UTF-16 code units; the inline keyboard (rows of ``Choice`` ->
  ``InlineKeyboardButton(label, callback_data=data)``) goes on the last message;
* a document is sent with ``sendDocument``, the text as its caption if it fits
  :data:`CAPTION_LIMIT`, otherwise as messages before the document;
* ``replace=True`` after a button press edits the message that carried the button
  (``editMessageText``); "message is not modified" is ignored; any other failure of the edit
  sends the reply as a new message.

Limits (https://core.telegram.org/bots/api): message text 1-4096 characters (``sendMessage``),
caption 0-1024 characters (``sendDocument``), ``callback_data`` 1-64 bytes
(``InlineKeyboardButton``). A 429 answer carries ``parameters.retry_after`` seconds; PTB raises
``telegram.error.RetryAfter`` for it.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Final, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.splitting import split_text, utf16_size
from bot.messages import Reply, SendError

log = logging.getLogger(__name__)

#: Most characters in one message (Bot API ``sendMessage.text``: 1-4096 after entity parsing).
#: Measured in UTF-16 code units, which is never less than characters.
MESSAGE_LIMIT: Final[int] = int(MessageLimit.MAX_TEXT_LENGTH)

#: Most characters in a document caption (Bot API ``sendDocument.caption``: 0-1024).
CAPTION_LIMIT: Final[int] = int(MessageLimit.CAPTION_LENGTH)

#: Sent when a reply has buttons but no text (Telegram rejects an empty message).
EMPTY_TEXT_WITH_CHOICES: Final[str] = "请选择："

_NOT_MODIFIED = "message is not modified"

_T = TypeVar("_T")


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Rows of choices as an inline keyboard (rows kept, empty rows dropped), or ``None``."""
    rows = [
        [InlineKeyboardButton(choice.label, callback_data=choice.data) for choice in row]
        for row in reply.choices
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22.2+ warns when it hands out an int; we accept both)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def send_error(error: TelegramError) -> SendError:
    """A Bot API failure as a :class:`~bot.messages.SendError`: a 429 with its wait, a blocked
    bot or a bad request as permanent."""
    if isinstance(error, RetryAfter):
        return SendError(str(error), permanent=False, retry_after=retry_seconds(error))
    return SendError(str(error), permanent=isinstance(error, Forbidden | BadRequest))


class Outbox:
    """Renders replies into one bot's chats.

    Args:
        bot: the PTB bot (its HTTP client is the application's).
        max_retry_after: a 429 asking to wait at most this many seconds is waited out and the
            call retried (twice at most); longer waits fail at once.
    """

    def __init__(self, bot: Bot, max_retry_after: float) -> None:
        self.bot = bot
        self._max_retry_after = max_retry_after

    async def render(
        self, chat_id: int, reply: Reply, *, edit_message_id: int | None = None
    ) -> None:
        """Send (or, with ``replace`` and a card to edit, edit in) one reply."""
        markup = keyboard(reply)
        if reply.document is not None:
            await self._send_with_document(chat_id, reply, markup)
            return
        text = reply.text
        if not text.strip(" \t\r\n"):
            if markup is None:
                log.warning("忽略空回复（chat %s）", chat_id)
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
        bot = self.bot
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self.retrying(
                partial(bot.send_message, chat_id, chunk, reply_markup=markup if last else None)
            )

    async def _edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> bool:
        """Edit a card in place; ``False`` if the caller should send the text anew instead."""
        bot = self.bot
        try:
            await self.retrying(
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
            log.warning("编辑消息失败，改为发送新消息：%s", error.message)
            return False
        except Forbidden:
            raise
        except TelegramError as error:
            log.warning("编辑消息失败，改为发送新消息：%s", error.message)
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
        bot = self.bot
        await self.retrying(
            partial(bot.send_document, chat_id, upload, caption=caption, reply_markup=markup)
        )

    async def retrying(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """Run one Bot API call, waiting out short flood-control pauses (429 ``retry_after``).

        Only ``RetryAfter`` is retried: Telegram guarantees the request was not executed. Other
        errors (a 502 may or may not have been executed) propagate, so nothing is sent twice.
        """
        for attempt in range(3):
            try:
                return await call()
            except RetryAfter as error:
                seconds = retry_seconds(error)
                if attempt == 2 or seconds > self._max_retry_after:
                    raise
                log.warning("Telegram 限流，%.0f 秒后重试", seconds)
                await asyncio.sleep(seconds)
        raise AssertionError("unreachable")  # pragma: no cover
