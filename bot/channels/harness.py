"""A channel for tests (like errbot's test backend): scripted users talk to the real
dispatcher, and each call returns the replies.

    harness = Harness(dispatcher, user_id="1001", name="张书记")
    replies = await harness.say("/start")
    await harness.press("保存")
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.messages import CHANNEL_TEST, Address, Dispatcher, Inbound, Reply, StartLink


class Harness:
    """One scripted user on the ``test`` channel, in a private chat.

    ``now`` (aware) is the arrival time of the next message; tests set it to fix the date.
    ``last`` holds the replies to the previous message, whose buttons :meth:`press` uses.
    ``start_link`` plays a channel with deep links (``/invite`` then offers one).
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str,
        name: str = "",
        *,
        now: datetime | None = None,
        channel: str = CHANNEL_TEST,
        start_link: StartLink | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.address = Address(channel, user_id, user_id)
        self.name = name
        self.now = now or datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        self.start_link = start_link
        self.last: list[Reply] = []
        self._message_id = 0

    async def say(self, text: str) -> list[Reply]:
        """Send ``text``; returns the replies."""
        return await self._send(Inbound(self.address, text=text))

    async def press(self, label: str) -> list[Reply]:
        """Press the button labelled ``label`` among the last replies.

        Raises:
            LookupError: when no such button was shown.
        """
        for r in reversed(self.last):
            for choice in r.flat_choices():
                if choice.label == label:
                    return await self.press_data(choice.data)
        shown = [c.label for r in self.last for c in r.flat_choices()]
        raise LookupError(f"no button {label!r}; shown: {shown}")

    async def press_data(self, data: str) -> list[Reply]:
        """Send a button press with arbitrary data (for forged or stale presses)."""
        return await self._send(Inbound(self.address, choice=data))

    async def _send(self, inbound: Inbound) -> list[Reply]:
        self._message_id += 1
        inbound = replace(
            inbound,
            display_name=self.name,
            message_id=str(self._message_id),
            received_at=self.now,
            start_link=self.start_link,
        )
        self.last = await self.dispatcher.handle(inbound)
        return self.last

    @staticmethod
    def text(replies: list[Reply]) -> str:
        """All reply texts joined, for assertions."""
        return "\n".join(r.text for r in replies)
