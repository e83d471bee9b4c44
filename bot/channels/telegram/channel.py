"""Telegram channel adapter on python-telegram-bot 22: updates in, replies out, nothing else.

The adapter translates between the Bot API and the neutral vocabulary of
:mod:`bot.messages`; all conversation logic lives behind the :class:`~bot.messages.Dispatcher`.

Inbound, ``allowed_updates = ["message", "callback_query"]``, by long polling (``getUpdates``)
or, when ``DJBOT_TELEGRAM_WEBHOOK_URL`` is set, by webhook (see "Webhook mode" below); both hand
each update to the same PTB handlers (``Application.process_update``):

* a text message (commands and ``/start CODE`` deep links included) becomes
  ``Inbound(address=Address("telegram", str(chat_id), str(user_id)), text=..., display_name=full
  name, message_id=str(message_id), start_link=<t.me deep link>, received_at=message.date in
  UTC)``. In group
  chats ``/cmd@this_bot`` arrives as ``/cmd``; commands addressed to another bot are ignored;
* a button press becomes ``Inbound(..., text="", choice=callback_data, message_id=<id of the
  message carrying the button>)``, after the callback query has been answered;
* any other message (sticker, photo, voice...) in a private chat is answered with
  :data:`ONLY_TEXT_MESSAGE` without reaching the dispatcher.

Outbound rendering is :mod:`.outbox`.

Long polling processes updates one at a time in arrival order (PTB's default
``concurrent_updates=False``), which keeps each chat's messages in order. A dispatcher or rendering
failure is logged with its traceback and answered with :data:`APOLOGY_MESSAGE`; it never stops
polling.

Webhook mode (Bot API "setWebhook", https://core.telegram.org/bots/api#setwebhook), for several
processes serving one bot behind a load balancer; conversation state is in the database only:

* :meth:`TelegramChannel.start` calls ``getMe``, ``setMyCommands`` and ``setWebhook(url,
  secret_token, allowed_updates=[message, callback_query], drop_pending_updates=False)``; the PTB
  application has no ``Updater`` (``ApplicationBuilder().updater(None)``), so nothing polls. Each
  process registers the same URL and secret; the last call wins, which changes nothing;
* :meth:`TelegramChannel.routes` gives ``POST <path of the URL>`` for :class:`bot.http.WebServer`
  (the reverse proxy must forward that path unchanged). A request is checked in this order, and
  a refused one is processed in no way: header ``X-Telegram-Bot-Api-Secret-Token`` equal to the
  secret, compared in constant time (else 403); body at most :data:`WEBHOOK_MAX_BODY` bytes
  (else 413); a JSON ``Update`` object with an integer ``update_id`` (else 400); fewer than
  ``max_pending`` updates waiting in this process (else 503: Telegram retries later, perhaps at
  another process); ``update:<update_id>`` claimed in ``inbound_receipts`` (atomic across
  processes), so a re-delivery -- Telegram repeats a request that got no 2xx answer -- is
  answered 200 and not handled again (a database failure: 503);
* the update is then answered with an empty 200 at once and processed by a background task
  through ``Application.process_update``: per chat in arrival order, at most ``max_concurrency``
  chats at once (the intake is :class:`bot.channels.inbox.Inbox`, shared with WeCom);
* :meth:`TelegramChannel.stop` refuses new requests (503), waits up to ``stop_timeout`` seconds
  for the updates in flight (their replies included), then closes. It does not delete the
  webhook unless ``delete_webhook_on_stop`` (another process may still serve it); switching back
  to long polling deletes it anyway (PTB's ``start_polling`` calls ``deleteWebhook``).

Delivery is at most once: an update acknowledged by a process that is then killed (SIGKILL, a
crash) before handling it is lost; SIGTERM drains first (``djbot run``, :mod:`bot.app`).
Receipts older than ``receipt_ttl`` (2 days) are deleted: Telegram keeps an undelivered update
at most 24 hours (Bot API "Getting updates") and only reuses update ids after a week without
updates (Bot API "Update": "chosen randomly instead of sequentially").

"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from telegram import BotCommand, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.base import APOLOGY_MESSAGE, ONLY_TEXT_MESSAGE, converse
from bot.channels.inbox import Inbox, Refused
from bot.channels.telegram.outbox import Outbox, send_error
from bot.messages import CHANNEL_TELEGRAM, Address, Dispatcher, Inbound, Reply
from bot.settings import Settings
from storage.database import Database

logger = logging.getLogger(__name__)

#: Update kinds requested from ``getUpdates``; others are never delivered.
ALLOWED_UPDATES: Final[tuple[str, ...]] = (Update.MESSAGE, Update.CALLBACK_QUERY)

#: The header carrying ``setWebhook.secret_token`` on every webhook request (Bot API
#: "setWebhook": "a header “X-Telegram-Bot-Api-Secret-Token” with the secret token as content").
SECRET_HEADER: Final[str] = "X-Telegram-Bot-Api-Secret-Token"

#: Largest webhook request body read, in bytes (an ``Update`` is a few KB: text is at most 4096
#: characters); larger ones are answered 413.
WEBHOOK_MAX_BODY: Final[int] = 1024 * 1024

_LEADING_COMMAND = re.compile(r"^(/[A-Za-z0-9_]+)@([A-Za-z0-9_]+)")


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


def webhook_path(url: str) -> str:
    """The path of a webhook URL, which the HTTP server serves: ``https://bot.example.org/
    telegram/webhook`` -> ``/telegram/webhook``; no path -> ``/``."""
    return urlsplit(url).path or "/"


def _as_utc(moment: datetime) -> datetime:
    """PTB gives aware datetimes (UTC unless ``Defaults.tzinfo``); a naive one is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class TelegramChannel:
    """The Telegram adapter: long polling or a webhook in, replies out, via a PTB ``Application``.

    Usage::

        channel = TelegramChannel(settings, dispatcher)
        await channel.start()       # getMe, setMyCommands, deleteWebhook, start polling
        ...                         # runs until
        await channel.stop()        # stop polling, finish queued updates, close HTTP clients

    or ``async with TelegramChannel(settings, dispatcher) as channel: ...``. In webhook mode
    (``settings.telegram_webhook_url`` set; ``bot.app`` does this)::

        channel = TelegramChannel(settings, dispatcher, db=db)
        web_server.add_routes(channel.routes())   # POST <path of the webhook URL>
        await channel.start()       # getMe, setMyCommands, setWebhook; then start web_server
        ...
        await web_server.stop()     # no new requests
        await channel.stop()        # finish the updates in flight, close HTTP clients

    Args:
        settings: ``telegram_token`` and ``telegram_base_url`` (the token is appended to it) are
            used; the file URL is derived with :func:`file_base_url`. ``telegram_webhook_url``
            and ``telegram_webhook_secret`` select webhook mode.
        dispatcher: gets one :class:`Inbound` per text message or button press.
        commands: the command menu, ``(command, description)`` pairs; ``None`` (default): the
            dispatcher's :meth:`~bot.messages.Dispatcher.menu`; ``()`` leaves it alone.
        poll_timeout: seconds one ``getUpdates`` long poll may wait on the server.
        max_retry_after: a 429 answer asking to wait at most this many seconds is waited out
            and the call retried (twice at most); longer waits fail at once.
        typing_after: when the dispatcher takes longer than this many seconds (a report being
            drafted), the chat shows "typing…" until the replies are ready.
        db: webhook mode: where ``inbound_receipts`` de-duplicate updates across processes
            (required for :meth:`routes` and a webhook :meth:`start`; unused when polling).
        max_concurrency: webhook mode: chats whose updates are processed at once.
        max_pending: webhook mode: updates waiting or in flight beyond which requests are
            answered 503 (Telegram retries them later).
        stop_timeout: webhook mode: seconds :meth:`stop` waits for updates in flight; those
            still running then are cancelled and logged (lost: Telegram had its 200).
        delete_webhook_on_stop: webhook mode: call ``deleteWebhook`` in :meth:`stop` (off by
            default: other processes may still serve the webhook; updates then wait at
            Telegram, up to 24 hours, until a process calls ``setWebhook`` or polls).
        receipt_ttl: webhook mode: receipts older than this are deleted every 10 minutes.

    Raises:
        ValueError: no token configured, or a webhook URL without a secret.
    """

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        *,
        commands: Sequence[tuple[str, str]] | None = None,
        poll_timeout: float = 30.0,
        max_retry_after: float = 10.0,
        typing_after: float = 1.0,
        db: Database | None = None,
        max_concurrency: int = 8,
        max_pending: int = 1000,
        stop_timeout: float = 20.0,
        delete_webhook_on_stop: bool = False,
        receipt_ttl: timedelta = timedelta(days=2),
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("未配置 Telegram 机器人令牌（DJBOT_TELEGRAM_TOKEN）")
        if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
            # Settings refuse this too; a copy made with model_copy() is not validated again
            raise ValueError("Webhook 模式必须设置 DJBOT_TELEGRAM_WEBHOOK_SECRET")
        self._dispatcher = dispatcher
        self._commands = None if commands is None else tuple(commands)
        self._poll_timeout = poll_timeout
        self._typing_after = typing_after
        self._bot_username: str | None = None
        self._webhook_url = settings.telegram_webhook_url
        self._webhook_secret = settings.telegram_webhook_secret.encode("ascii", "replace")
        self._db = db
        self._delete_webhook_on_stop = delete_webhook_on_stop
        self._webhook_set = False
        self._inbox = Inbox(
            db,
            CHANNEL_TELEGRAM,
            label="Telegram 更新",
            max_concurrency=max_concurrency,
            max_pending=max_pending,
            stop_timeout=stop_timeout,
            receipt_ttl=receipt_ttl,
        )
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .base_file_url(file_base_url(settings.telegram_base_url))
            .concurrent_updates(False)
            .job_queue(None)
        )
        if self._webhook_url:
            builder = builder.updater(None)  # updates arrive by webhook: nothing polls
        self._application = builder.build()
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
        self._out = Outbox(self._application.bot, max_retry_after)

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

    @property
    def webhook_mode(self) -> bool:
        """``True`` when updates arrive by webhook (``telegram_webhook_url`` is set)."""
        return bool(self._webhook_url)

    def start_link(self, payload: str) -> str:
        """The deep link that opens this bot with ``/start <payload>`` (Bot API "Deep linking":
        ``https://t.me/<bot username>?start=<payload>``, payload 1-64 of ``A-Z a-z 0-9 _ -``).

        Raises:
            RuntimeError: before :meth:`start` or :meth:`open` (the username comes from getMe).
        """
        return f"https://t.me/{self.bot_username}?start={payload}"

    def routes(self) -> list[web.RouteDef]:
        """The webhook route for :class:`bot.http.WebServer`: ``POST`` at the path of
        ``telegram_webhook_url`` (:func:`webhook_path`), handled by :meth:`handle_webhook`.

        Raises:
            RuntimeError: not in webhook mode, or no database for the receipts.
        """
        if not self._webhook_url:
            raise RuntimeError("the Telegram channel polls: no webhook route")
        if self._db is None:
            raise RuntimeError("the Telegram webhook needs a database for update receipts")
        return [web.post(webhook_path(self._webhook_url), self.handle_webhook)]

    async def start(self) -> None:
        """Connect (``getMe``), set the command menu, and start receiving: long polling in the
        background, or in webhook mode ``setWebhook`` (the route then accepts updates).

        Nothing pending is dropped: updates that arrived while the bot was down are processed.

        Raises:
            RuntimeError: webhook mode without a database.
            telegram.error.InvalidToken: the token was rejected (HTTP 401/404).
            telegram.error.BadRequest: Telegram refused the webhook URL (e.g. not HTTPS).
            telegram.error.NetworkError: the Bot API could not be reached.
        """
        application = self._application
        if self._webhook_url and self._db is None:
            raise RuntimeError("the Telegram webhook needs a database for update receipts")
        try:
            await application.initialize()
            self._bot_username = application.bot.username
            commands = self._dispatcher.menu() if self._commands is None else self._commands
            if commands:
                try:
                    menu = [BotCommand(name, description) for name, description in commands]
                    await application.bot.set_my_commands(menu)
                except TelegramError:
                    logger.exception("Telegram 命令菜单设置失败（setMyCommands），继续运行")
            if self._webhook_url:
                await self._start_webhook()
                return
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

    async def _start_webhook(self) -> None:
        """``setWebhook`` with the secret (Bot API "setWebhook"); then accept requests."""
        bot = self._application.bot
        await self._out.retrying(
            partial(
                bot.set_webhook,
                self._webhook_url,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
                secret_token=self._webhook_secret.decode("ascii"),
            )
        )
        self._webhook_set = True
        self._inbox.open()
        logger.info(
            "Telegram 机器人 @%s 已设置 Webhook，在 %s 接收消息",
            self._bot_username,
            webhook_path(self._webhook_url),
        )

    async def stop(self) -> None:
        """Stop receiving, let the updates in flight finish, and close the HTTP clients.

        Polling: stop ``getUpdates`` and process what PTB already fetched. Webhook mode: refuse
        new requests (503), wait up to ``stop_timeout`` seconds for the updates in flight
        (cancelling, and logging, the rest), ``deleteWebhook`` only if asked to. Idempotent.
        """
        await self._inbox.close()
        application = self._application
        webhook_set, self._webhook_set = self._webhook_set, False
        if webhook_set and self._delete_webhook_on_stop:
            try:
                await application.bot.delete_webhook(drop_pending_updates=False)
                logger.info("已删除 Telegram Webhook（deleteWebhook）")
            except TelegramError:
                logger.exception("删除 Telegram Webhook 失败")
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

    # --- webhook --------------------------------------------------------------------------------

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """One webhook request from Telegram (Bot API "setWebhook": "an HTTPS POST request to
        the specified URL, containing a JSON-serialized Update").

        Answers an empty 200 once the update is claimed and queued, or a re-delivered one was
        recognised; 403 wrong or missing secret header; 413 body over
        :data:`WEBHOOK_MAX_BODY` bytes; 400 not a JSON ``Update``; 503 stopping, too many updates
        pending, or the database failed (Telegram retries every non-2xx answer). Nothing is
        processed or stored for a refused request.
        """
        try:
            if not self._inbox.accepting:
                raise Refused(503, "正在停止，请稍后重试")
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
            if not secrets.compare_digest(given, self._webhook_secret):
                raise Refused(403, f"{SECRET_HEADER} 缺失或不正确")
            body = await self._inbox.read_body(request, WEBHOOK_MAX_BODY)
            update = self._parse_update(body)
            self._inbox.check_room()
            key = f"update:{update.update_id}"
            if await self._inbox.claim(key, now=datetime.now(UTC)) is not None:
                logger.info("忽略 Telegram 重复推送的更新 %s", update.update_id)
                return web.Response(text="")
        except Refused as refused:
            return self._inbox.refuse(request, refused)
        chat = update.effective_chat
        self._inbox.submit(
            chat.id if chat is not None else f"update:{update.update_id}",
            partial(self._application.process_update, update),
            name=f"telegram-update:{update.update_id}",
        )
        return web.Response(text="")

    def _parse_update(self, body: bytes) -> Update:
        """A JSON object with a non-negative integer ``update_id``, as a PTB ``Update`` (400)."""
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise Refused(400, "请求体不是 JSON") from exc
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is not int or not 0 <= update_id < 2**53:
            raise Refused(400, "请求体不是 Telegram Update（缺少整数 update_id）")
        try:
            return Update.de_json(data, self._application.bot)
        except Exception as exc:  # PTB raises TypeError/KeyError/ValueError on bad shapes
            raise Refused(400, f"无法解析 Telegram Update：{type(exc).__name__}") from exc

    async def drain(self) -> None:
        """Wait until every webhook update taken in so far has been processed (tests)."""
        await self._inbox.drain()

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
            await self._out.render(int(address.chat_id), reply)
        except TelegramError as error:
            raise send_error(error) from error

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
            start_link=self.start_link,
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
            start_link=self.start_link,
        )
        # An InaccessibleMessage (older than 48 hours) cannot be edited: reply anew.
        editable = message.message_id if isinstance(message, Message) else None
        await self._dispatch(inbound, message.chat.id, editable)

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        try:
            await self._out.retrying(
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
        """Hand ``inbound`` to the dispatcher and render its replies; never raises. Only the first
        replacing reply edits the pressed card."""
        editable = [edit_message_id]

        async def render(reply: Reply) -> None:
            await self._out.render(chat_id, reply, edit_message_id=editable[0])
            if reply.replace:
                editable[0] = None

        await converse(
            self._dispatcher,
            inbound,
            render,
            partial(self._apologize, chat_id),
            while_waiting=partial(self._show_typing, chat_id),
        )

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
        await self._application.bot.send_message(chat_id, APOLOGY_MESSAGE)
