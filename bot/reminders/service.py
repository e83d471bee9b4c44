"""The reminder scheduler inside ``djbot run``: APScheduler 3's ``AsyncIOScheduler`` wakes a
sweep (:func:`bot.reminders.sweep.sweep`) daily at the send time (default 09:00 local), every hour
for catch-up, and once shortly after start-up. The scheduler holds no state of its own (an
in-memory job store of three jobs): the database decides what is due and records every send,
so a restart, missed runs or a second process are safe (``shared/docs/architecture.md``,
"Scheduling").

Sweeps of one process never overlap (a lock; APScheduler's ``max_instances=1`` per job and
``coalesce`` for runs missed while the loop was busy). Reminders are sent through their own
sending-only channel objects (opened by the caller's ``open_senders``, :func:`bot.app.open_senders`
in ``djbot run``), not the polling ones, so their pacing and retries stay in
:mod:`bot.reminders.sweep`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.taxonomy import Taxonomy
from bot.domain.workdays import WorkdayCalendar
from bot.messages import GroupSender, Sender
from bot.reminders.config import ReminderConfig
from bot.reminders.pacing import Pacer, default_pacers
from bot.reminders.sweep import SweepSummary, sweep
from storage.database import Database

log = logging.getLogger(__name__)

#: The first sweep after start-up runs this many seconds in (catch-up after downtime).
STARTUP_DELAY = 5.0


class OpenSenders:
    """Sending-only channel objects, by channel name, and how to close them."""

    def __init__(self) -> None:
        self.senders: dict[str, Sender] = {}
        #: posts into branch groups (WeCom's group robot), when one was opened
        self.group: GroupSender | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def add(self, channel: str, sender: Sender, close: Callable[[], Awaitable[None]]) -> None:
        """Register an opened sender and its close function."""
        self.senders[channel] = sender
        self._closers.append(close)

    def add_group(self, sender: GroupSender, close: Callable[[], Awaitable[None]]) -> None:
        """Register the group sender and its close function."""
        self.group = sender
        self._closers.append(close)

    async def close(self) -> None:
        """Close every sender (errors are logged, not raised)."""
        for close in reversed(self._closers):
            try:
                await close()
            except Exception:
                log.exception("关闭发送通道出错")
        self._closers.clear()
        self.senders.clear()
        self.group = None


class ReminderService:
    """The scheduler as a ``djbot run`` service (see :class:`bot.app.Service`).

    Args:
        config: when reminders go out and how they are paced (``ReminderConfig.from_settings``).
        db, taxonomy: from the running app.
        open_senders: opens the sending-only channels when the service starts (closed when it
            stops); a member whose channel has no sender is marked failed with the reason.
        calendar: working days (the installed chinesecalendar by default).
        clock: the wall clock, aware UTC (tests pass a fixed one).
        startup_delay: seconds from start to the first (catch-up) sweep.
    """

    name = "reminders"
    is_channel = False

    def __init__(
        self,
        config: ReminderConfig,
        db: Database,
        taxonomy: Taxonomy,
        *,
        open_senders: Callable[[], Awaitable[OpenSenders]],
        calendar: WorkdayCalendar | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        startup_delay: float = STARTUP_DELAY,
    ) -> None:
        self.config = config
        self.db = db
        self.taxonomy = taxonomy
        self._open_senders = open_senders
        self.calendar = calendar or WorkdayCalendar()
        self.clock = clock
        self.startup_delay = startup_delay
        self.pacers: dict[str, Pacer] = default_pacers()
        self.last: SweepSummary | None = None
        self._senders: OpenSenders | None = None
        self._scheduler: Any = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._running: asyncio.Task[SweepSummary] | None = None

    def calendar_warnings(self, today: datetime | None = None) -> list[str]:
        """Fallback-calendar warnings for the years of the next 92 days (naming each year)."""
        local = (today or self.clock()).astimezone(self.config.tz).date()
        years = {local.year, (local + timedelta(days=92)).year}
        return [self.calendar.fallback_warning(y) for y in self.calendar.unknown_years(years)]

    async def start(self) -> None:
        """Open the senders, log calendar warnings and start the scheduler."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.date import DateTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        for warning in self.calendar_warnings():
            log.warning("%s", warning)
        self._senders = await self._open_senders()
        tz = self.config.tz
        send_time = self.config.send_time
        scheduler = AsyncIOScheduler(timezone=tz)
        options: dict[str, Any] = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": 3600,
            "replace_existing": True,
        }
        scheduler.add_job(
            self.run_sweep,
            CronTrigger(hour=send_time.hour, minute=send_time.minute, timezone=tz),
            id="reminders-daily",
            **options,
        )
        scheduler.add_job(
            self.run_sweep, IntervalTrigger(hours=1, timezone=tz), id="reminders-hourly", **options
        )
        first = datetime.now(UTC) + timedelta(seconds=self.startup_delay)
        scheduler.add_job(
            self.run_sweep, DateTrigger(run_date=first), id="reminders-startup", **options
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "提醒调度已启动：每天 %s 及每小时检查一次（%s，免打扰 %s）",
            f"{send_time:%H:%M}",
            tz.key,
            self.config.quiet,
        )

    async def run_sweep(self) -> SweepSummary | None:
        """One sweep now (skipped when one is running); its summary is logged and kept."""
        if self._lock.locked() or self._stop.is_set():
            return None
        async with self._lock:
            senders = self._senders.senders if self._senders else {}
            group = self._senders.group if self._senders else None
            task = asyncio.create_task(
                sweep(
                    self.db,
                    senders,
                    self.clock(),
                    self.config,
                    taxonomy=self.taxonomy,
                    calendar=self.calendar,
                    pacers=self.pacers,
                    stop=self._stop,
                    group_sender=group,
                )
            )
            self._running = task
            try:
                summary = await task
            except Exception:
                log.exception("提醒检查出错")
                return None
            finally:
                self._running = None
        self.last = summary
        if summary.queued or summary.sent or summary.failed or summary.expired:
            log.info("%s", summary.text())
        else:
            log.debug("%s", summary.text())
        return summary

    async def stop(self) -> None:
        """Stop the scheduler, let a running sweep finish its messages in flight (it takes no
        new ones), and close the senders. Idempotent."""
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        running = self._running
        if running is not None:
            try:
                await asyncio.wait_for(asyncio.shield(running), timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                running.cancel()
            except Exception:
                log.exception("提醒检查出错")
        if self._senders is not None:
            await self._senders.close()
            self._senders = None
