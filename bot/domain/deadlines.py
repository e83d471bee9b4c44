"""Summary deadlines (报送截止日期) and the reminder plan: which day each reminder goes out.

Deadlines, by default (``DJBOT_DEADLINES``, per organization ``/deadlines``):

* each quarter's summary (季度总结) on the quarter's last day (31 March, 30 June, 30 September,
  31 December);
* the half-year summary (半年总结, the first half) on 30 June; the second half is covered by
  the year-end summary;
* the year's summary (年度总结) on 31 December.

Each kind can be moved by whole days relative to its period's last day (``quarter=+5``: five
days after the quarter ends; ``year=-10``: 21 December) or switched off (left out of the spec).

Reminders go out ``offsets`` days before each deadline (default 7, 3 and 1). A reminder day
that is not a working day in China moves to the previous working day
(:class:`bot.domain.workdays.WorkdayCalendar`); when two offsets of one deadline land on the same
day, only the smaller offset is kept. Deadlines that fall on the same date (the second quarter and
the first half; the fourth quarter and the year) are separate plan items with the same days; the
sweep sends one message per member for them (``bot.reminders.texts``).

The monthly nudge to secretaries (每月提示) is planned here too: on day ``nudge_day`` (default
25) of every month, or the working day before it.

Everything here is pure: dates in, dates out; no clock, no database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Literal, Protocol

from bot.domain.periods import Period, PeriodKind, half, month, quarter, year
from bot.domain.workdays import WorkdayCalendar


class DeadlineKind(enum.StrEnum):
    """The summaries that have a deadline."""

    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


#: Chinese names of the kinds, as ``/deadlines`` shows them.
KIND_LABELS: Mapping[DeadlineKind, str] = {
    DeadlineKind.QUARTER: "季度总结",
    DeadlineKind.HALF: "半年总结",
    DeadlineKind.YEAR: "年度总结",
}

#: Words accepted for a kind in settings and in ``/deadlines`` (lower-cased).
KIND_WORDS: Mapping[str, DeadlineKind] = {
    "quarter": DeadlineKind.QUARTER,
    "q": DeadlineKind.QUARTER,
    "季度": DeadlineKind.QUARTER,
    "季度总结": DeadlineKind.QUARTER,
    "half": DeadlineKind.HALF,
    "h": DeadlineKind.HALF,
    "h1": DeadlineKind.HALF,
    "半年": DeadlineKind.HALF,
    "上半年": DeadlineKind.HALF,
    "半年总结": DeadlineKind.HALF,
    "year": DeadlineKind.YEAR,
    "y": DeadlineKind.YEAR,
    "年": DeadlineKind.YEAR,
    "年度": DeadlineKind.YEAR,
    "全年": DeadlineKind.YEAR,
    "年度总结": DeadlineKind.YEAR,
}

#: A deadline may move at most this many days from its period's last day.
MAX_SHIFT_DAYS = 31
#: A reminder may go out at most this many days before its deadline.
MAX_OFFSET_DAYS = 60
#: At most this many reminders per deadline.
MAX_OFFSETS = 6
DEFAULT_OFFSETS: tuple[int, ...] = (7, 3, 1)
DEFAULT_SHIFTS: Mapping[DeadlineKind, int] = {k: 0 for k in DeadlineKind}
DEFAULT_NUDGE_DAY = 25

ReminderKindName = Literal["deadline", "monthly"]

_KIND_ORDER = {PeriodKind.QUARTER: 0, PeriodKind.HALF: 1, PeriodKind.YEAR: 2, PeriodKind.MONTH: 3}


def _kind_of(period: Period) -> DeadlineKind:
    return {
        PeriodKind.QUARTER: DeadlineKind.QUARTER,
        PeriodKind.HALF: DeadlineKind.HALF,
        PeriodKind.YEAR: DeadlineKind.YEAR,
    }[period.kind]


@dataclass(frozen=True, slots=True)
class DeadlineRules:
    """One organization's deadlines.

    ``shifts`` maps each *enabled* kind to its deadline in days after the period's last day
    (0 = the last day, negative = before it); a kind not in the mapping has no deadline.
    ``offsets`` are days before a deadline that reminders go out, largest first, each
    0..:data:`MAX_OFFSET_DAYS`.
    """

    shifts: Mapping[DeadlineKind, int] = field(default_factory=lambda: dict(DEFAULT_SHIFTS))
    offsets: tuple[int, ...] = DEFAULT_OFFSETS

    def periods(self, y: int) -> list[Period]:
        """The periods of year ``y`` that have a deadline: Q1-Q4, the first half, the year."""
        out: list[Period] = []
        if DeadlineKind.QUARTER in self.shifts:
            out += [quarter(y, q) for q in range(1, 5)]
        if DeadlineKind.HALF in self.shifts:
            out.append(half(y, 1))
        if DeadlineKind.YEAR in self.shifts:
            out.append(year(y))
        return out

    def deadline(self, period: Period) -> date:
        """The local due date of ``period``'s summary.

        Raises:
            KeyError: the period's kind has no deadline in these rules.
        """
        return period.end + timedelta(days=self.shifts[_kind_of(period)])


DEFAULT_RULES = DeadlineRules()


@dataclass(frozen=True, slots=True)
class PlanDefaults:
    """The bot-wide defaults that an organization's own settings lie over: the deadline rules
    (``DJBOT_DEADLINES``, ``DJBOT_REMINDER_OFFSETS``) and the monthly nudge day
    (``DJBOT_MONTHLY_NUDGE_DAY``, 0 = none)."""

    rules: DeadlineRules = DEFAULT_RULES
    nudge_day: int = DEFAULT_NUDGE_DAY

    @classmethod
    def from_settings(cls, settings: SettingsLike) -> PlanDefaults:
        """From :class:`bot.settings.Settings`.

        Raises:
            ValueError: a malformed setting (Chinese message).
        """
        rules = DeadlineRules(
            shifts=parse_deadline_spec(settings.deadlines),
            offsets=parse_offsets(settings.reminder_offsets),
        )
        return cls(rules, settings.monthly_nudge_day)


class SettingsLike(Protocol):
    """The settings fields the plan reads (``bot.settings.Settings``)."""

    @property
    def deadlines(self) -> str: ...
    @property
    def reminder_offsets(self) -> str: ...
    @property
    def monthly_nudge_day(self) -> int: ...


def format_shift(kind: DeadlineKind, days: int | None) -> str:
    """How ``/deadlines`` describes a kind's deadline: ``每季度最后一天``, ``每季度结束后5天``,
    ``6月30日前10天``, ``不设截止日期`` (``days`` ``None``)."""
    if days is None:
        return "不设截止日期"
    anchor = {
        DeadlineKind.QUARTER: ("每季度最后一天", "每季度结束"),
        DeadlineKind.HALF: ("6月30日", "6月30日"),
        DeadlineKind.YEAR: ("12月31日", "12月31日"),
    }[kind]
    if days == 0:
        return anchor[0]
    return f"{anchor[1]}{'后' if days > 0 else '前'}{abs(days)}天"


_SPEC_ITEM = re.compile(r"^\s*([A-Za-z0-9\u4e00-\u9fff]+)\s*(?:=\s*([+-]?\d+)\s*)?$")


def parse_deadline_spec(text: str) -> dict[DeadlineKind, int]:
    """Parse the deadline setting: ``"quarter=0,half=0,year=0"`` (the default).

    Items are separated by commas (ASCII or full-width) or spaces; each is a kind word of
    :data:`KIND_WORDS`, optionally ``=N`` days relative to the period's last day (default 0).
    Kinds left out have no deadline; an empty text means no deadlines at all.

    Raises:
        ValueError: an unknown kind, a kind twice or a shift beyond :data:`MAX_SHIFT_DAYS`
            (Chinese message).
    """
    out: dict[DeadlineKind, int] = {}
    for item in re.split(r"[,，;；\s]+", text.strip()):
        if not item:
            continue
        match = _SPEC_ITEM.match(item)
        kind = KIND_WORDS.get(match.group(1).lower()) if match else None
        if match is None or kind is None:
            raise ValueError(
                f"截止日期设置“{item}”无效，应为 quarter=天数、half=天数、year=天数，"
                "例如 quarter=0,half=0,year=0"
            )
        if kind in out:
            raise ValueError(f"截止日期设置中“{item}”重复")
        days = int(match.group(2) or 0)
        check_shift(days)
        out[kind] = days
    return out


def check_shift(days: int) -> int:
    """``days`` if it is a valid deadline shift.

    Raises:
        ValueError: beyond ±:data:`MAX_SHIFT_DAYS` (Chinese message).
    """
    if not -MAX_SHIFT_DAYS <= days <= MAX_SHIFT_DAYS:
        raise ValueError(
            f"截止日期只能在报告期最后一天前后{MAX_SHIFT_DAYS}天之内（收到{days:+d}天）"
        )
    return days


def parse_offsets(text: str) -> tuple[int, ...]:
    """Parse reminder offsets: ``"7,3,1"`` (commas, full-width commas, 、 or spaces).

    Returns them unique and largest first.

    Raises:
        ValueError: empty, not whole numbers, beyond 0..:data:`MAX_OFFSET_DAYS`, or more than
            :data:`MAX_OFFSETS` (Chinese message).
    """
    parts = [p for p in re.split(r"[,，、;；\s]+", text.strip()) if p]
    if not parts:
        raise ValueError("提醒天数不能为空，例如：7,3,1")
    values: set[int] = set()
    for part in parts:
        cleaned = part.removesuffix("天")
        if not cleaned.isdigit():
            raise ValueError(f"提醒天数“{part}”无效，应为截止日前的天数，例如：7,3,1")
        value = int(cleaned)
        if value > MAX_OFFSET_DAYS:
            raise ValueError(f"提醒最多提前{MAX_OFFSET_DAYS}天（收到{value}天）")
        values.add(value)
    if len(values) > MAX_OFFSETS:
        raise ValueError(f"每个截止日期最多提醒{MAX_OFFSETS}次")
    return tuple(sorted(values, reverse=True))


def format_offsets(offsets: Iterable[int]) -> str:
    """``(7, 3, 1)`` -> ``截止前7天、3天、1天`` (0 is ``截止当天``)."""
    words = [f"{d}天" if d else "当天" for d in offsets]
    return "截止前" + "、".join(words) if words else "不提醒"


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder day of one period.

    ``deadline`` is the local due date; ``offset_days`` how many days before it the reminder
    was planned (``nominal`` = deadline - offset); ``remind_on`` the working day it goes out
    (``nominal`` or the working day before). ``estimated`` is true when the working-day
    calendar did not know a year involved and fell back to Monday-Friday. ``kind`` is
    ``deadline`` or ``monthly`` (the nudge: ``period`` is the month, ``deadline`` its last day).
    """

    period: Period
    deadline: date
    offset_days: int
    nominal: date
    remind_on: date
    estimated: bool
    kind: ReminderKindName = "deadline"

    @property
    def moved(self) -> bool:
        """Whether the nominal day was not a working day."""
        return self.remind_on != self.nominal

    def to_json(self) -> dict[str, str | int]:
        """The ``djbot reminders plan --json`` item: period key, ISO dates, offset in days."""
        return {
            "period": self.period.key,
            "deadline": self.deadline.isoformat(),
            "remind_on": self.remind_on.isoformat(),
            "offset_days": self.offset_days,
        }


