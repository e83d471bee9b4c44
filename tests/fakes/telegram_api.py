"""A fake Telegram Bot API server, so real python-telegram-bot runs in tests without Telegram.

It speaks the shapes of https://core.telegram.org/bots/api over local HTTP on 127.0.0.1:

* requests ``GET``/``POST /bot<token>/<method>``, the method name in any letter case, parameters in
  the query string, a JSON body, an urlencoded form or ``multipart/form-data`` (files);
* answers ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": 400, "description": "Bad Request: ...", "parameters": {...}}``
  with the same HTTP status, a wrong token gives 401 ``Unauthorized``, an unknown method 404
  ``Not Found``;
* the methods a bot needs for chatting: ``getMe``, ``getUpdates`` (real long polling),
  ``setWebhook``, ``deleteWebhook``, ``getWebhookInfo``, ``setMyCommands``, ``getMyCommands``,
  ``deleteMyCommands``, ``sendMessage``, ``editMessageText``, ``answerCallbackQuery``,
  ``sendDocument``, ``sendChatAction``, ``close``, ``logOut``; with the checks Telegram makes
  that a bot could trip over (empty or over-long text, unknown chat, blocked user, editing to the
  same content, callback data over 64 bytes, answering a callback query twice).

Usage::

    async with FakeTelegram(token="123:abc", bot_username="djtest_bot") as tg:
        settings = Settings(telegram_token="123:abc", telegram_base_url=tg.base_url)
        ...start the bot...
        tg.push_text(1001, "/start ABC123", first_name="张三")
        [card] = await tg.wait_for_messages(1001, 1)
        tg.push_callback(1001, card.message_id, card.keyboard[0][0][1])
        await tg.wait_for("answerCallbackQuery")

Everything runs on the test's event loop; the ``push_*`` methods are plain functions that queue
an update which the bot's pending ``getUpdates`` receives at once.

Webhooks (https://core.telegram.org/bots/api#setwebhook): after ``setWebhook`` (an HTTPS URL on
port 443, 80, 88 or 8443; ``secret_token`` 1-256 of ``A-Za-z0-9_-``) queued updates are POSTed
as JSON to the URL, one at a time in order, with the header ``X-Telegram-Bot-Api-Secret-Token``;
an answer other than 2xx (or no answer) is recorded and the same update is posted again after
:attr:`FakeTelegram.webhook_retry_delay` seconds, as Telegram repeats failed deliveries.
``getUpdates`` answers 409 while a webhook is set. :attr:`FakeTelegram.webhook_targets` plays
the reverse proxy / load balancer: ``["http://127.0.0.1:8081", ...]`` replace the URL's
scheme and host, taken in turn (round robin) per delivery. Every attempt is in
:attr:`FakeTelegram.deliveries`::

    tg.webhook_targets = [server.base_url]
    await channel.start()                 # setWebhook("https://bot.example.org/tg", ...)
    tg.push_text(1001, "/start")          # delivered to http://127.0.0.1:PORT/tg
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, ClientError, ClientSession, ClientTimeout, web

__all__ = ["FakeTelegram", "SentMessage", "UploadedFile"]

JSON = dict[str, Any]

#: Bot API limits (https://core.telegram.org/bots/api#sendmessage, #sendphoto caption,
#: #inlinekeyboardbutton callback_data, #botcommand).
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_LEADING_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = {443, 80, 88, 8443}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Parameters sent as strings in form bodies that the Bot API interprets as other types.
_JSON_FIELDS = {
    "reply_markup",
    "commands",
    "allowed_updates",
    "entities",
    "caption_entities",
    "scope",
    "link_preview_options",
    "reply_parameters",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
_BOOL_FIELDS = {
    "drop_pending_updates",
    "show_alert",
    "disable_notification",
    "protect_content",
    "disable_content_type_detection",
    "disable_web_page_preview",
    "allow_sending_without_reply",
}


def _utf16_len(text: str) -> int:
    """Telegram counts text lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status = ``error_code``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class UploadedFile:
    """A file the bot uploaded (multipart part): its name, bytes and declared content type."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class SentMessage:
    """A message the bot sent, as it looks now (after any edits).

    ``text`` is set for ``sendMessage`` messages, ``caption``/``document`` for ``sendDocument``.
    ``reply_markup`` is the raw Bot API object (``{"inline_keyboard": [[{...}]]}``) or ``None``;
    :attr:`keyboard` gives it as rows of ``(label, callback_data)``. ``history`` holds earlier
    texts, oldest first, one per successful ``editMessageText``.
    """

    chat_id: int
    message_id: int
    date: int
    method: str
    text: str | None = None
    caption: str | None = None
    document: UploadedFile | None = None
    document_id: str | None = None
    reply_markup: JSON | None = None
    history: list[str] = field(default_factory=list)
    edit_date: int | None = None

    @property
    def edited(self) -> bool:
        return bool(self.history)

    @property
    def body(self) -> str:
        """What the user reads: the text, else the caption, else ``""``."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def keyboard(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard as rows of ``(label, callback_data)``; ``[]`` without one."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            [(button["text"], button.get("callback_data", "")) for button in row] for row in rows
        ]

    @property
    def buttons(self) -> list[str]:
        """All button labels in reading order."""
        return [label for row in self.keyboard for label, _ in row]

    def data_for(self, label: str) -> str:
        """The callback data of the button labelled ``label`` (``KeyError`` if none)."""
        for row in self.keyboard:
            for button_label, data in row:
                if button_label == label:
                    return data
        raise KeyError(f"no button {label!r} in {self.buttons}")


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None


