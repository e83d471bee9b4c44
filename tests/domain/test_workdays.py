"""Working days in China from the installed chinesecalendar, and the Monday-Friday fallback
for a year it does not know (facts from 《国务院办公厅关于2026年部分节假日安排的通知》)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.workdays import WorkdayCalendar, describe_day

CALENDAR = WorkdayCalendar()


def test_the_2026_mid_autumn_and_national_day_holidays() -> None:
    # 中秋: 25-27 September off; 国庆: 1-7 October off, Sunday 20 September and Saturday
    # 10 October are working days (调休)
    for day in range(25, 28):
        assert not CALENDAR.is_workday(date(2026, 9, day))
    for day in range(1, 8):
        assert not CALENDAR.is_workday(date(2026, 10, day))
    assert CALENDAR.is_workday(date(2026, 9, 20))  # a Sunday
    assert CALENDAR.is_workday(date(2026, 10, 10))  # a Saturday
    assert not CALENDAR.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert CALENDAR.holiday_name(date(2026, 10, 3)) == "国庆节"
    assert CALENDAR.holiday_name(date(2026, 9, 26)) == "中秋"


def test_a_day_off_moves_to_the_previous_working_day() -> None:
    assert CALENDAR.previous_workday(date(2026, 9, 27)) == date(2026, 9, 24)
    assert CALENDAR.previous_workday(date(2026, 10, 7)) == date(2026, 9, 30)
    assert CALENDAR.previous_workday(date(2026, 10, 10)) == date(2026, 10, 10)
    assert CALENDAR.previous_workday(date(2026, 2, 22)) == date(2026, 2, 14)  # 春节, 调休 Sat
    assert CALENDAR.previous_workday(date(2026, 9, 30)) == date(2026, 9, 30)


def test_how_a_day_is_described() -> None:
    assert describe_day(date(2026, 9, 27), CALENDAR) == "9月27日（周日，中秋假期）"
    assert describe_day(date(2026, 10, 10), CALENDAR) == "10月10日（周六，调休上班）"
    assert describe_day(date(2026, 9, 30), CALENDAR) == "9月30日（周三）"


def test_a_year_without_data_falls_back_to_monday_to_friday_and_says_so() -> None:
    assert CALENDAR.knows(2026)
    if CALENDAR.knows(2027):  # pragma: no cover - a newer chinesecalendar
        pytest.skip("the installed chinesecalendar already knows 2027")
    assert CALENDAR.is_workday(date(2027, 1, 1))  # a Friday: a holiday nobody told us of
    assert not CALENDAR.is_workday(date(2027, 1, 2))
    assert CALENDAR.unknown_years([2026, 2027, 2027]) == [2027]
    warning = CALENDAR.fallback_warning(2027)
    assert "2027年" in warning and "周一至周五" in warning and "chinesecalendar" in warning


def test_a_custom_calendar() -> None:
    def lookup(day: date) -> tuple[bool, str | None]:
        if day.year != 2030:
            raise NotImplementedError(day.year)
        return day != date(2030, 5, 1), "劳动节" if day == date(2030, 5, 1) else None

    calendar = WorkdayCalendar(lookup, source="test data")
    assert calendar.previous_workday(date(2030, 5, 1)) == date(2030, 4, 30)
    assert calendar.knows(2030) and not calendar.knows(2031)
    assert calendar.fallback_warning(2031).startswith("test data 不含2031年")