def _sort_key(item: PlannedReminder) -> tuple[date, date, int, int]:
    return (item.remind_on, item.deadline, _KIND_ORDER[item.period.kind], -item.offset_days)


def plan(y: int, rules: DeadlineRules, calendar: WorkdayCalendar) -> list[PlannedReminder]:
    """Every deadline reminder of the periods of year ``y``, by day (then deadline, then
    quarter before half before year).

    A period's deadline may fall in the next year (``quarter=+5``: 5 January for Q4); reminder
    days are always on or before the deadline and on a working day (the previous one when the
    nominal day is a weekend or holiday). Offsets of one deadline that land on the same working
    day are kept once, with the smallest offset.
    """
    out: list[PlannedReminder] = []
    for period in rules.periods(y):
        deadline = rules.deadline(period)
        days: set[date] = set()
        for offset in sorted(rules.offsets):
            nominal = deadline - timedelta(days=offset)
            remind_on = calendar.previous_workday(nominal)
            if remind_on in days:
                continue
            days.add(remind_on)
            estimated = not (calendar.knows(nominal.year) and calendar.knows(remind_on.year))
            out.append(PlannedReminder(period, deadline, offset, nominal, remind_on, estimated))
    out.sort(key=_sort_key)
    return out


def monthly_plan(
    y: int, nudge_day: int, calendar: WorkdayCalendar, months: Iterable[int] = range(1, 13)
) -> list[PlannedReminder]:
    """The monthly nudges of year ``y``: day ``nudge_day`` of each month (the month's last day
    if shorter), or the working day before it. ``nudge_day`` 0 means none."""
    if nudge_day <= 0:
        return []
    out: list[PlannedReminder] = []
    for m in months:
        period = month(y, m)
        nominal = min(date(y, m, 1) + timedelta(days=nudge_day - 1), period.end)
        remind_on = calendar.previous_workday(nominal)
        out.append(
            PlannedReminder(
                period=period,
                deadline=period.end,
                offset_days=(period.end - nominal).days,
                nominal=nominal,
                remind_on=remind_on,
                estimated=not calendar.knows(y),
                kind="monthly",
            )
        )
    return out


