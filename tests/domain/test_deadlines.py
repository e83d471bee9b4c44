"""Deadlines and the reminder plan: every reminder on a working day in China, 2026's
Mid-Autumn and National Day weeks included; 2027 planned Monday-Friday with a warning; the
command line's plan; the settings."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

import chinese_calendar
import pytest
from support import djbot

from bot.domain.deadlines import (
    DEFAULT_RULES,
    DeadlineKind,
    DeadlineRules,
    QuietHours,
    apply_overrides,
    monthly_plan,
    parse_deadline_spec,
    parse_hhmm,
    parse_offsets,
    plan,
    plan_warnings,
)
from bot.domain.workdays import WorkdayCalendar
from bot.settings import Settings
from storage.models import DeadlineSetting

CALENDAR = WorkdayCalendar()


def days(items: list, key: str) -> list[tuple[str, int]]:
    return [(i.remind_on.isoformat(), i.offset_days) for i in items if i.period.key == key]


def test_the_2026_plan_puts_every_reminder_on_a_working_day() -> None:
    items = plan(2026, DEFAULT_RULES, CALENDAR)
    # checked against chinesecalendar directly, not through our wrapper
    assert all(chinese_calendar.is_workday(i.remind_on) for i in items)
    assert {i.period.key for i in items} == {
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
        "2026H1",
        "2026",
    }
    assert not any(i.estimated for i in items) and plan_warnings(items, CALENDAR) == []
    # Q3: 3 days before 30 September is Sunday 27 September, in the 中秋 holiday (25-27):
    # the reminder moves to Thursday 24 September
    assert days(items, "2026Q3") == [("2026-09-23", 7), ("2026-09-24", 3), ("2026-09-29", 1)]
    # 27 June 2026 is a Saturday
    assert days(items, "2026Q2") == days(items, "2026H1")
    assert days(items, "2026H1") == [("2026-06-23", 7), ("2026-06-26", 3), ("2026-06-29", 1)]
    assert days(items, "2026") == [("2026-12-24", 7), ("2026-12-28", 3), ("2026-12-30", 1)]
    assert days(items, "2026Q1") == [("2026-03-24", 7), ("2026-03-27", 3), ("2026-03-30", 1)]


def test_deadlines_in_the_national_day_week() -> None:
    # quarter summaries due 5 days after the quarter: 5 October, inside 国庆 (1-7 October).
    # 3 and 1 days before (2 and 4 October) both fall back to Wednesday 30 September: one
    # reminder that day, not two
    after5 = DeadlineRules(shifts={DeadlineKind.QUARTER: 5}, offsets=(7, 3, 1))
    assert days(plan(2026, after5, CALENDAR), "2026Q3") == [("2026-09-28", 7), ("2026-09-30", 1)]
    # due Sunday 11 October: 1 day before is Saturday 10 October, a 调休 working day: kept
    after11 = DeadlineRules(shifts={DeadlineKind.QUARTER: 11}, offsets=(7, 3, 1))
    assert days(plan(2026, after11, CALENDAR), "2026Q3") == [
        ("2026-09-30", 7),
        ("2026-10-08", 3),
        ("2026-10-10", 1),
    ]


@pytest.mark.parametrize("shift", range(-12, 16))
def test_any_deadline_of_2026_is_reminded_on_working_days(shift: int) -> None:
    rules = DeadlineRules(
        shifts={k: shift for k in DeadlineKind}, offsets=parse_offsets("14,7,5,3,2,1")
    )
    items = [i for i in plan(2026, rules, CALENDAR) if i.remind_on.year == 2026]
    assert items
    for item in items:
        assert chinese_calendar.is_workday(item.remind_on), item
        assert item.remind_on <= item.nominal <= item.deadline
        assert item.deadline == rules.deadline(item.period)


def test_2027_is_planned_monday_to_friday_with_a_warning_naming_the_year() -> None:
    if CALENDAR.knows(2027):  # pragma: no cover - a newer chinesecalendar
        pytest.skip("the installed chinesecalendar already knows 2027")
    items = plan(2027, DEFAULT_RULES, CALENDAR)
    assert items and all(i.estimated for i in items)
    assert all(i.remind_on.weekday() < 5 for i in items)
    [warning] = plan_warnings(items, CALENDAR)
    assert "2027年" in warning and "周一至周五" in warning


def test_monthly_nudges_of_2026() -> None:
    nudges = {i.period.key: i.remind_on.isoformat() for i in monthly_plan(2026, 25, CALENDAR)}
    assert nudges["2026-09"] == "2026-09-24"  # 25 September: 中秋
    assert nudges["2026-10"] == "2026-10-23"  # 25 October: a Sunday
    assert nudges["2026-11"] == "2026-11-25"
    assert all(chinese_calendar.is_workday(date.fromisoformat(d)) for d in nudges.values())
    assert monthly_plan(2026, 0, CALENDAR) == []


def test_settings_and_their_errors_are_chinese() -> None:
    assert parse_deadline_spec("quarter=0,half=0,year=0") == {k: 0 for k in DeadlineKind}
    assert parse_deadline_spec("季度=+5，年度=-10") == {
        DeadlineKind.QUARTER: 5,
        DeadlineKind.YEAR: -10,
    }
    assert parse_offsets("7，3、1") == (7, 3, 1)
    with pytest.raises(ValueError, match="截止日期设置“monthly=1”无效"):
        parse_deadline_spec("monthly=1")
    with pytest.raises(ValueError, match="前后31天之内"):
        parse_deadline_spec("quarter=40")
    with pytest.raises(ValueError, match="提醒最多提前60天"):
        parse_offsets("90")
    with pytest.raises(ValueError, match="提醒天数“x”无效"):
        parse_offsets("7,x")
    quiet = QuietHours.parse("21:00-08:00")
    assert quiet.contains(parse_time("23:59")) and quiet.contains(parse_time("07:59"))
    assert not quiet.contains(parse_time("08:00")) and not quiet.contains(parse_time("20:59"))
    assert not QuietHours.parse("off").contains(parse_time("03:00"))
    with pytest.raises(ValueError, match="落在免打扰时段"):
        Settings(reminder_time="22:30", _env_file=None)  # type: ignore[call-arg]


def parse_time(text: str) -> time:
    return parse_hhmm(text)


def test_an_organizations_own_settings_lie_over_the_defaults() -> None:
    row = DeadlineSetting(
        quarter_days=5, half_enabled=False, year_days=None, year_enabled=None, offsets="3,1"
    )
    rules = apply_overrides(DEFAULT_RULES, row)
    assert rules.shifts == {DeadlineKind.QUARTER: 5, DeadlineKind.YEAR: 0}
    assert rules.offsets == (3, 1)
    assert apply_overrides(DEFAULT_RULES, None) is DEFAULT_RULES


def test_djbot_reminders_plan_json(tmp_path: Path) -> None:
    result = djbot(tmp_path, "reminders", "plan", "--year", "2026", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert {"period": "2026Q3", "deadline": "2026-09-30", "remind_on": "2026-09-24",
            "offset_days": 3} in items  # fmt: skip
    assert all(set(i) == {"period", "deadline", "remind_on", "offset_days"} for i in items)
    assert all(chinese_calendar.is_workday(date.fromisoformat(i["remind_on"])) for i in items)
    assert result.stderr == ""

    future = djbot(tmp_path, "reminders", "plan", "--year", "2027", "--json")
    assert future.returncode == 0 and json.loads(future.stdout)
    if not CALENDAR.knows(2027):
        assert "警告" in future.stderr and "2027年" in future.stderr

    text = djbot(tmp_path, "reminders", "plan", "--year", "2026")
    assert (
        "9月24日（周四）  2026年第三季度  截止2026-09-30  提前3天，原定9月27日（周日，中秋假期）"
        in text.stdout
    )
    assert djbot(tmp_path, "reminders", "plan", "--year", "2026", "--org", "9").returncode == 1
