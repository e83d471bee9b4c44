"""The shared dispatch loop: replies addressed to another chat go to the channel's sender and
never into the chat the message came from."""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.base import converse
from bot.messages import Address, Inbound, Reply

GROUP = Address("test", "-100", "7")
PRIVATE = Address("test", "7", "7")


class Fixed:
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies

    async def handle(self, inbound: Inbound) -> list[Reply]:
        return self.replies

    def menu(self) -> Sequence[tuple[str, str]]:
        return []


async def test_a_private_reply_to_a_group_message_is_delivered_privately() -> None:
    rendered: list[str] = []
    delivered: list[tuple[Address, str]] = []

    async def render(reply: Reply) -> None:
        rendered.append(reply.text)

    async def deliver(to: Address, reply: Reply) -> None:
        delivered.append((to, reply.text))

    async def apologize() -> None:
        rendered.append("sorry")

    replies = [Reply("已私信发送"), Reply("报告正文", to=PRIVATE), Reply("群内", to=GROUP)]
    inbound = Inbound(GROUP, text="/report", in_group=True)
    await converse(Fixed(replies), inbound, render, apologize, deliver=deliver)
    assert rendered == ["已私信发送", "群内"]
    assert delivered == [(PRIVATE, "报告正文")]
    # a channel that cannot deliver elsewhere drops it: the report never lands in the group
    rendered.clear()
    await converse(Fixed(replies), inbound, render, apologize)
    assert rendered == ["已私信发送", "群内"]
