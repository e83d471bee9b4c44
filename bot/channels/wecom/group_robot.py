"""The branch group's WeCom group robot (群机器人): reminders posted into a group chat.

Source: WeCom developer centre, "群机器人配置说明" (group robot configuration):

* ``POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`` with a JSON body; the whole
  URL is the robot's secret (``Organization.wecom_webhook_url``).
* ``text``: ``content`` at most 2048 bytes of UTF-8, ``mentioned_list`` of userids to @
  (``"@all"`` for everyone), ``mentioned_mobile_list`` of phone numbers.
* ``markdown``: ``content`` at most 4096 bytes; members are @-mentioned inside the content with
  ``<@userid>`` (the markdown type has no ``mentioned_list``).
* "每个机器人发送的消息不能超过20条/分钟": :class:`GroupRobot` paces itself per webhook URL.
  Over the limit WeCom answers 45009 (or 130101 "send too fast"); the call is retried after a
  back-off, then :class:`~bot.channels.wecom.api.WeComRateLimitError` is raised.

Texts longer than a message are split at paragraph/sentence boundaries (mentions go with the
first part only). The reminder sweep posts through :meth:`GroupRobot.post` (``bot.app`` opens one
robot for every process that sends reminders). Usage::

    robot = GroupRobot()
    await robot.send_text(org.wecom_webhook_url, "请于本周五前报送……", mentioned=["zhangsan"])
    await robot.aclose()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from bot.channels.splitting import split_text, utf8_size
from bot.channels.wecom.api import (
    BUSY,
    Clock,
    Sleep,
    SlidingWindowPacer,
    WeComApiError,
    WeComRateLimitError,
    WeComUnavailableError,
)
from bot.messages import SendError

__all__ = ["ROBOT_MARKDOWN_LIMIT", "ROBOT_PER_MINUTE", "ROBOT_TEXT_LIMIT", "GroupRobot"]

#: "群机器人配置说明": text ``content`` "最长不超过2048个字节".
ROBOT_TEXT_LIMIT: Final[int] = 2048
#: "群机器人配置说明": markdown ``content`` "最长不超过4096个字节".
ROBOT_MARKDOWN_LIMIT: Final[int] = 4096
#: "群机器人配置说明": "每个机器人发送的消息不能超过20条/分钟".
ROBOT_PER_MINUTE: Final[int] = 20
#: Rate-limit answers of the webhook: 45009 (全局错误码) and 130101 ("send too fast").
_RATE_LIMITED: Final[frozenset[int]] = frozenset({45009, 130101})


def _robot_key(webhook_url: str) -> str:
    """The pacing key of a webhook: its URL without surrounding blanks (the key parameter is
    part of it)."""
    return webhook_url.strip()


class GroupRobot:
    """Posts to group-robot webhooks, at most 20 messages a minute per robot.

    Args:
        http: an ``httpx.AsyncClient`` to use (closed by :meth:`aclose` only if created here).
        clock, sleep: injected time (monotonic seconds) and waiting, for tests.
        per_minute: messages per robot per 60 seconds.
        rate_limit_retries, rate_limit_backoff: retries of a rate-limit answer, waiting
            ``rate_limit_backoff * 2**attempt`` seconds before each.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        per_minute: int = ROBOT_PER_MINUTE,
        rate_limit_retries: int = 2,
        rate_limit_backoff: float = 5.0,
    ) -> None:
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._sleep = sleep
        self._retries = rate_limit_retries
        self._backoff = rate_limit_backoff
        self.pacer = SlidingWindowPacer(per_minute, 60.0, clock=clock, sleep=sleep)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_http:
            await self._http.aclose()

    async def send_text(
        self,
        webhook_url: str,
        text: str,
        *,
        mentioned: Sequence[str] = (),
        mentioned_mobiles: Sequence[str] = (),
    ) -> int:
        """Post ``text`` (split into 2048-byte messages) and @-mention members in the first.

        Returns:
            The number of messages posted.

        Raises:
            ValueError: the URL is not an http(s) URL.
            WeComRateLimitError, WeComApiError, WeComUnavailableError: the robot refused or
                could not be reached; earlier parts were posted.
        """
        chunks = split_text(text, ROBOT_TEXT_LIMIT, size=utf8_size)
        for index, chunk in enumerate(chunks):
            body: dict[str, Any] = {"content": chunk}
            if index == 0 and mentioned:
                body["mentioned_list"] = list(mentioned)
            if index == 0 and mentioned_mobiles:
                body["mentioned_mobile_list"] = list(mentioned_mobiles)
            await self._post(webhook_url, {"msgtype": "text", "text": body})
        return len(chunks)

    async def post(self, webhook_url: str, text: str, mention: Sequence[str] = ()) -> None:
        """:meth:`send_text` as a :class:`~bot.messages.GroupSender` (the reminders' group
        posts): failures come as :class:`~bot.messages.SendError` (a refused robot, e.g. a
        deleted one, is permanent; rate limits and outages are not).

        Raises:
            SendError: the robot refused or could not be reached.
        """
        try:
            await self.send_text(webhook_url, text, mentioned=mention)
        except WeComRateLimitError as exc:
            raise SendError(str(exc), permanent=False, retry_after=exc.retry_after) from exc
        except WeComApiError as exc:
            raise SendError(str(exc), permanent=exc.permanent) from exc
        except WeComUnavailableError as exc:
            raise SendError(str(exc), permanent=False) from exc
        except ValueError as exc:
            raise SendError(str(exc), permanent=True) from exc

    async def send_markdown(
        self, webhook_url: str, text: str, *, mentioned: Sequence[str] = ()
    ) -> int:
        """Post markdown (split into 4096-byte messages); ``mentioned`` userids are appended to
        the last part as ``<@userid>``.

        Returns:
            The number of messages posted.

        Raises:
            ValueError, WeComRateLimitError, WeComApiError, WeComUnavailableError: as
                :meth:`send_text`.
        """
        if mentioned:
            text = text.rstrip() + "\n" + " ".join(f"<@{user}>" for user in mentioned)
        chunks = split_text(text, ROBOT_MARKDOWN_LIMIT, size=utf8_size)
        for chunk in chunks:
            await self._post(webhook_url, {"msgtype": "markdown", "markdown": {"content": chunk}})
        return len(chunks)

    async def _post(self, webhook_url: str, payload: dict[str, Any]) -> None:
        parts = urlsplit(webhook_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("群机器人 Webhook 地址无效")
        path = parts.path or "/"
        attempt = 0
        while True:
            await self.pacer.acquire(_robot_key(webhook_url))
            try:
                response = await self._http.post(webhook_url.strip(), json=payload)
            except httpx.HTTPError as exc:
                raise WeComUnavailableError(f"无法连接群机器人：{type(exc).__name__}") from exc
            if response.status_code >= 500:
                raise WeComUnavailableError(f"群机器人返回 HTTP {response.status_code}")
            try:
                data = response.json()
            except ValueError as exc:
                raise WeComUnavailableError("群机器人返回的不是 JSON") from exc
            errcode = data.get("errcode", 0) if isinstance(data, dict) else BUSY
            errmsg = str(data.get("errmsg", "")) if isinstance(data, dict) else ""
            if errcode in _RATE_LIMITED:
                wait = self._backoff * 2**attempt
                if attempt >= self._retries:
                    raise WeComRateLimitError(path, errmsg, wait)
                attempt += 1
                await self._sleep(wait)
                continue
            if errcode != 0:
                raise WeComApiError(path, int(errcode), errmsg)
            return
