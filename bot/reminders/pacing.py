"""Pacing sends per channel.

Telegram allows about 30 messages per second overall and one per second per chat
(https://core.telegram.org/bots/faq, "My bot is hitting limits, how do I avoid this?"); the
Telegram pacer (:func:`telegram_pacer`) spaces messages evenly at 28.5 a second, never more than
29 in any sliding second, and one per chat per second. Other channels bring their own pacing
(WeCom: see its adapter); :func:`default_pacer` applies otherwise.
"""

from __future__ import annotations

import asyncio
import math
import time as monotonic_time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.messages import CHANNEL_TELEGRAM

#: An awaitable sleep of some seconds (tests pass a fake).
Sleep = Callable[[float], Awaitable[None]]


class Pacer:
    """Paces sends on one channel: ``rate`` starts per ``window`` seconds on average and never
    more than ``limit`` (default ``rate`` rounded up) in any ``window`` (a sliding window over
    the actual starts), at most one start per chat every ``per_chat`` seconds, and none while
    held (:meth:`hold`, after a 429).

    Starts are spread evenly on a schedule of slots ``window / rate`` apart. The schedule, not
    the actual start, sets the next slot, so a waiter woken a millisecond late does not shift
    every later slot (that drift alone cost 3% of the rate). A slot missed by less than
    :attr:`catch_up` intervals is still used; after a longer gap (idle, a hold) the schedule
    restarts at the current time, so a pause is never followed by a burst.

    ``clock`` is monotonic seconds, ``sleep`` an awaitable sleep (tests pass fakes).
    """

    #: How late (in slot intervals) a start may still use its slot.
    catch_up = 0.5

    def __init__(
        self,
        rate: float,
        window: float = 1.0,
        per_chat: float = 1.0,
        *,
        limit: int | None = None,
        clock: Callable[[], float] = monotonic_time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or window <= 0:
            raise ValueError("rate and window must be > 0")
        self.rate = rate
        self.limit = limit if limit is not None else math.ceil(rate)
        self.window = window
        self.per_chat = per_chat
        self._interval = window / rate
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._chat_ready: dict[str, float] = {}
        self._held_until = 0.0
        self._next_slot = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float, chat: str | None = None) -> None:
        """Pause all starts (and ``chat``'s) for ``seconds`` from now (Telegram's
        ``retry_after``)."""
        until = self._clock() + seconds
        self._held_until = max(self._held_until, until)
        if chat is not None:
            self._chat_ready[chat] = max(self._chat_ready.get(chat, 0.0), until)

    async def wait_turn(self, chat: str) -> None:
        """Wait until a message to ``chat`` may start, and count it as started."""
        while True:
            ready = self._chat_ready.get(chat, 0.0) - self._clock()
            if ready > 0:
                await self._sleep(ready)
                continue
            async with self._lock:
                while True:
                    now = self._clock()
                    while self._starts and self._starts[0] <= now - self.window:
                        self._starts.popleft()
                    slot = self._next_slot
                    if slot < now - self.catch_up * self._interval:
                        slot = now  # idle or held: start the schedule afresh, no burst
                    wait = max(self._held_until - now, slot - now)
                    if len(self._starts) >= self.limit:
                        wait = max(wait, self._starts[0] + self.window - now)
                    if wait <= 0:
                        break
                    await self._sleep(wait)
                if self._chat_ready.get(chat, 0.0) > now:
                    continue  # held for this chat meanwhile: wait outside the lock
                self._next_slot = slot + self._interval
                self._starts.append(now)
                if len(self._chat_ready) > 100_000:
                    self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
                self._chat_ready[chat] = now + self.per_chat
                return


def telegram_pacer() -> Pacer:
    """Telegram's: 28.5 a second on average and at most 29 in any second as sent, one per chat
    per second. Telegram allows about 30 a second; the half-message margin absorbs network
    jitter (requests sent 35 ms apart may arrive closer) and leaves room for conversation
    replies."""
    return Pacer(28.5, 1.0, 1.0, limit=29)


def default_pacer() -> Pacer:
    """For a channel without its own pacer: 10 a second, one per chat every 2 seconds."""
    return Pacer(10, 1.0, 2.0)


def default_pacers() -> dict[str, Pacer]:
    """A pacer per known channel (Telegram); others get :func:`default_pacer` on first use."""
    return {CHANNEL_TELEGRAM: telegram_pacer()}
