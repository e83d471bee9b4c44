"""An async client for the WeCom server API a self-built app (自建应用) needs to chat.

Sources (WeCom developer centre, 服务端API):

* "获取access_token": ``GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET`` ->
  ``{"errcode": 0, "access_token": ..., "expires_in": 7200}``. The token is cached and reused
  (fetching it for every call is rate limited); it is refreshed ``refresh_margin`` seconds
  before it expires, and at once when a call answers 40014 (不合法的access_token) or 42001
  (access_token已过期), after which that call is retried once ("全局错误码").
* "发送应用消息": ``POST /cgi-bin/message/send`` with ``touser``, ``msgtype``, ``agentid``:
  ``text`` (``content`` at most 2048 bytes), ``markdown`` (``content`` at most 2048 bytes),
  ``file`` (``media_id``), ``template_card``. The answer carries ``msgid``; for a template card
  also a ``response_code`` that can update the card once. Unknown recipients come back in
  ``invaliduser`` with errcode 0. "每应用对同一个成员不可超过30次/分钟，1000次/小时，超过部分会被
  丢弃不下发": messages beyond that are silently dropped, so :class:`SlidingWindowPacer` waits
  instead of sending the 31st message within a minute.
* "上传临时素材": ``POST /cgi-bin/media/upload?type=file``, ``multipart/form-data`` with the file
  in the field ``media`` (its ``filename`` is what the recipient sees, Chinese included); files
  of 6 bytes to 20 MB; the ``media_id`` lives three days.
* "更新模版卡片消息": ``POST /cgi-bin/message/update_template_card`` with ``userids``,
  ``agentid``, ``response_code`` and either ``button.replace_name`` (buttons greyed out with
  that text) or a whole new ``template_card``; each response code works once, for 72 hours.
* "全局错误码": 45009 (接口调用超过限制) is retried after an exponential back-off; -1 (系统繁忙)
  and HTTP 5xx are reported as :class:`WeComUnavailableError`, never retried for a send
  (the message may have gone out).

Nothing here reads settings or the wall clock directly: the clock and ``sleep`` are injected,
so tests drive token expiry and pacing without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from bot.channels.splitting import split_text, utf8_size

__all__ = [
    "DEFAULT_BASE_URL",
    "FILE_MAX_BYTES",
    "FILE_MIN_BYTES",
    "MARKDOWN_LIMIT",
    "TEXT_LIMIT",
    "SendResult",
    "SlidingWindowPacer",
    "WeComApiError",
    "WeComClient",
    "WeComError",
    "WeComRateLimitError",
    "WeComUnavailableError",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final[str] = "https://qyapi.weixin.qq.com"

#: Most bytes of UTF-8 in one text message ("发送应用消息", 文本消息: "最长不超过2048个字节").
TEXT_LIMIT: Final[int] = 2048
#: Most bytes of UTF-8 in one app markdown message ("发送应用消息", markdown消息: "最长不超过
#: 2048个字节"; the group robot allows 4096, see ``group_robot.py``).
MARKDOWN_LIMIT: Final[int] = 2048
#: File size bounds for ``type=file`` uploads ("上传临时素材": "所有文件size必须大于5个字节",
#: "普通文件(file)：20MB").
FILE_MIN_BYTES: Final[int] = 6
FILE_MAX_BYTES: Final[int] = 20 * 1024 * 1024

#: "全局错误码": 40014 不合法的access_token, 42001 access_token已过期.
TOKEN_ERRORS: Final[frozenset[int]] = frozenset({40014, 42001})
#: "全局错误码": 45009 接口调用超过限制.
RATE_LIMITED: Final[int] = 45009
#: "全局错误码": -1 系统繁忙.
BUSY: Final[int] = -1
#: "全局错误码": 81013 UserID、部门ID、标签ID全部非法或无权限 (also used here for a recipient
#: listed in ``invaliduser``).
INVALID_USER: Final[int] = 81013

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class WeComError(Exception):
    """A WeCom API call failed."""


class WeComApiError(WeComError):
    """WeCom answered with a non-zero ``errcode``.

    ``permanent`` is true when repeating the same request cannot succeed (bad parameters,
    unknown user, no permission); false for busy and rate-limit answers.
    """

    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"企业微信接口 {path} 返回错误 {errcode}：{errmsg[:200]}")
        self.path = path
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def permanent(self) -> bool:
        """Whether retrying later is pointless."""
        return self.errcode not in (BUSY, RATE_LIMITED, *TOKEN_ERRORS)


class WeComRateLimitError(WeComApiError):
    """45009 persisted through the back-off; ``retry_after`` seconds is a sensible wait."""

    def __init__(self, path: str, errmsg: str, retry_after: float) -> None:
        super().__init__(path, RATE_LIMITED, errmsg)
        self.retry_after = retry_after


class WeComUnavailableError(WeComError):
    """WeCom could not be reached, answered HTTP 5xx, or answered something that is not JSON."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """What ``message/send`` answered: the ``msgid`` and, for a template card, the
    ``response_code`` that can update it once (72 hours)."""

    msgid: str
    response_code: str = ""


class SlidingWindowPacer:
    """At most ``limit`` events per ``window`` seconds per key; :meth:`acquire` waits for a slot.

    Used for WeCom's 30 messages a minute per member and the group robot's 20 a minute.
    Keys whose window has emptied are forgotten, so memory stays bounded by active keys.
    """

    def __init__(self, limit: int, window: float, *, clock: Clock, sleep: Sleep) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._sent.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    async def acquire(self, key: str) -> float:
        """Wait until ``key`` may send again and record the send; returns the seconds waited."""
        waited = 0.0
        while True:
            now = self._clock()
            times = self._prune(key, now)
            if len(times) < self.limit:
                times.append(now)
                self._forget_idle(now)
                return waited
            delay = max(times[0] + self.window - now, 0.001)
            waited += delay
            await self._sleep(delay)

    def _forget_idle(self, now: float) -> None:
        if len(self._sent) > 1024:
            for key in [k for k, v in self._sent.items() if not v or v[-1] <= now - self.window]:
                del self._sent[key]


class WeComClient:
    """The app's API client: token cache, messages, files, template cards.

    Args:
        corp_id: the CorpID (企业ID).
        secret: the app's Secret.
        agent_id: the app's AgentId.
        base_url: API root, ``https://qyapi.weixin.qq.com`` (tests point it at a fake server).
        http: an ``httpx.AsyncClient`` to use (closed by :meth:`aclose` only if created here).
        clock: monotonic seconds (token expiry, pacing); ``time.monotonic`` by default.
        sleep: how to wait (``asyncio.sleep``); tests pass a fake.
        refresh_margin: refresh the token this many seconds before it expires (at most half
            its lifetime).
        member_limit, member_window: pacing of ``message/send`` per member (30 per 60 s).
        rate_limit_retries: how many times a 45009 answer is retried, waiting
            ``rate_limit_backoff * 2**attempt`` seconds before each retry.
    """

    def __init__(
        self,
        *,
        corp_id: str,
        secret: str,
        agent_id: int,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        refresh_margin: float = 300.0,
        member_limit: int = 30,
        member_window: float = 60.0,
        rate_limit_retries: int = 3,
        rate_limit_backoff: float = 2.0,
    ) -> None:
        if not corp_id or not secret:
            raise ValueError("未配置企业微信 CorpID 或应用 Secret")
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._clock = clock
        self._sleep = sleep
        self._refresh_margin = refresh_margin
        self._rate_limit_retries = rate_limit_retries
        self._rate_limit_backoff = rate_limit_backoff
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self.pacer = SlidingWindowPacer(member_limit, member_window, clock=clock, sleep=sleep)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_http:
            await self._http.aclose()

    # --- access token ---------------------------------------------------------------------------

    async def access_token(self, *, refresh: bool = False) -> str:
        """The cached ``access_token``, fetched anew when missing, near expiry or ``refresh``.

        Raises:
            WeComApiError: ``gettoken`` refused (40013 bad CorpID, 40001 bad Secret...).
            WeComUnavailableError: WeCom could not be reached.
        """
        async with self._token_lock:
            if not refresh and self._token and self._clock() < self._token_expires:
                return self._token
            data = await self._request(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self._secret},
            )
            self._check(data, "/cgi-bin/gettoken")
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeComUnavailableError("gettoken 没有返回 access_token")
            lifetime = float(data.get("expires_in") or 7200)
            margin = min(self._refresh_margin, lifetime / 2)
            self._token = token
            self._token_expires = self._clock() + lifetime - margin
            log.info("企业微信 access_token 已更新，有效期 %.0f 秒", lifetime)
            return token

    async def _invalidate(self, token: str) -> None:
        async with self._token_lock:
            if self._token == token:
                self._token = None

    # --- transport ------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One HTTP call; returns the JSON object.

        Raises:
            WeComUnavailableError: network failure, HTTP 5xx or a body that is not a JSON object.
        """
        url = self.base_url + path
        try:
            response = await self._http.request(method, url, params=params, json=json, files=files)
        except httpx.HTTPError as exc:
            raise WeComUnavailableError(
                f"无法连接企业微信（{path}）：{type(exc).__name__}"
            ) from exc
        if response.status_code >= 500:
            raise WeComUnavailableError(f"企业微信 {path} 返回 HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WeComUnavailableError(
                f"企业微信 {path} 返回的不是 JSON（HTTP {response.status_code}）"
            ) from exc
        if not isinstance(data, dict):
            raise WeComUnavailableError(f"企业微信 {path} 返回的不是 JSON 对象")
        return data

    @staticmethod
    def _check(data: dict[str, Any], path: str) -> None:
        errcode = data.get("errcode", 0)
        if not isinstance(errcode, int):
            raise WeComUnavailableError(f"企业微信 {path} 返回的 errcode 无效")
        if errcode != 0:
            raise WeComApiError(path, errcode, str(data.get("errmsg", "")))

    async def call(
        self,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST to an API path with the access token; returns the answer (``errcode`` 0).

        A 40014/42001 answer refreshes the token and retries once; 45009 is retried with an
        exponential back-off (``rate_limit_retries`` times).

        Raises:
            WeComRateLimitError: still 45009 after the back-off.
            WeComApiError: any other non-zero ``errcode``.
            WeComUnavailableError: network failure or HTTP 5xx (not retried).
        """
        refreshed = False
        attempt = 0
        while True:
            token = await self.access_token()
            query = {"access_token": token, **(params or {})}
            data = await self._request("POST", path, params=query, json=json, files=files)
            errcode = data.get("errcode", 0)
            if errcode in TOKEN_ERRORS and not refreshed:
                log.info("企业微信 access_token 失效（%s），重新获取", errcode)
                await self._invalidate(token)
                refreshed = True
                continue
            if errcode == RATE_LIMITED:
                if attempt >= self._rate_limit_retries:
                    wait = self._rate_limit_backoff * 2**attempt
                    raise WeComRateLimitError(path, str(data.get("errmsg", "")), wait)
                wait = self._rate_limit_backoff * 2**attempt
                log.warning("企业微信限流（45009），%.1f 秒后重试 %s", wait, path)
                attempt += 1
                await self._sleep(wait)
                continue
            self._check(data, path)
            return data

    # --- messages -------------------------------------------------------------------------------

    async def _send(self, user: str, msgtype: str, body: dict[str, Any]) -> SendResult:
        await self.pacer.acquire(user)
        payload = {"touser": user, "msgtype": msgtype, "agentid": self.agent_id, msgtype: body}
        data = await self.call("/cgi-bin/message/send", json=payload)
        invalid = str(data.get("invaliduser") or "")
        if user in invalid.split("|"):
            raise WeComApiError("/cgi-bin/message/send", INVALID_USER, f"invaliduser {user}")
        return SendResult(
            msgid=str(data.get("msgid") or ""), response_code=str(data.get("response_code") or "")
        )

    async def send_text(self, user: str, text: str) -> list[SendResult]:
        """Send ``text`` to one member, split into messages of at most 2048 bytes at paragraph,
        line or sentence boundaries. Empty text sends nothing.

        Raises:
            WeComError: see :meth:`call`; messages before the failing one were sent.
        """
        return [
            await self._send(user, "text", {"content": chunk})
            for chunk in split_text(text, TEXT_LIMIT, size=utf8_size)
        ]

    async def send_markdown(self, user: str, text: str) -> list[SendResult]:
        """Send markdown to one member, split into messages of at most 2048 bytes.

        Raises:
            WeComError: see :meth:`call`.
        """
        return [
            await self._send(user, "markdown", {"content": chunk})
            for chunk in split_text(text, MARKDOWN_LIMIT, size=utf8_size)
        ]

    async def upload_media(
        self,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        media_type: str = "file",
    ) -> str:
        """Upload a temporary file; returns its ``media_id`` (valid three days).

        The multipart part is named ``media`` and carries ``filename`` as UTF-8, which is what
        the recipient sees ("上传临时素材").

        Raises:
            ValueError: the content is under 6 bytes or over 20 MB.
            WeComError: see :meth:`call`.
        """
        if not FILE_MIN_BYTES <= len(content) <= FILE_MAX_BYTES:
            raise ValueError(f"文件大小须为 {FILE_MIN_BYTES} 字节至 20MB，实际 {len(content)} 字节")
        data = await self.call(
            "/cgi-bin/media/upload",
            params={"type": media_type},
            files={"media": (filename, content, mime_type)},
        )
        media_id = data.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeComUnavailableError("media/upload 没有返回 media_id")
        return media_id

    async def send_file(self, user: str, media_id: str) -> SendResult:
        """Send an uploaded file to one member.

        Raises:
            WeComError: see :meth:`call`.
        """
        return await self._send(user, "file", {"media_id": media_id})

    async def send_document(
        self, user: str, filename: str, content: bytes, mime_type: str = "application/octet-stream"
    ) -> SendResult:
        """Upload a file and send it to one member.

        Raises:
            ValueError, WeComError: see :meth:`upload_media` and :meth:`call`.
        """
        media_id = await self.upload_media(filename, content, mime_type)
        return await self.send_file(user, media_id)

    async def send_template_card(self, user: str, card: dict[str, Any]) -> SendResult:
        """Send a template card (``template_card`` object as in "发送应用消息"); the result's
        ``response_code`` can update it once.

        Raises:
            WeComError: see :meth:`call`.
        """
        return await self._send(user, "template_card", card)

    async def update_template_card(
        self,
        user: str,
        response_code: str,
        *,
        card: dict[str, Any] | None = None,
        replace_name: str | None = None,
    ) -> None:
        """Update a card the member has ("更新模版卡片消息"): either grey out its buttons with
        ``replace_name`` or replace it by ``card``. Each ``response_code`` works once.

        Raises:
            ValueError: neither or both of ``card`` and ``replace_name``.
            WeComError: see :meth:`call`.
        """
        if (card is None) == (replace_name is None):
            raise ValueError("update_template_card needs exactly one of card and replace_name")
        payload: dict[str, Any] = {
            "userids": [user],
            "agentid": self.agent_id,
            "response_code": response_code,
        }
        if card is not None:
            payload["template_card"] = card
        else:
            payload["button"] = {"replace_name": replace_name}
        await self.call("/cgi-bin/message/update_template_card", json=payload)
