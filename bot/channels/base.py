"""What every channel adapter shares: the :class:`Channel` shape, the texts a channel sends on its
own (not the conversation's), and :func:`converse`, the one dispatch -> render -> apologise loop.

An adapter only translates: a channel's update becomes an :class:`~bot.messages.Inbound`, the
dispatcher returns :class:`~bot.messages.Reply` objects, and the adapter renders them in its own
way (an inline keyboard, a template card, numbered options). A new channel is a subpackage of
``bot/channels`` built on these, plus :mod:`bot.channels.inbox` if it takes webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final, Protocol

from bot.messages import Address, Dispatcher, Inbound, Reply, Sender

log = logging.getLogger(__name__)

#: Sent by a channel when the dispatcher or the rendering of its replies failed.
APOLOGY_MESSAGE: Final[str] = "抱歉，处理这条消息时出错了，请稍后再试。"
#: Sent for messages the channel cannot read (a sticker, a voice message...).
ONLY_TEXT_MESSAGE: Final[str] = "目前只能识别文字消息，请用文字描述活动情况。"


class Channel(Sender, Protocol):
    """A chat channel as ``djbot run`` runs it: a service that receives messages for the
    dispatcher, and a :class:`~bot.messages.Sender` for messages outside a conversation."""

    name: str
    is_channel: bool

    async def start(self) -> None:
        """Start receiving (raises if the channel cannot start)."""
        ...

    async def stop(self) -> None:
        """Stop receiving, finish what was taken in, release connections; idempotent."""
        ...


async def converse(
    dispatcher: Dispatcher,
    inbound: Inbound,
    render: Callable[[Reply], Awaitable[None]],
    apologize: Callable[[], Awaitable[None]],
    *,
    while_waiting: Callable[[], Coroutine[Any, Any, None]] | None = None,
    deliver: Callable[[Address, Reply], Awaitable[None]] | None = None,
) -> None:
    """Hand ``inbound`` to the dispatcher and ``render`` its replies in order; never raises.

    A failure of the dispatcher or of a render is logged with its traceback and answered with
    ``apologize()`` (whose own failure is logged too). ``while_waiting`` runs as long as the
    dispatcher works (a "typing..." indicator) and is cancelled when the replies are ready.

    A reply addressed to another chat (:attr:`Reply.to`: a report asked in a group, sign-in
    cards to each member) goes to ``deliver`` (the channel's :meth:`Sender.send`), never into
    this chat; without ``deliver`` it is dropped with a warning rather than shown to the wrong
    people.
    """
    waiting = asyncio.create_task(while_waiting()) if while_waiting is not None else None
    try:
        replies = await dispatcher.handle(inbound)
    except Exception:
        log.exception("处理消息出错：%s", inbound.address)
        await _apologize(apologize, inbound)
        return
    finally:
        if waiting is not None:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiting
    try:
        for reply in replies:
            if reply.to is not None and reply.to.chat_id != inbound.address.chat_id:
                if deliver is None:
                    log.warning("回复发往其他会话，但渠道不支持，已丢弃：%s", reply.to)
                    continue
                await deliver(reply.to, reply)
                continue
            await render(reply)
    except Exception:
        log.exception("发送回复出错：%s", inbound.address)
        await _apologize(apologize, inbound)


async def _apologize(apologize: Callable[[], Awaitable[None]], inbound: Inbound) -> None:
    try:
        await apologize()
    except Exception:
        log.exception("发送致歉消息失败：%s", inbound.address)
