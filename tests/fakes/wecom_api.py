"""A fake WeCom server API, and WeCom's side of the encrypted callback, for tests.

:class:`FakeWeCom` serves over local HTTP on 127.0.0.1 (ephemeral port) the calls a self-built
app makes, with WeCom's answers ``{"errcode": 0, "errmsg": "ok", ...}`` and the checks WeCom
makes that a bot could trip over:

* ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` ("获取access_token"): a new token per call,
  ``expires_in`` configurable; 40013 for a wrong CorpID, 40001 for a wrong Secret.
* ``POST /cgi-bin/message/send`` ("发送应用消息"): ``text`` and ``markdown`` content at most 2048
  bytes (45002 beyond), ``file`` with a known ``media_id`` (40007), ``template_card`` of type
  ``button_interaction`` with a ``task_id`` (unique, ``[0-9A-Za-z_-@]``, at most 128 bytes;
  42014), a ``main_title.title`` and 1-6 buttons with unique keys of at most 1024 bytes;
  answers ``msgid`` and, for a card, a ``response_code``; an unknown ``touser`` comes back in
  ``invaliduser`` (81013 when it is the only one) and wrong ``agentid`` is 40056.
* ``POST /cgi-bin/media/upload?type=file`` ("上传临时素材"): ``multipart/form-data`` field
  ``media``; 6 bytes or more; records the file name as sent (UTF-8).
* ``POST /cgi-bin/message/update_template_card`` ("更新模版卡片消息"): each response code once;
  either ``button.replace_name`` or a new ``template_card``.
* ``POST /cgi-bin/webhook/send?key=`` ("群机器人配置说明"): the group robot.
* Every API call checks the access token: unknown -> 40014, expired or rotated -> 42001.

Fault injection: :meth:`FakeWeCom.fail_next` makes the next calls of a path answer an errcode
(45009, 42001, -1...) or an HTTP status (500...). :meth:`FakeWeCom.expire_tokens` makes every
issued token expire (42001 on the next call).

:class:`CallbackPlayer` plays WeCom calling the bot: it builds the inner XML of a text message,
another message type or a ``template_card_event``, encrypts and signs it as WeCom does and
POSTs it to the bot's callback URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import BodyPartReader, web

from bot.channels.wecom.crypto import WXBizMsgCrypt
from bot.channels.wecom.messages import render_envelope, render_message

__all__ = [
    "CallbackPlayer",
    "FakeWeCom",
    "SentMessage",
    "UploadedMedia",
    "WeComStack",
    "running_wecom",
]

JSON = dict[str, Any]

TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 2048
_TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")


class _ApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class UploadedMedia:
    """A file the bot uploaded: name as sent, bytes, declared content type."""

    media_id: str
    filename: str
    content: bytes
    content_type: str


@dataclass
class SentMessage:
    """A message the bot sent to one member, as it looks now (cards after updates).

    ``msgtype`` is ``text``, ``markdown``, ``file`` or ``template_card``; ``body`` the message
    object (``{"content": ...}``, ``{"media_id": ...}`` or the card). ``history`` holds earlier
    card versions, oldest first, one per update; ``disabled`` is the greyed-out button text of a
    card whose buttons were replaced.
    """

    user: str
    msgid: str
    msgtype: str
    body: JSON
    response_code: str = ""
    history: list[JSON] = field(default_factory=list)
    disabled: str | None = None

    @property
    def text(self) -> str:
        """What the member reads: text/markdown content, a card's title and text, a file name."""
        if self.msgtype in ("text", "markdown"):
            return str(self.body.get("content", ""))
        if self.msgtype == "template_card":
            title = str(self.body.get("main_title", {}).get("title", ""))
            sub = str(self.body.get("sub_title_text", ""))
            return f"{title}\n{sub}".strip()
        return ""

    @property
    def buttons(self) -> list[str]:
        """Clickable button labels of a card ([] once greyed out)."""
        if self.msgtype != "template_card" or self.disabled or self.body.get("replace_text"):
            return []
        return [str(b["text"]) for b in self.body.get("button_list", [])]

    def key_for(self, label: str) -> str:
        """The ``key`` of the card button labelled ``label``."""
        for button in self.body.get("button_list", []):
            if button["text"] == label:
                return str(button["key"])
        raise KeyError(f"no button {label!r} in {self.buttons}")