class FakeTelegram:
    """A local Bot API server plus the test-side controls to act as Telegram's users.

    State a test reads (all live, mutated as the bot calls the API):

    * ``calls``: every request as ``(method, params)``, canonical method name (``"sendMessage"``),
      params decoded to Bot API types; uploaded files appear as :class:`UploadedFile`;
    * ``sent``: ``{chat_id: [SentMessage, ...]}`` in sending order (a ``defaultdict``);
    * ``commands``: the default command menu as ``[(command, description), ...]``;
    * ``answered``: ``{callback_query_id: params}`` of answered callback queries;
    * ``webhook``: the ``setWebhook`` params in force (``url``, ``secret_token``,
      ``allowed_updates``...), ``None`` without a webhook;
    * ``deliveries``: every webhook delivery attempt as ``(target URL, update_id, HTTP status)``,
      status 0 when the connection failed.
    """

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token",
        bot_username: str = "djtest_bot",
        *,
        bot_first_name: str = "党建测试机器人",
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else 123456789,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.host = host
        self.port = 0
        self.calls: list[tuple[str, JSON]] = []
        #: ``time.monotonic()`` at the arrival of each request in :attr:`calls`, same order.
        self.call_times: list[float] = []
        self.sent: defaultdict[int, list[SentMessage]] = defaultdict(list)
        self.answered: dict[str, JSON] = {}
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.blocked: set[int] = set()
        self._my_commands: dict[tuple[str, str], list[JSON]] = {}
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._files: dict[str, UploadedFile] = {}
        self._message_ids: defaultdict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._pending_callbacks: set[str] = set()
        self._allowed_updates: list[str] = []
        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._periodic: defaultdict[str, list[tuple[int, _Fault]]] = defaultdict(list)
        self._method_counts: defaultdict[str, int] = defaultdict(int)
        self._delays: dict[str, float] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._poll_generation = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.webhook: JSON | None = None
        #: Base URLs (``http://127.0.0.1:PORT``) that replace the webhook URL's scheme and host,
        #: in turn; empty: post to the URL itself.
        self.webhook_targets: list[str] = []
        self.webhook_retry_delay = 0.2
        self.deliveries: list[tuple[str, int, int]] = []
        self._webhook_error: tuple[int, str] | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._methods: dict[str, tuple[str, Callable[[JSON, dict[str, UploadedFile]], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "logOut": self._true,
                "close": self._true,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "answerCallbackQuery": self._answer_callback_query,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
            }.items()
        }

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._delivery = asyncio.create_task(self._deliver_webhooks(), name="fake-webhooks")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True  # pending long polls return at once
        self._notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Bot API base without the token, for ``Settings.telegram_base_url``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """File download base without the token (downloads are not served)."""
        return f"http://{self.host}:{self.port}/file/bot"

    # --- acting as users ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> JSON:
        """Register (or update) a user and their private chat with the bot; returns the User."""
        user = self.users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"用户{user_id}",
            "language_code": "zh-hans",
        }
        if first_name is not None:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        self.users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        self.chats[user_id] = chat
        return user

    def push_message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        **content: Any,
    ) -> JSON:
        """Queue a ``message`` update from ``user_id`` with arbitrary content fields.

        Without ``chat_id`` the message is in the user's private chat with the bot; a negative
        ``chat_id`` is a group (``-100…`` a supergroup). Returns the Message object.
        """
        user = self.add_user(user_id, first_name, last_name=last_name, username=username)
        chat_id = user_id if chat_id is None else chat_id
        if chat_id != user_id and chat_id not in self.chats:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            self.chats[chat_id] = {"id": chat_id, "type": kind, "title": "测试群"}
        message: JSON = {
            "message_id": next(self._message_ids[chat_id]),
            "from": dict(user),
            "chat": dict(self.chats[chat_id]),
            "date": int(time.time()),
            **content,
        }
        self._queue_update({"message": message})
        return message

    def push_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """Queue a text message; a leading ``/command`` gets its ``bot_command`` entity."""
        content: JSON = {"text": text}
        match = _LEADING_COMMAND.match(text)
        if match:
            length = _utf16_len(match.group())
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push_message(
            user_id,
            chat_id=chat_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            **content,
        )

    def push_sticker(self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None) -> JSON:
        """Queue a sticker message."""
        number = next(self._file_ids)
        sticker = {
            "file_id": f"STICKER{number}",
            "file_unique_id": f"S{number}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.push_message(user_id, chat_id=chat_id, sticker=sticker)

    def push_photo(self, user_id: int, caption: str | None = None, **kwargs: Any) -> JSON:
        """Queue a photo message (two sizes, optional caption)."""
        number = next(self._file_ids)
        photo = [
            {
                "file_id": f"PHOTO{number}s",
                "file_unique_id": f"P{number}s",
                "width": 90,
                "height": 90,
            },
            {
                "file_id": f"PHOTO{number}",
                "file_unique_id": f"P{number}",
                "width": 800,
                "height": 800,
            },
        ]
        extra: JSON = {"caption": caption} if caption is not None else {}
        return self.push_message(user_id, photo=photo, **extra, **kwargs)

    def push_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> str:
        """Queue a button press on a message the bot sent; returns the callback query id.

        With ``strict`` (default) ``data`` must be the callback data of a button currently on
        that message, as a real client could only press those.
        """
        chat_id = user_id if chat_id is None else chat_id
        message = self.find_message(chat_id, message_id)
        if strict and data not in {d for row in message.keyboard for _, d in row}:
            raise ValueError(f"message {message_id} has no button with data {data!r}")
        user = self.add_user(user_id) if user_id not in self.users else self.users[user_id]
        query_id = str(next(self._callback_ids))
        self._pending_callbacks.add(query_id)
        self._queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": dict(user),
                    "message": self._message_json(message),
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                }
            }
        )
        return query_id

    def take_updates(self) -> list[JSON]:
        """Remove the queued updates and return them (call it right after ``push_*``, before
        awaiting anything), for a test that posts them to the bot itself."""
        taken, self._updates = self._updates, []
        return taken

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403 Forbidden."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with HTTP ``status``.

        ``429`` answers ``Too Many Requests: retry after N`` with ``parameters.retry_after``
        (PTB raises ``RetryAfter``); other statuses answer ``description`` or the status phrase
        (``502`` -> PTB ``NetworkError``, ``400`` -> ``BadRequest``, ``403`` -> ``Forbidden``).
        Failed calls are still recorded in :attr:`calls`.
        """
        if status == 429:
            wait = retry_after or 1
            fault = _Fault(429, description or f"Too Many Requests: retry after {wait}", wait)
        else:
            phrases = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error"}
            phrases |= {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
            fault = _Fault(status, description or phrases.get(status, "Error"), None)
        for _ in range(times):
            self._faults[method.lower()].append(fault)

    def fail_every(
        self, method: str, every: int, status: int = 429, *, retry_after: int | None = 1
    ) -> None:
        """Make every ``every``-th call of ``method`` (counted from the server's start) fail
        like :meth:`fail_next` does; several can run at once (a 429 every 1000th and a 502 every
        150th call; the first listed wins when both fall on one call). ``every=0`` stops all of
        the method's. Faults queued with :meth:`fail_next` come first. For long runs
        (benchmarks) with faults throughout."""
        if every <= 0:
            self._periodic.pop(method.lower(), None)
            return
        self.fail_next(method, status, retry_after=retry_after)
        fault = self._faults[method.lower()].pop()
        self._periodic[method.lower()].append((every, fault))

    def slow(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (the request is recorded in :attr:`calls` at
        once, its effect, e.g. the message, happens after the wait); 0 = at once again."""
        self._delays[method.lower()] = seconds

    # --- reading what happened ------------------------------------------------------------------

    def busiest_second(self, method: str) -> int:
        """The most calls of ``method`` that arrived within any one second (a sliding window
        over :attr:`call_times`), for checking flood limits such as 30 messages per second."""
        times = [
            t
            for (name, _), t in zip(self.calls, self.call_times, strict=True)
            if name.lower() == method.lower()
        ]
        best = 0
        first = 0
        for last, moment in enumerate(times):
            while moment - times[first] >= 1.0:
                first += 1
            best = max(best, last - first + 1)
        return best

    def calls_of(self, method: str) -> list[JSON]:
        """Params of every call of ``method`` (any letter case), oldest first."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to ``chat_id``, oldest first."""
        return list(self.sent.get(chat_id, []))

    def find_message(self, chat_id: int, message_id: int) -> SentMessage:
        for message in self.sent.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise KeyError(f"the bot sent no message {message_id} to chat {chat_id}")

    @property
    def commands(self) -> list[tuple[str, str]]:
        """The command menu for the default scope and all languages."""
        return [(c["command"], c["description"]) for c in self._my_commands.get(("", ""), [])]

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later ``getUpdates`` offset."""
        return len(self._updates)

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = ""
    ) -> None:
        """Wait until ``predicate()`` holds (checked after every request and push).

        Raises ``AssertionError`` after ``timeout`` seconds, listing the last calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [name for name, _ in self.calls[-15:]]
                raise AssertionError(
                    f"timed out waiting for {what or predicate!r}; last calls: {recent}"
                )
            await self._next_change(remaining)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until ``method`` was called ``count`` times in all; returns all their params."""
        await self.wait_until(
            lambda: len(self.calls_of(method)) >= count, timeout, f"{count} x {method}"
        )
        return self.calls_of(method)

    async def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot sent at least ``count`` messages in all to ``chat_id``."""
        await self.wait_until(
            lambda: len(self.sent.get(chat_id, [])) >= count,
            timeout,
            f"{count} messages to chat {chat_id}",
        )
        return self.messages(chat_id)

    # --- plumbing ---------------------------------------------------------------------------

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _next_change(self, timeout: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, timeout)

    def _queue_update(self, update: JSON) -> None:
        self._updates.append({"update_id": next(self._update_ids), **update})
        self._notify()

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error_response(ApiError(404, "Not Found"))

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        canonical, handler = self._methods.get(requested.lower(), (requested, None))
        try:
            params, files = await self._read_params(request)
        except (ValueError, json.JSONDecodeError) as exc:
            return self._error_response(ApiError(400, f"Bad Request: {exc}"))
        self.calls.append((canonical, {**params, **files}))
        self.call_times.append(time.monotonic())
        self._method_counts[requested.lower()] += 1
        delay = self._delays.get(requested.lower())
        if delay:
            self._notify()  # the call is visible in ``calls`` at once, its effect after the wait
            await asyncio.sleep(delay)
        self._notify()
        try:
            faults = self._faults.get(requested.lower())
            if faults:
                fault = faults.popleft()
                raise ApiError(fault.status, fault.description, fault.retry_after)
            count = self._method_counts[requested.lower()]
            for every, fault in self._periodic.get(requested.lower(), ()):
                if count % every == 0:
                    raise ApiError(fault.status, fault.description, fault.retry_after)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params, files)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            return self._error_response(error)
        finally:
            self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, UploadedFile]]:
        """Decode query string + JSON / urlencoded / multipart body into typed params."""
        params: JSON = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            params.update(body)
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    content = bytes(await part.read(decode=True))
                    content_type = part.headers.get("Content-Type", "application/octet-stream")
                    files[part.name] = UploadedFile(part.filename, content, content_type)
                else:
                    params[part.name] = await part.text()
        elif request.can_read_body:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return {key: self._coerce(key, value) for key, value in params.items()}, files

    @staticmethod
    def _coerce(name: str, value: Any) -> Any:
        """Form bodies carry every value as a string; give it its Bot API type."""
        if not isinstance(value, str):
            return value
        if name in _JSON_FIELDS:
            return json.loads(value)
        if name in _INT_FIELDS:
            try:
                return int(value)
            except ValueError:
                return value  # e.g. chat_id "@channelusername"
        if name in _BOOL_FIELDS:
            return value.lower() == "true"
        return value

    # --- Bot API methods ------------------------------------------------------------------------

    @staticmethod
    def _required(params: JSON, name: str) -> Any:
        if params.get(name) in (None, ""):
            raise ApiError(400, f"Bad Request: parameter {name} is required")
        return params[name]

    def _chat_for_sending(self, params: JSON) -> int:
        chat_id = self._required(params, "chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    @staticmethod
    def _check_markup(markup: Any) -> JSON | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _message_json(self, message: SentMessage) -> JSON:
        result: JSON = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": dict(self.chats[message.chat_id]),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.text is not None:
            result["text"] = message.text
        if message.document is not None:
            result["document"] = {
                "file_id": message.document_id,
                "file_unique_id": f"U{message.document_id}",
                "file_name": message.document.filename,
                "mime_type": message.document.content_type,
                "file_size": len(message.document.content),
            }
        if message.caption is not None:
            result["caption"] = message.caption
        if message.reply_markup is not None:
            result["reply_markup"] = message.reply_markup
        return result

    def _new_message(self, chat_id: int, method: str, **fields: Any) -> SentMessage:
        message = SentMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids[chat_id]),
            date=int(time.time()),
            method=method,
            **fields,
        )
        self.sent[chat_id].append(message)
        return message

    def _true(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        return dict(self.bot_user)

    def _set_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        url = str(self._required(params, "url"))
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not _WEBHOOK_SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        previous = self.webhook or {}
        allowed = params.get("allowed_updates", previous.get("allowed_updates"))
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": list(allowed or []),
            "max_connections": int(params.get("max_connections") or 40),
        }
        self._webhook_error = None
        return True

    def _delete_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _get_webhook_info(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _webhook_target(self, url: str, turn: int) -> str:
        if not self.webhook_targets:
            return url
        parts = urlsplit(url)
        base = self.webhook_targets[turn % len(self.webhook_targets)].rstrip("/")
        return base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    async def _deliver_webhooks(self) -> None:
        """While a webhook is set, post queued updates to it one at a time, in order; an update
        is forgotten once answered 2xx, else posted again after ``webhook_retry_delay``."""
        turn = 0
        async with ClientSession(timeout=ClientTimeout(total=10)) as http:
            while not self._closing:
                webhook = self.webhook
                if webhook is None or not self._updates:
                    await self._next_change(1.0)
                    continue
                update = self._updates[0]
                allowed = webhook["allowed_updates"]
                if allowed and not any(kind in update for kind in allowed):
                    self._updates.remove(update)  # Telegram does not deliver other kinds at all
                    continue
                target = self._webhook_target(webhook["url"], turn)
                turn += 1
                headers = {"Content-Type": "application/json"}
                if webhook["secret_token"]:
                    headers[SECRET_HEADER] = str(webhook["secret_token"])
                try:
                    body = json.dumps(update)
                    async with http.post(target, data=body, headers=headers) as answer:
                        status, reason = answer.status, answer.reason or ""
                        await answer.read()
                except (ClientError, TimeoutError) as exc:
                    status, reason = 0, type(exc).__name__
                self.deliveries.append((target, int(update["update_id"]), status))
                if 200 <= status < 300:
                    if update in self._updates:
                        self._updates.remove(update)
                else:
                    message = f"Wrong response from the webhook: {status} {reason}".strip()
                    self._webhook_error = (int(time.time()), message)
                self._notify()
                if not 200 <= status < 300:
                    await asyncio.sleep(self.webhook_retry_delay)

    async def _get_updates(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        """Long polling: https://core.telegram.org/bots/api#getupdates.

        Updates with ``update_id < offset`` are confirmed (forgotten); a negative offset keeps the
        last ``-offset`` updates. Waits up to ``timeout`` seconds for an update; a newer
        ``getUpdates`` ends a waiting one with 409 Conflict, as Telegram does.
        """
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if offset < 0:
                del self._updates[: max(len(self._updates) + offset, 0)]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            allowed = self._allowed_updates
            if allowed:  # Telegram does not deliver other kinds at all
                self._updates = [u for u in self._updates if any(k in u for k in allowed)]
            if self._updates or self._closing:
                return self._updates[:limit]
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._next_change(remaining)

    def _set_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        commands = self._required(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 BotCommand")
        for command in commands:
            if not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self._my_commands[self._command_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> list[JSON]:
        return list(self._my_commands.get(self._command_key(params), []))

    def _delete_my_commands(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self._my_commands.pop(self._command_key(params), None)
        return True

    @staticmethod
    def _command_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        key = "" if scope == {"type": "default"} else json.dumps(scope, sort_keys=True)
        return key, str(params.get("language_code") or "")

    def _send_message(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_for_sending(params)
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        message = self._new_message(chat_id, "sendMessage", text=text, reply_markup=markup)
        return self._message_json(message)

    def _edit_message_text(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by this fake")
        chat_id = self._required(params, "chat_id")
        message_id = self._required(params, "message_id")
        try:
            message = self.find_message(chat_id, message_id)
        except KeyError:
            raise ApiError(400, "Bad Request: message to edit not found") from None
        if message.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MESSAGE_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))  # omitted: keyboard removed
        if text == message.text and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.history.append(message.text)
        message.text = text
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _answer_callback_query(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        query_id = str(self._required(params, "callback_query_id"))
        if query_id not in self._pending_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._pending_callbacks.discard(query_id)
        self.answered[query_id] = params
        return True

    def _send_document(self, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        chat_id = self._chat_for_sending(params)
        reference = params.get("document")
        upload: UploadedFile | None = None
        if "document" in files:
            upload = files["document"]
        elif isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
        elif isinstance(reference, str):
            upload = self._files.get(reference)  # a file_id sent before
        if upload is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption = params.get("caption")
        if caption is not None and _utf16_len(str(caption)) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        file_id = f"DOC{next(self._file_ids)}"
        self._files[file_id] = upload
        message = self._new_message(
            chat_id,
            "sendDocument",
            caption=caption or None,
            document=upload,
            document_id=file_id,
            reply_markup=self._check_markup(params.get("reply_markup")),
        )
        return self._message_json(message)

    def _send_chat_action(self, params: JSON, files: dict[str, UploadedFile]) -> bool:
        self._chat_for_sending(params)
        self._required(params, "action")
        return True
