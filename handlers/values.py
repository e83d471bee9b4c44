"""Parsing what a user types when editing one field of a record (a date, a count, a head
count). Kept strict: an answer that is not clearly a value is refused with a Chinese message
by the caller, never guessed."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from bot.numerals import parse_int

_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_FULL = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_NONE_WORDS = {"无", "没有", "不详", "未知", "空", "-", "0人"}


def parse_date(text: str, today: date) -> date | None:
    """A date typed as ``2026-03-15``, ``2026年3月15日``, ``3月15日``, ``3.15``, ``今天``,
    ``昨天`` or ``前天``, relative to ``today``; a month-day later than today means last year.
    ``None`` when the text is not such a date."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if raw in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[raw])
    try:
        if m := _FULL.fullmatch(raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MONTH_DAY.fullmatch(raw):
            day = date(today.year, int(m[1]), int(m[2]))
            return day if day <= today else date(today.year - 1, day.month, day.day)
    except ValueError:
        return None
    return None


def _number(text: str) -> int | None:
    return parse_int(unicodedata.normalize("NFKC", text).strip().rstrip("次场人名件份期个"))


def parse_count(text: str) -> int | None:
    """A count of 1..9999 in Arabic, full-width or Chinese numerals (``3``, ``３``, ``三次``)."""
    value = _number(text)
    return value if value is not None and 1 <= value <= 9999 else None


def parse_participants(text: str) -> int | bool | None:
    """A head count of 0..99999, or ``None`` for 无/不详; ``False`` when not understood."""
    if text.strip() in _NONE_WORDS:
        return None
    value = _number(text)
    return value if value is not None and 0 <= value <= 99999 else False
