"""Which reminders of an organization are due on a day: the deadline plan
(:mod:`bot.domain.deadlines`) grouped so that deadlines sharing a date (Q2 and the first half
on 30 June; Q4 and the year on 31 December) make one reminder naming both periods. Pure: dates
in, :class:`DueReminder` out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.domain.deadlines import (
    DeadlineRules,
    PlannedReminder,
    ReminderKindName,
    monthly_plan,
    plan,
)
from bot.domain.periods import Period
from bot.domain.workdays import WorkdayCalendar


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder of one organization's plan on one day (before the recipients are known).

    ``periods`` are the periods it covers, shortest first (``2026Q2`` before ``2026H1``);
    ``estimated`` is true when the working-day calendar fell back to Monday-Friday.
    """

    kind: ReminderKindName
    deadline: date
    offset_days: int
    remind_on: date
    periods: tuple[Period, ...]
    estimated: bool

    @property
    def period_keys(self) -> str:
        """``"2026Q2,2026H1"``: stored in the send log."""
        return ",".join(p.key for p in self.periods)

    @property
    def main_period(self) -> Period:
        """The shortest period: what "recorded so far" counts."""
        return self.periods[0]

    @property
    def summary_period(self) -> Period:
        """The longest period: what the gaps are judged over (a year-end reminder judges the
        yearly rules such as 组织生活会)."""
        return self.periods[-1]


def group(items: Iterable[PlannedReminder]) -> list[DueReminder]:
    """Merge plan items of the same kind, deadline, offset and day into one reminder, in day
    order."""
    groups: dict[tuple[str, date, int, date], list[PlannedReminder]] = {}
    for item in items:
        key = (item.kind, item.deadline, item.offset_days, item.remind_on)
        groups.setdefault(key, []).append(item)
    out: list[DueReminder] = []
    for (kind, deadline, offset, remind_on), members in groups.items():
        periods = tuple(
            sorted((m.period for m in members), key=lambda p: (p.end - p.start, p.start))
        )
        out.append(
            DueReminder(
                kind="monthly" if kind == "monthly" else "deadline",
                deadline=deadline,
                offset_days=offset,
                remind_on=remind_on,
                periods=periods,
                estimated=any(m.estimated for m in members),
            )
        )
    out.sort(key=lambda d: (d.remind_on, d.kind, d.deadline, -d.offset_days))
    return out


def due_between(
    first: date,
    last: date,
    rules: DeadlineRules,
    calendar: WorkdayCalendar,
    *,
    nudge_day: int = 0,
) -> list[DueReminder]:
    """The reminders of an organization with these rules whose day is in ``first..last``
    (local dates, both included), deadline reminders and monthly nudges, grouped.

    Plans of the year before ``first`` are included: a Q4 deadline moved into January has its
    reminders in January.
    """
    items: list[PlannedReminder] = []
    for y in range(first.year - 1, last.year + 1):
        items += plan(y, rules, calendar)
        if y >= first.year:
            items += monthly_plan(y, nudge_day, calendar)
    return group(i for i in items if first <= i.remind_on <= last)


# --- texts ----------------------------------------------------------------------------------
