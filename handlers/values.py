"""Parsing what a user types when editing one field of a record (a date, a count, a head
count). Kept strict: an answer that is not clearly a value is refused with a Chinese message
by the caller, never guessed."""

from __future__ import annotations

import unicodedata
from datetime import date

from bot.domain.dates import find_dates
from bot.domain.numerals import parse_int

_NONE_WORDS = {"无", "没有", "不详", "未知", "空", "-", "0人"}


def parse_date(text: str, today: date) -> date | None:
    """A date typed on its own, in any form the message reader knows (``2026-03-15``,
    ``2026年3月15日``, ``3月15日``, ``3.15``, ``昨天``, ``上周五``…), read relative to ``today``;
    a month-day later than today means last year. ``None`` unless the whole answer is one date.
    """
    raw = unicodedata.normalize("NFKC", text).strip().rstrip("。.")
    mentions = find_dates(raw)
    if len(mentions) != 1 or mentions[0].start != 0 or mentions[0].end < len(raw):
        return None
    return mentions[0].resolve(today)


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
