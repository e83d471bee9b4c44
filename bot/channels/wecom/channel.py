"""The WeCom channel adapter: encrypted callbacks in, server API calls out, nothing else.

Inbound (``/wecom/callback`` on the bot's HTTP server, see :mod:`bot.http`):

* ``GET`` is the URL check ("回调配置", 验证URL有效性): the signature over ``echostr`` is verified
  and the decrypted plaintext is the whole answer (no quotes, BOM or newline).
* ``POST`` carries one message or event. Checked synchronously, cheapest first, each failure
  answered at once and nothing stored:

  1. query parameters present; ``timestamp`` within ``timestamp_window`` (300 s) of our clock
     (else 403): stale or future requests are replays;
  2. body at most 64 KB (413), read in chunks so a huge body is never held;
  3. outer XML parsed with defusedxml (no DTD, so no entity expansion) (400);
  4. ``msg_signature`` verified in constant time, ``Encrypt`` decrypted, padding and receive id
     (our CorpID) checked (403);
  5. inner XML parsed (400); a message for another app (``AgentID``) is ignored;
  6. the ``(timestamp, nonce)`` pair and the message's identity (``MsgId``, or for events
     ``FromUserName + CreateTime + Event + EventKey``) are claimed in ``inbound_receipts`` in one
     transaction: a replayed request or one of WeCom's retries (it retries three times when it
     has no answer within 5 s, "回调配置") is acknowledged with an empty 200 and not handled.

  The message is then queued and the request answered with an empty 200 (WeCom accepts an
  empty body and does not retry). A background task per user, in arrival order, runs the
  dispatcher and sends the replies through ``message/send``; at most ``max_concurrency`` users
  are served at once and at most ``max_pending`` messages wait (beyond that: 503, and WeCom
  retries later).

* A text message becomes ``Inbound(Address("wecom", userid, userid), text=Content,
  message_id=MsgId)``; a template card click (``template_card_event``) becomes
  ``Inbound(..., choice=EventKey, message_id=TaskId)`` and its ``ResponseCode`` is kept to update
  that card. Other message types are answered with :data:`ONLY_TEXT_MESSAGE`; other events
  (entering the app...) are ignored.

Outbound, per :class:`~bot.messages.Reply`:

* text: ``text`` messages of at most 2048 bytes, split at paragraphs and sentences;
* choices: a ``button_interaction`` template card whose buttons' ``key`` is the
  :class:`~bot.messages.Choice` ``data`` ("发送应用消息", 模板卡片消息: ``button_list`` "列表长度
  不超过6", ``key`` "最长支持1024字节"); the first line is the card's title, the rest its
  ``sub_title_text``; text longer than the card's recommended 160 characters goes first as a
  text message. More than 6 choices, or a key too long, become a numbered list in a text
  message (every choice also works typed);
* ``replace=True`` after a card click updates the clicked card with its ``ResponseCode``
  ("更新模版卡片消息"): to a new card with the new choices, or, with no choices, to a card with
  the reply text whose button is greyed out (``replace_text``); if the update is refused the
  reply is sent as a new message;
* a document: the text first, then the file (``media/upload`` + a ``file`` message, the file
  name as given, Chinese included).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final

from aiohttp import web

from bot.channels.base import APOLOGY_MESSAGE, ONLY_TEXT_MESSAGE, converse
from bot.channels.inbox import Inbox, Refused
from bot.channels.splitting import utf8_size
from bot.channels.wecom import CALLBACK_PATH
from bot.channels.wecom.api import (
    WeComApiError,
    WeComClient,
    WeComError,
    WeComRateLimitError,
    WeComUnavailableError,
)
from bot.channels.wecom.crypto import WeComCryptoError, WXBizMsgCrypt
from bot.channels.wecom.messages import (
    CallbackMessage,
    MessageFormatError,
    parse_envelope,
    parse_message,
)
from bot.messages import CHANNEL_WECOM, Address, Choice, Dispatcher, Inbound, Reply, SendError
from bot.settings import Settings
from storage.database import Database

__all__ = [
    "APOLOGY_MESSAGE",
    "CARD_MAX_BUTTONS",
    "ONLY_TEXT_MESSAGE",
    "WeComChannel",
    "build_card",
]

log = logging.getLogger(__name__)

LIST_HINT: Final[str] = "（回复编号或文字选择）"
DETAILS_ABOVE: Final[str] = "详细内容见上一条消息。"
DONE_LABEL: Final[str] = "已处理"

#: "发送应用消息", 按钮交互型: ``button_list`` "列表长度不超过6".
CARD_MAX_BUTTONS: Final[int] = 6
#: "发送应用消息": button ``key`` "最长支持1024字节".
CARD_KEY_BYTES: Final[int] = 1024
#: "发送应用消息": ``main_title.title`` "建议不超过36个字".
CARD_TITLE_CHARS: Final[int] = 36
#: "发送应用消息": ``sub_title_text`` "建议不超过160个字".
CARD_TEXT_CHARS: Final[int] = 160
#: "发送应用消息": button text "建议不超过10个字" (used for the greyed-out status).
CARD_BUTTON_CHARS: Final[int] = 10

#: Largest callback body read ("回调配置" bodies are a few KB).
MAX_BODY: Final[int] = 64 * 1024
#: Longest userid ("通讯录管理", 创建成员: userid "长度为1~64个字节").
_MAX_USERID: Final[int] = 64
#: Longest ``nonce``/``timestamp``/``msg_signature`` query value accepted.
_MAX_PARAM: Final[int] = 128
_STATUS_CUT = re.compile(r"[，。！？；,.!?;\n]")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
_LEADING_SYMBOLS = re.compile(r"^[^\w\u4e00-\u9fff]+")

WallClock = Callable[[], float]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:48]


def _task_id() -> str:
    """A fresh card ``task_id`` ("发送应用消息": unique per app, ``[0-9A-Za-z_\\-@]``, at most
    128 bytes)."""
    return f"dj_{secrets.token_hex(12)}"


def _title_and_text(text: str) -> tuple[str, str]:
    """Split a reply into the card title and the rest: the first line if it has at most 36
    characters, else its first sentence(s) within 36 characters, else the line cut short with
    "…" (the whole text then follows as the card's text)."""
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    first, rest = first.strip(), rest.strip()
    if len(first) <= CARD_TITLE_CHARS:
        return first, rest
    ends = [m.end() for m in _SENTENCE_END.finditer(first, 0, CARD_TITLE_CHARS)]
    if ends:
        head, tail = first[: ends[-1]], first[ends[-1] :].strip()
        return head, f"{tail}\n{rest}".strip()
    return first[: CARD_TITLE_CHARS - 1] + "…", stripped


def build_card(
    text: str, choices: list[Choice], *, task_id: str, replace_text: str | None = None
) -> dict[str, Any]:
    """A ``button_interaction`` template card ("发送应用消息", 模板卡片消息 / 按钮交互型).

    Args:
        text: the reply text: first line -> ``main_title.title``, the rest ->
            ``sub_title_text`` (callers keep it within :data:`CARD_TEXT_CHARS`).
        choices: 1-6 buttons; each button's ``key`` is the choice's ``data``.
        task_id: the card's unique task id.
        replace_text: grey the buttons out with this text (only when updating a card,
            "更新模版卡片消息").
    """
    title, rest = _title_and_text(text)
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": title or "请选择"},
        "task_id": task_id,
        "button_list": [{"text": c.label, "style": 1, "key": c.data} for c in choices],
    }
    if rest:
        card["sub_title_text"] = rest
    if replace_text is not None:
        card["replace_text"] = replace_text
    return card


