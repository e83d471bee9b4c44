"""Working days in China (工作日): weekends, statutory holidays and 调休 working weekends.

The source is the ``chinesecalendar`` package (PyPI ``chinesecalendar``, module
``chinese_calendar``), which carries the State Council's yearly holiday notices
(《国务院办公厅关于XXXX年部分节假日安排的通知》). Each release knows the years up to the
latest notice published before it; for a year it does not know, this module falls back to
Monday-Friday and says so with :meth:`WorkdayCalendar.fallback_warning`, naming the year (the
notice for year Y is usually published in November of Y-1: upgrade the package then).

Typical use::

    calendar = WorkdayCalendar()
    calendar.previous_workday(date(2026, 9, 27))   # 2026-09-24 (中秋 25-27 September)
    calendar.knows(2027)                           # False with chinesecalendar 1.11.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from importlib import metadata

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

#: How far :meth:`WorkdayCalendar.previous_workday` looks back; the longest run of days off in
#: any notice is 9 (春节 2024 with its weekends), so 31 days is never reached with real data.
_LOOKBACK_DAYS = 31


def _installed_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency of the project
        return "?"


def _chinesecalendar_lookup(day: date) -> tuple[bool, str | None]:
    """``(is_workday, holiday name in Chinese or None)`` from chinesecalendar.

    Raises:
        NotImplementedError: the installed package has no data for ``day.year``.
    """
    import chinese_calendar

    workday = bool(chinese_calendar.is_workday(day))
    name: str | None = None
    if not workday:
        on_holiday, english = chinese_calendar.get_holiday_detail(day)
        if on_holiday and english:
            try:
                name = str(chinese_calendar.Holiday(english).chinese)
            except ValueError:  # pragma: no cover - a holiday newer than this code
                name = str(english)
    return workday, name


class WorkdayCalendar:
    """Answers "is this a working day in China?" for any date, falling back to Monday-Friday.

    Args:
        lookup: ``day -> (is_workday, holiday_name)`` raising ``NotImplementedError`` for a year
            without data; defaults to the installed ``chinesecalendar``. Tests pass their own.
        source: the data's name for messages, e.g. ``chinesecalendar 1.11.0``.
    """

    def __init__(
        self,
        lookup: Callable[[date], tuple[bool, str | None]] | None = None,
        *,
        source: str | None = None,
    ) -> None:
        self._lookup = lookup or _chinesecalendar_lookup
        self.source = source or (
            f"chinesecalendar {_installed_version()}" if lookup is None else "custom"
        )
        self._known: dict[int, bool] = {}
        self._cached = functools.lru_cache(maxsize=4096)(self._uncached)

    def knows(self, year: int) -> bool:
        """Whether the data covers ``year`` (its holidays and 调休 days are known)."""
        if year not in self._known:
            try:
                self._lookup(date(year, 1, 1))
                self._known[year] = True
            except NotImplementedError:
                self._known[year] = False
        return self._known[year]

    def _uncached(self, day: date) -> tuple[bool, str | None]:
        if not self.knows(day.year):
            return day.weekday() < 5, None
        return self._lookup(day)

    def is_workday(self, day: date) -> bool:
        """True on a working day: Monday-Friday unless a holiday, plus 调休 working weekends.
        For a year the data does not know: Monday-Friday."""
        return self._cached(day)[0]

    def holiday_name(self, day: date) -> str | None:
        """The holiday ``day`` belongs to in Chinese (``中秋``, ``国庆节``), or ``None`` for a
        working day, an ordinary weekend or an unknown year."""
        return self._cached(day)[1]

    def previous_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the nearest working day before it.

        Raises:
            ValueError: no working day in the 31 days up to ``day`` (impossible with real data).
        """
        for back in range(_LOOKBACK_DAYS + 1):
            candidate = day - timedelta(days=back)
            if self.is_workday(candidate):
                return candidate
        raise ValueError(f"{day.isoformat()} 之前{_LOOKBACK_DAYS}天内没有工作日")

    def unknown_years(self, years: Iterable[int]) -> list[int]:
        """The years among ``years`` that fall back to Monday-Friday, ascending."""
        return sorted({y for y in years if not self.knows(y)})

    def fallback_warning(self, year: int) -> str:
        """The Chinese warning for a year without holiday data, naming the year."""
        return (
            f"{self.source} 不含{year}年的法定节假日和调休安排，{year}年暂按周一至周五计算工作日"
            f"（节假日期间的提醒可能落在放假日）。国务院办公厅公布{year}年节假日安排后，"
            "请升级 chinesecalendar（pip install -U chinesecalendar）。"
        )


def describe_day(day: date, calendar: WorkdayCalendar) -> str:
    """``9月27日（周日，中秋假期）`` / ``10月10日（周六，调休上班）`` / ``9月30日（周三）``."""
    weekday = WEEKDAY_NAMES[day.weekday()]
    notes = [weekday]
    holiday = calendar.holiday_name(day)
    if holiday:
        notes.append(f"{holiday}假期")
    elif day.weekday() >= 5 and calendar.is_workday(day):
        notes.append("调休上班")
    return f"{day.month}月{day.day}日（{'，'.join(notes)}）"