@dataclass
class _Fault:
    errcode: int | None
    status: int
    remaining: int


class FakeWeCom:
    """A local fake of WeCom's server API; use as ``async with FakeWeCom(...) as wecom``.

    State a test reads: ``calls`` (``(path, query, json)`` of every request), ``sent``
    (``{userid: [SentMessage]}``), ``uploads`` (``{media_id: UploadedMedia}``), ``robot``
    (``{key: [payload]}``), ``tokens_issued``.
    """

    def __init__(
        self,
        *,
        corp_id: str = "wwfakecorp0000001",
        secret: str = "fake-app-secret",
        agent_id: int = 1000002,
        users: tuple[str, ...] = (),
        expires_in: int = 7200,
        host: str = "127.0.0.1",
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = agent_id
        self.users: set[str] | None = set(users) if users else None
        self.expires_in = expires_in
        self.host = host
        self.port = 0
        self.calls: list[tuple[str, JSON, JSON | None]] = []
        self.sent: dict[str, list[SentMessage]] = defaultdict(list)
        self.uploads: dict[str, UploadedMedia] = {}
        self.robot: dict[str, list[JSON]] = defaultdict(list)
        self.tokens_issued = 0
        self._tokens: dict[str, float] = {}  # token -> expiry (time.monotonic)
        self._task_ids: set[str] = set()
        self._codes: dict[str, tuple[SentMessage, bool]] = {}  # code -> (card, used)
        self._faults: dict[str, list[_Fault]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeWeCom:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._message_send)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        app.router.add_post("/cgi-bin/message/update_template_card", self._update_card)
        app.router.add_post("/cgi-bin/webhook/send", self._webhook_send)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """For ``Settings.wecom_api_base_url``."""
        return f"http://{self.host}:{self.port}"

    def webhook_url(self, key: str = "robot-key") -> str:
        """A group robot webhook URL on this server."""
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    # --- test controls --------------------------------------------------------------------------

    def fail_next(
        self, path: str, *, errcode: int | None = None, status: int = 200, times: int = 1
    ) -> None:
        """Make the next ``times`` calls of ``path`` answer ``errcode`` (HTTP 200) or HTTP
        ``status`` (with an empty body)."""
        self._faults[path].append(_Fault(errcode, status, times))

    def expire_tokens(self) -> None:
        """Every token issued so far is expired: the next API call gets 42001."""
        for token in self._tokens:
            self._tokens[token] = 0.0

    def messages(self, user: str) -> list[SentMessage]:
        """Everything sent to ``user``, oldest first."""
        return self.sent[user]

    def texts(self, user: str) -> list[str]:
        """The readable text of every message sent to ``user``."""
        return [m.text for m in self.sent[user]]

    def last_card(self, user: str) -> SentMessage:
        """The newest template card sent to ``user``."""
        cards = [m for m in self.sent[user] if m.msgtype == "template_card"]
        if not cards:
            raise AssertionError(f"no card sent to {user}; got {self.texts(user)}")
        return cards[-1]

    def click(self, card: SentMessage, label: str) -> tuple[str, str]:
        """A member presses ``label`` on ``card``: returns ``(event_key, response_code)`` for the
        ``template_card_event`` WeCom would push (a fresh response code, usable once)."""
        key = card.key_for(label)
        code = f"click-{secrets.token_hex(6)}"
        self._codes[code] = (card, False)
        return key, code

    def calls_to(self, path: str) -> list[tuple[str, JSON, JSON | None]]:
        """The recorded calls of one path."""
        return [c for c in self.calls if c[0] == path]

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = ""
    ) -> None:
        """Wait until ``predicate()`` holds (re-checked after every request).

        Raises:
            AssertionError: after ``timeout`` seconds, listing the last calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [path for path, _, _ in self.calls[-10:]]
                raise AssertionError(f"timed out waiting for {what or predicate!r}; {recent}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    # --- plumbing -------------------------------------------------------------------------------

    @staticmethod
    def _ok(**fields: Any) -> web.Response:
        return web.json_response({"errcode": 0, "errmsg": "ok", **fields})

    @staticmethod
    def _error(error: _ApiError) -> web.Response:
        return web.json_response({"errcode": error.errcode, "errmsg": error.errmsg})

    def _record(self, request: web.Request, body: JSON | None) -> web.Response | None:
        self.calls.append((request.path, dict(request.query), body))
        self._changed.set()
        faults = self._faults.get(request.path)
        if faults:
            fault = faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.pop(0)
            if fault.errcode is None:
                return web.Response(status=fault.status, text="")
            return web.json_response({"errcode": fault.errcode, "errmsg": "injected fault"})
        return None

    def _check_token(self, request: web.Request) -> None:
        token = request.query.get("access_token", "")
        if token not in self._tokens:
            raise _ApiError(40014, "invalid access_token")
        if time.monotonic() >= self._tokens[token]:
            raise _ApiError(42001, "access_token expired")

    # --- endpoints ------------------------------------------------------------------------------

    async def _gettoken(self, request: web.Request) -> web.Response:
        fault = self._record(request, None)
        if fault is not None:
            return fault
        if request.query.get("corpid") != self.corp_id:
            return self._error(_ApiError(40013, "invalid corpid"))
        if request.query.get("corpsecret") != self.secret:
            return self._error(_ApiError(40001, "invalid credential"))
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}-{secrets.token_hex(4)}"
        self._tokens[token] = time.monotonic() + self.expires_in
        return self._ok(access_token=token, expires_in=self.expires_in)

    async def _message_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        fault = self._record(request, body)
        if fault is not None:
            return fault
        try:
            self._check_token(request)
            if body.get("agentid") != self.agent_id:
                raise _ApiError(40056, "invalid agentid")
            user = str(body.get("touser", ""))
            msgtype = str(body.get("msgtype", ""))
            content = body.get(msgtype)
            if not isinstance(content, dict):
                raise _ApiError(40008, "invalid message type")
            self._validate(msgtype, content)
        except _ApiError as error:
            return self._error(error)
        if self.users is not None and user not in self.users and "|" not in user:
            return self._error(_ApiError(81013, "user & party & tag all invalid"))
        message = SentMessage(user, f"msg{next(self._ids)}", msgtype, content)
        extra: JSON = {"msgid": message.msgid}
        if msgtype == "template_card":
            message.response_code = f"send-{secrets.token_hex(6)}"
            self._codes[message.response_code] = (message, False)
            extra["response_code"] = message.response_code
        self.sent[user].append(message)
        return self._ok(invaliduser="", **extra)

    def _validate(self, msgtype: str, content: JSON) -> None:
        if msgtype in ("text", "markdown"):
            text = content.get("content")
            if not isinstance(text, str) or not text:
                raise _ApiError(44004, "empty content")
            limit = TEXT_LIMIT if msgtype == "text" else MARKDOWN_LIMIT
            if len(text.encode("utf-8")) > limit:
                raise _ApiError(45002, f"content size out of limit ({limit} bytes)")
        elif msgtype == "file":
            if content.get("media_id") not in self.uploads:
                raise _ApiError(40007, "invalid media_id")
        elif msgtype == "template_card":
            task_id = str(content.get("task_id", ""))
            if not _TASK_ID.fullmatch(task_id) or task_id in self._task_ids:
                raise _ApiError(42014, "taskid has existed or empty or exceed max len")
            self._validate_card(content)
            self._task_ids.add(task_id)
        else:
            raise _ApiError(40008, f"unsupported msgtype {msgtype}")

    @staticmethod
    def _validate_card(card: JSON) -> None:
        if card.get("card_type") != "button_interaction":
            raise _ApiError(42041, "card_type must be button_interaction here")
        if not str(card.get("main_title", {}).get("title", "")):
            raise _ApiError(42042, "main_title.title missing")
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            raise _ApiError(42043, "button_list must have 1-6 buttons")
        keys = [str(b.get("key", "")) for b in buttons]
        if len(set(keys)) != len(keys) or any(not k or len(k.encode("utf-8")) > 1024 for k in keys):
            raise _ApiError(42044, "button key empty, duplicated or over 1024 bytes")
        if any(not str(b.get("text", "")) for b in buttons):
            raise _ApiError(42044, "button text missing")

    async def _media_upload(self, request: web.Request) -> web.Response:
        fault = self._record(request, None)
        if fault is not None:
            return fault
        try:
            self._check_token(request)
            if request.query.get("type") not in ("file", "image", "voice", "video"):
                raise _ApiError(40004, "invalid media type")
            reader = await request.multipart()
            part = await reader.next()
            if not isinstance(part, BodyPartReader) or part.name != "media":
                raise _ApiError(41006, "media field missing")
            filename = part.filename or ""
            content = bytes(await part.read())
            if len(content) < 6:
                raise _ApiError(40006, "invalid file size")
        except _ApiError as error:
            return self._error(error)
        media_id = f"media-{next(self._ids)}"
        content_type = part.headers.get("Content-Type", "")
        self.uploads[media_id] = UploadedMedia(media_id, filename, content, content_type)
        return self._ok(type="file", media_id=media_id, created_at=str(int(time.time())))

    async def _update_card(self, request: web.Request) -> web.Response:
        body = await request.json()
        fault = self._record(request, body)
        if fault is not None:
            return fault
        try:
            self._check_token(request)
            code = str(body.get("response_code", ""))
            if code not in self._codes or self._codes[code][1]:
                raise _ApiError(40129, "invalid or used response_code")
            card, _ = self._codes[code]
            if body.get("userids") != [card.user]:
                raise _ApiError(40031, "invalid userids")
            new_card = body.get("template_card")
            button = body.get("button")
            if (new_card is None) == (button is None):
                raise _ApiError(40058, "need one of template_card and button")
            if new_card is not None:
                self._validate_card(new_card)
        except _ApiError as error:
            return self._error(error)
        self._codes[code] = (card, True)
        card.history.append(card.body)
        if new_card is not None:
            card.body = new_card
            card.disabled = None
        else:
            card.disabled = str(button.get("replace_name", ""))
        return self._ok()

    async def _webhook_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        fault = self._record(request, body)
        if fault is not None:
            return fault
        key = request.query.get("key", "")
        msgtype = body.get("msgtype")
        content = body.get(msgtype, {}) if isinstance(msgtype, str) else {}
        limit = 2048 if msgtype == "text" else 4096
        if len(str(content.get("content", "")).encode("utf-8")) > limit:
            return self._error(_ApiError(45002, "content too long"))
        self.robot[key].append(body)
        return self._ok()


class CallbackPlayer:
    """WeCom's side of the callback: encrypted, signed deliveries POSTed to the bot.

    Args:
        url: the bot's callback URL (``http://127.0.0.1:PORT/wecom/callback``).
        token, aes_key, corp_id, agent_id: the app's callback settings.
        clock: Unix seconds for ``timestamp`` and ``CreateTime``.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str,
        aes_key: str,
        corp_id: str,
        agent_id: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.crypt = WXBizMsgCrypt(token, aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.clock = clock
        self._msg_ids = itertools.count(7_000_000_000_000_000_001)
        self.http = httpx.AsyncClient(timeout=10)

    async def aclose(self) -> None:
        await self.http.aclose()

    def text_xml(self, user: str, content: str, *, msg_id: int | None = None) -> str:
        """The inner XML of a text message ("消息格式", 文本消息)."""
        return render_message(
            {
                "ToUserName": self.corp_id,
                "FromUserName": user,
                "CreateTime": int(self.clock()),
                "MsgType": "text",
                "Content": content,
                "MsgId": msg_id if msg_id is not None else next(self._msg_ids),
                "AgentID": self.agent_id,
            }
        )

    def card_event_xml(self, user: str, event_key: str, response_code: str, task_id: str) -> str:
        """The inner XML of a template card click ("事件格式", 模板卡片事件推送)."""
        return render_message(
            {
                "ToUserName": self.corp_id,
                "FromUserName": user,
                "CreateTime": int(self.clock()),
                "MsgType": "event",
                "Event": "template_card_event",
                "EventKey": event_key,
                "TaskId": task_id,
                "CardType": "button_interaction",
                "ResponseCode": response_code,
                "AgentID": self.agent_id,
            }
        )

    def other_xml(self, user: str, msg_type: str = "image") -> str:
        """The inner XML of a non-text message (an image)."""
        return render_message(
            {
                "ToUserName": self.corp_id,
                "FromUserName": user,
                "CreateTime": int(self.clock()),
                "MsgType": msg_type,
                "PicUrl": "http://example.invalid/p.jpg",
                "MediaId": "media",
                "MsgId": next(self._msg_ids),
                "AgentID": self.agent_id,
            }
        )

    def envelope(
        self, inner: str, *, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[JSON, bytes]:
        """Encrypt and sign ``inner``; returns ``(query params, body)`` of the POST."""
        timestamp = timestamp or str(int(self.clock()))
        nonce = nonce or str(secrets.randbelow(10**10))
        encrypted, signature = self.crypt.encrypt_message(inner, timestamp, nonce)
        body = render_envelope(encrypted, self.corp_id, str(self.agent_id)).encode("utf-8")
        params = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
        return params, body

    async def post(self, params: JSON, body: bytes) -> httpx.Response:
        """POST a prepared delivery as is (replays, tampering)."""
        return await self.http.post(
            self.url, params=params, content=body, headers={"Content-Type": "text/xml"}
        )

    async def deliver(self, inner: str) -> httpx.Response:
        """Encrypt, sign and POST one message or event."""
        params, body = self.envelope(inner)
        return await self.post(params, body)

    async def say(self, user: str, text: str) -> httpx.Response:
        """``user`` sends ``text`` to the app."""
        return await self.deliver(self.text_xml(user, text))

    async def press(
        self, user: str, event_key: str, response_code: str, task_id: str
    ) -> httpx.Response:
        """``user`` clicks a card button."""
        return await self.deliver(self.card_event_xml(user, event_key, response_code, task_id))

    async def verify_url(self, echo: str = "echo-1234567890") -> httpx.Response:
        """The admin console's URL check with an encrypted ``echostr``."""
        timestamp = str(int(self.clock()))
        nonce = str(secrets.randbelow(10**10))
        echostr, signature = self.crypt.encrypt_message(echo, timestamp, nonce)
        return await self.http.get(
            self.url,
            params={
                "msg_signature": signature,
                "timestamp": timestamp,
                "nonce": nonce,
                "echostr": echostr,
            },
        )


# --- a running bot on WeCom, for end-to-end tests --------------------------------------------

TEST_TOKEN = "djbotCallbackToken"
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class WeComStack:
    """The fake WeCom API, the bot's HTTP server with the WeCom channel, and WeCom's side of
    the callback, all on 127.0.0.1."""

    api: FakeWeCom
    channel: Any  # bot.channels.wecom.channel.WeComChannel
    server: Any  # bot.http.WebServer
    player: CallbackPlayer

    async def say(self, user: str, text: str) -> list[SentMessage]:
        """``user`` sends ``text``; returns the messages the bot sent back (after handling)."""
        before = len(self.api.messages(user))
        response = await self.player.say(user, text)
        assert response.status_code == 200, response.text
        await self.channel.drain()
        return self.api.messages(user)[before:]

    async def press(self, user: str, card: SentMessage, label: str) -> list[SentMessage]:
        """``user`` clicks ``label`` on ``card``; returns new messages (the card may change in
        place: see ``card.history``)."""
        before = len(self.api.messages(user))
        key, code = self.api.click(card, label)
        response = await self.player.press(user, key, code, str(card.body.get("task_id", "")))
        assert response.status_code == 200, response.text
        await self.channel.drain()
        return self.api.messages(user)[before:]


@contextlib.asynccontextmanager
async def running_wecom(
    dispatcher: Any, db: Any, **channel_options: Any
) -> AsyncIterator[WeComStack]:
    """Start the fake API, the channel and the HTTP server on an ephemeral port."""
    from support import wecom_settings

    from bot.channels.wecom.channel import WeComChannel
    from bot.http import WebServer

    async with FakeWeCom() as api:
        settings = wecom_settings(api)
        channel = WeComChannel(settings, dispatcher, db, **channel_options)
        server = WebServer("127.0.0.1", 0, db=db)
        server.add_routes(channel.routes())
        await channel.start()
        await server.start()
        player = CallbackPlayer(
            f"{server.base_url}/wecom/callback",
            token=TEST_TOKEN,
            aes_key=TEST_AES_KEY,
            corp_id=api.corp_id,
            agent_id=api.agent_id,
        )
        try:
            yield WeComStack(api, channel, server, player)
        finally:
            await player.aclose()
            await server.stop()
            await channel.stop()