def _fits_card(choices: list[Choice]) -> bool:
    keys = [c.data for c in choices]
    return (
        1 <= len(choices) <= CARD_MAX_BUTTONS
        and len(set(keys)) == len(keys)
        and all(0 < utf8_size(k) <= CARD_KEY_BYTES for k in keys)
    )


def _card_text_fits(text: str) -> bool:
    _, rest = _title_and_text(text)
    return len(rest) <= CARD_TEXT_CHARS


def numbered_list(reply: Reply) -> str:
    """A reply whose choices cannot be a card, as text with numbered options."""
    options = "\n".join(f"{i}. {c.label}" for i, c in enumerate(reply.flat_choices(), 1))
    return f"{reply.text.rstrip()}\n\n{options}\n{LIST_HINT}".strip()


def status_label(text: str) -> str:
    """A short status for a greyed-out button, from the reply's last paragraph: its first
    clause when that has 1-10 characters (``"✅ 已保存1条记录。…"`` -> ``"已保存1条记录"``),
    else :data:`DONE_LABEL`."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if not paragraphs:
        return DONE_LABEL
    clause = _STATUS_CUT.split(_LEADING_SYMBOLS.sub("", paragraphs[-1].strip()), maxsplit=1)[0]
    clause = clause.strip()
    return clause if 0 < len(clause) <= CARD_BUTTON_CHARS else DONE_LABEL


class WeComChannel:
    """The WeCom adapter as a runtime service (``is_channel``), plus the callback routes.

    Usage (``bot.app`` does this)::

        channel = WeComChannel(settings, dispatcher, db)
        web_server.add_routes(channel.routes())
        await channel.start()        # checks the credentials (gettoken)
        ...
        await channel.stop()         # waits for queued messages, closes the client

    Args:
        settings: the ``wecom_*`` settings (corp id, agent id, secret, token, AES key, API base).
        dispatcher: the conversation.
        db: where delivery receipts (nonce and message de-duplication) are stored; ``None``
            for a send-only channel (reminders: :meth:`send` only, no :meth:`routes`).
        client: an API client to use (tests); built from the settings by default.
        wall_clock: Unix seconds, for the timestamp window and arrival times.
        timestamp_window: seconds a callback's ``timestamp`` may differ from ``wall_clock``.
        max_concurrency: users served at once by background tasks.
        max_pending: queued messages beyond which callbacks are answered 503.
        receipt_ttl: receipts older than this are deleted by a periodic sweep.

    Raises:
        ValueError: WeCom is not fully configured, or the EncodingAESKey is malformed.
    """

    name = "wecom"
    is_channel = True

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        db: Database | None,
        *,
        client: WeComClient | None = None,
        wall_clock: WallClock = time.time,
        timestamp_window: float = 300.0,
        max_concurrency: int = 8,
        max_pending: int = 1000,
        receipt_ttl: timedelta = timedelta(days=1),
        stop_timeout: float = 20.0,
    ) -> None:
        if settings.wecom_agent_id is None or not settings.wecom_corp_id:
            raise ValueError("未配置企业微信 CorpID 或 AgentId")
        self.corp_id = settings.wecom_corp_id
        self.agent_id = settings.wecom_agent_id
        self.crypt = WXBizMsgCrypt(settings.wecom_token, settings.wecom_aes_key, self.corp_id)
        self.client = client or WeComClient(
            corp_id=self.corp_id,
            secret=settings.wecom_secret,
            agent_id=self.agent_id,
            base_url=settings.wecom_api_base_url,
        )
        self._owns_client = client is None
        self._dispatcher = dispatcher
        self._db = db
        self._clock = wall_clock
        self._window = timestamp_window
        self._inbox = Inbox(
            db,
            CHANNEL_WECOM,
            label="企业微信消息",
            max_concurrency=max_concurrency,
            max_pending=max_pending,
            stop_timeout=stop_timeout,
            receipt_ttl=receipt_ttl,
        )

    # --- lifecycle ------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The callback routes to register on the HTTP server.

        Raises:
            RuntimeError: a send-only channel (no database for receipts).
        """
        if self._db is None:
            raise RuntimeError("the WeCom callback needs a database for delivery receipts")
        return [web.get(CALLBACK_PATH, self.handle_get), web.post(CALLBACK_PATH, self.handle_post)]

    async def start(self) -> None:
        """Check the credentials by fetching an access token, and start the receipt sweep.

        Raises:
            WeComApiError: WeCom refused the CorpID or Secret.
        """
        try:
            await self.client.access_token()
        except WeComUnavailableError as exc:
            log.warning("暂时无法连接企业微信（%s），收到消息时再重试", exc)
        except WeComApiError:
            if self._owns_client:
                await self.client.aclose()
            raise
        self._inbox.open()
        log.info("企业微信应用 %s 已就绪，回调地址路径 %s", self.agent_id, CALLBACK_PATH)

    async def stop(self) -> None:
        """Wait (up to ``stop_timeout``) for queued messages, then close; idempotent."""
        await self._inbox.close()
        if self._owns_client:
            await self.client.aclose()

    async def drain(self) -> None:
        """Wait until every queued message has been handled (tests)."""
        await self._inbox.drain()

    # --- outside a conversation -----------------------------------------------------------------

    async def send(self, address: Address, reply: Reply) -> None:
        """Send ``reply`` to a stored address (reminders); ``replace`` is ignored.

        Raises:
            ValueError: the address is not a WeCom one.
            SendError: WeCom refused (``permanent``: unknown user, bad request) or is
                unavailable / rate limiting (``retry_after`` when known).
        """
        if address.channel != CHANNEL_WECOM:
            raise ValueError(f"not a WeCom address: {address}")
        try:
            await self._render(address.user_id, reply, None)
        except WeComRateLimitError as exc:
            raise SendError(str(exc), permanent=False, retry_after=exc.retry_after) from exc
        except WeComApiError as exc:
            raise SendError(str(exc), permanent=exc.permanent) from exc
        except WeComUnavailableError as exc:
            raise SendError(str(exc), permanent=False) from exc
        except ValueError as exc:
            raise SendError(str(exc), permanent=True) from exc

    # --- callback -------------------------------------------------------------------------------

    def _params(self, request: web.Request, *names: str) -> list[str]:
        values = []
        for name in names:
            value = request.query.get(name, "")
            if not value or len(value) > _MAX_PARAM * (8 if name == "echostr" else 1):
                raise Refused(400, f"缺少或无效的参数 {name}")
            values.append(value)
        return values

    def _check_timestamp(self, timestamp: str) -> None:
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise Refused(400, "timestamp 不是整数")
        if abs(int(timestamp) - self._clock()) > self._window:
            raise Refused(403, "timestamp 超出允许的时间窗口（可能是重放）")

    async def handle_get(self, request: web.Request) -> web.Response:
        """The URL check: answer the decrypted ``echostr`` as bare text, or refuse."""
        try:
            signature, timestamp, nonce, echostr = self._params(
                request, "msg_signature", "timestamp", "nonce", "echostr"
            )
            self._check_timestamp(timestamp)
            try:
                plain = self.crypt.verify_url(signature, timestamp, nonce, echostr)
            except WeComCryptoError as exc:
                raise Refused(403, str(exc)) from exc
        except Refused as refused:
            return self._inbox.refuse(request, refused)
        log.info("企业微信回调地址校验成功")
        return web.Response(text=plain, content_type="text/plain")

    async def handle_post(self, request: web.Request) -> web.Response:
        """A message or event: verify, decrypt, de-duplicate, queue, answer an empty 200."""
        try:
            signature, timestamp, nonce = self._params(
                request, "msg_signature", "timestamp", "nonce"
            )
            self._check_timestamp(timestamp)
            body = await self._inbox.read_body(request, MAX_BODY)
            try:
                envelope = parse_envelope(body)
                inner = self.crypt.decrypt_message(signature, timestamp, nonce, envelope.encrypt)
            except MessageFormatError as exc:
                raise Refused(400, str(exc)) from exc
            except WeComCryptoError as exc:
                raise Refused(403, str(exc)) from exc
            try:
                message = parse_message(inner)
            except MessageFormatError as exc:
                raise Refused(400, f"解密后的消息格式错误：{exc}") from exc
            if len(message.from_user.encode("utf-8")) > _MAX_USERID:
                raise Refused(400, "FromUserName 过长")
            if message.to_user and message.to_user != self.corp_id:
                raise Refused(403, "消息的 ToUserName 不是本企业")
            if message.agent_id and message.agent_id != str(self.agent_id):
                log.info("忽略发给其他应用（AgentID %s）的消息", message.agent_id[:20])
                return web.Response(text="")
            self._inbox.check_room()
            if not await self._claim(timestamp, nonce, message):
                return web.Response(text="")
        except Refused as refused:
            return self._inbox.refuse(request, refused)
        self._inbox.submit(
            message.from_user, partial(self._handle, message), name=f"wecom:{message.from_user}"
        )
        return web.Response(text="")

    async def _claim(self, timestamp: str, nonce: str, message: CallbackMessage) -> bool:
        """Claim the nonce and the message identity; ``False`` for a replay or a retry."""
        if message.msg_id:
            identity = f"msg:{_digest(message.from_user, message.msg_id)}"
        else:
            identity = "evt:" + _digest(
                message.from_user,
                str(message.create_time),
                message.event,
                message.event_key,
                message.response_code,
            )
        now = datetime.fromtimestamp(self._clock(), UTC)
        nonce_key = f"nonce:{_digest(timestamp, nonce)}"
        taken = await self._inbox.claim(nonce_key, identity, now=now)
        if taken == nonce_key:
            log.warning("拒绝重放的企业微信回调（nonce 已用过）")
        elif taken is not None:
            log.info("忽略企业微信重复推送的消息（%s）", message.msg_type)
        return taken is None

    # --- background handling --------------------------------------------------------------------

    def _received_at(self, message: CallbackMessage) -> datetime:
        now = self._clock()
        moment = message.create_time if abs(message.create_time - now) <= self._window else now
        return datetime.fromtimestamp(moment, UTC)

    async def _handle(self, message: CallbackMessage) -> None:
        user = message.from_user
        address = Address(CHANNEL_WECOM, user, user)
        response_code: str | None = None
        if message.msg_type == "text":
            inbound = Inbound(
                address=address,
                text=message.content,
                message_id=message.msg_id or None,
                received_at=self._received_at(message),
            )
        elif message.is_card_click:
            if not message.event_key:
                return
            inbound = Inbound(
                address=address,
                choice=message.event_key,
                message_id=message.task_id or None,
                received_at=self._received_at(message),
            )
            response_code = message.response_code or None
        elif message.msg_type == "event":
            log.debug("忽略企业微信事件 %s", message.event[:40])
            return
        else:
            await self._guarded(user, self.client.send_text(user, ONLY_TEXT_MESSAGE))
            return
        unused = [response_code]  # a response code updates the card once

        async def render(reply: Reply) -> None:
            if await self._render(user, reply, unused[0] if reply.replace else None):
                unused[0] = None

        async def apologize() -> None:
            await self.client.send_text(user, APOLOGY_MESSAGE)

        await converse(self._dispatcher, inbound, render, apologize)

    @staticmethod
    async def _guarded(user: str, call: Awaitable[object]) -> None:
        try:
            await call
        except WeComError:
            log.exception("向企业微信用户发送消息失败")

    # --- outbound -------------------------------------------------------------------------------

    async def _render(self, user: str, reply: Reply, response_code: str | None) -> bool:
        """Send (or render into the clicked card) one reply; ``True`` if ``response_code`` was
        used to update a card."""
        choices = reply.flat_choices()
        if reply.document is not None:
            await self.client.send_text(user, reply.text)
            document = reply.document
            await self.client.send_document(
                user, document.filename, document.content, document.mime_type
            )
            if choices:
                await self._send_choices(user, Reply(text="请选择：", choices=reply.choices), None)
            return False
        if choices:
            return await self._send_choices(user, reply, response_code)
        if not reply.text.strip():
            log.warning("忽略空回复（%s）", user)
            return False
        if response_code:
            status = status_label(reply.text)
            if _card_text_fits(reply.text):
                card = build_card(
                    reply.text,
                    [Choice(status, f"done:{secrets.token_hex(4)}")],
                    task_id=_task_id(),
                    replace_text=status,
                )
                if await self._update(user, response_code, card=card):
                    return True
            elif await self._update(user, response_code, replace_name=status):
                await self.client.send_text(user, reply.text)
                return True
        await self.client.send_text(user, reply.text)
        return False

    async def _send_choices(self, user: str, reply: Reply, response_code: str | None) -> bool:
        choices = reply.flat_choices()
        if not _fits_card(choices):
            await self.client.send_text(user, numbered_list(reply))
            return False
        text = reply.text.strip() or "请选择："
        if not _card_text_fits(text):
            await self.client.send_text(user, text)
            title, _ = _title_and_text(text)
            text = f"{title}\n{DETAILS_ABOVE}"
        card = build_card(text, choices, task_id=_task_id())
        if response_code and await self._update(user, response_code, card=card):
            return True
        await self.client.send_template_card(user, card)
        return False

    async def _update(
        self,
        user: str,
        response_code: str,
        *,
        card: dict[str, Any] | None = None,
        replace_name: str | None = None,
    ) -> bool:
        """Update the clicked card; ``False`` (logged) if WeCom refused: send anew instead."""
        try:
            await self.client.update_template_card(
                user, response_code, card=card, replace_name=replace_name
            )
        except WeComApiError as exc:
            if not exc.permanent:
                raise
            log.warning("更新模板卡片失败，改为发送新消息：%s", exc)
            return False
        return True