def plan_warnings(items: Iterable[PlannedReminder], calendar: WorkdayCalendar) -> list[str]:
    """The fallback-calendar warnings for a plan, one per year it estimated, naming the year."""
    years = {d.year for item in items if item.estimated for d in (item.nominal, item.remind_on)}
    return [calendar.fallback_warning(y) for y in calendar.unknown_years(years)]


class DeadlineOverrides(Protocol):
    """An organization's own settings (``storage.models.DeadlineSetting``); ``None`` = default."""

    @property
    def quarter_days(self) -> int | None: ...
    @property
    def half_days(self) -> int | None: ...
    @property
    def year_days(self) -> int | None: ...
    @property
    def quarter_enabled(self) -> bool | None: ...
    @property
    def half_enabled(self) -> bool | None: ...
    @property
    def year_enabled(self) -> bool | None: ...
    @property
    def offsets(self) -> str | None: ...


def apply_overrides(default: DeadlineRules, row: DeadlineOverrides | None) -> DeadlineRules:
    """``default`` with an organization's own settings laid over it.

    A kind is on when the row says so, else when the default has it; its shift is the row's,
    else the default's (0 for a kind the default leaves out). A malformed stored ``offsets``
    falls back to the default's.
    """
    if row is None:
        return default
    shifts: dict[DeadlineKind, int] = {}
    for kind, days, enabled in (
        (DeadlineKind.QUARTER, row.quarter_days, row.quarter_enabled),
        (DeadlineKind.HALF, row.half_days, row.half_enabled),
        (DeadlineKind.YEAR, row.year_days, row.year_enabled),
    ):
        on = enabled if enabled is not None else kind in default.shifts
        if on:
            shifts[kind] = days if days is not None else default.shifts.get(kind, 0)
    offsets = default.offsets
    if row.offsets:
        try:
            offsets = parse_offsets(row.offsets)
        except ValueError:
            offsets = default.offsets
    return DeadlineRules(shifts=shifts, offsets=offsets)


# --- times of day ----------------------------------------------------------------------------


_HHMM = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


def parse_hhmm(text: str) -> time:
    """``"09:00"`` -> ``time(9, 0)``.

    Raises:
        ValueError: not ``HH:MM`` in 00:00-23:59 (Chinese message).
    """
    match = _HHMM.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"时间“{text}”无效，应为 HH:MM，例如 09:00")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily span of local time without reminders: ``start`` (included) to ``end``
    (excluded), wrapping over midnight when ``start > end`` (21:00-08:00). ``start == end``
    means none."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-08:00"``; an empty text or ``"off"`` means no quiet hours.

        Raises:
            ValueError: not ``HH:MM-HH:MM`` (Chinese message).
        """
        if text.strip().lower() in ("", "off", "none", "无"):
            return cls(time(0), time(0))
        parts = re.split(r"\s*[-~～至]\s*", text.strip())
        if len(parts) != 2:
            raise ValueError(f"免打扰时段“{text}”无效，应为 HH:MM-HH:MM，例如 21:00-08:00")
        return cls(parse_hhmm(parts[0]), parse_hhmm(parts[1]))

    def contains(self, moment: time) -> bool:
        """Whether a local time of day is quiet."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}" if self.start != self.end else "无"
