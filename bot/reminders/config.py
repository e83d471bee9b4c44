"""How reminders are planned and delivered: :class:`ReminderConfig`, built from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deadlines import (
    DeadlineRules,
    PlanDefaults,
    QuietHours,
    parse_hhmm,
)


@dataclass(frozen=True, slots=True)
class ReminderConfig:
    """How reminders are planned and delivered (from the settings, see :meth:`from_settings`).

    ``send_time`` is the local time from which a day's reminders go out; ``lease`` how long a
    claim protects a row from other sweeps (must exceed the longest retry chain: ``max_tries``
    tries with backoff up to ``backoff_cap`` seconds and waits up to ``max_wait`` seconds);
    ``lookback_days`` how far back missed reminders are looked for (to log and drop them).
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    rules: DeadlineRules = field(default_factory=DeadlineRules)
    send_time: time = time(9, 0)
    quiet: QuietHours = field(default_factory=lambda: QuietHours(time(21), time(8)))
    nudge_day: int = 25
    lease: timedelta = timedelta(minutes=10)
    concurrency: int = 16
    max_tries: int = 5
    max_attempts: int = 15
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    max_wait: float = 300.0
    lookback_days: int = 7

    @classmethod
    def from_settings(cls, settings: Any) -> ReminderConfig:
        """Build from :class:`bot.settings.Settings` (fields ``reminder_*``, ``deadlines``,
        ``quiet_hours``, ``monthly_nudge_day``, ``timezone``).

        Raises:
            ValueError: a malformed setting (Chinese message).
        """
        defaults = PlanDefaults.from_settings(settings)
        return cls(
            tz=settings.tz,
            rules=defaults.rules,
            send_time=parse_hhmm(settings.reminder_time),
            quiet=QuietHours.parse(settings.quiet_hours),
            nudge_day=defaults.nudge_day,
            lease=timedelta(seconds=settings.reminder_lease_seconds),
            concurrency=settings.reminder_concurrency,
        )
