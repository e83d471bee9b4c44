"""Reporting periods (报告期): quarters, halves, years, months and custom ranges.

A period is a closed range of local calendar dates. Text forms accepted by :func:`parse_period`
(used by ``/report`` and ``djbot report --period``):

========================  ==============================
``2026``                  the year 2026 (年度)
``2026H1`` / ``2026H2``   上半年 / 下半年
``2026Q1`` .. ``2026Q4``  a quarter (季度)
``2026-03``               a month
``2026-03-01..2026-05-31``  a custom range, both ends included
========================  ==============================

Chinese forms staff type are accepted too: ``2026年``, ``2026年上半年``, ``2026年第三季度``,
``2026年3月``, ``本季度``, ``上季度``, ``今年``, ``去年``, ``本月``, ``上半年``, ``下半年``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta

CHINESE_ORDINALS = "一二三四"


class PeriodKind(enum.StrEnum):
    """The kinds of reporting period; templates are chosen by kind."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    """A closed range of local dates ``start``..``end`` (both included)."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def key(self) -> str:
        """The canonical text form: ``2026Q3``, ``2026H1``, ``2026``, ``2026-03`` or a range."""
        y = self.start.year
        match self.kind:
            case PeriodKind.YEAR:
                return f"{y}"
            case PeriodKind.HALF:
                return f"{y}H{1 if self.start.month == 1 else 2}"
            case PeriodKind.QUARTER:
                return f"{y}Q{(self.start.month - 1) // 3 + 1}"
            case PeriodKind.MONTH:
                return f"{y}-{self.start.month:02d}"
            case _:
                return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """The Chinese name used in titles: ``2026年第三季度``, ``2026年上半年``, ``2026年``."""
        y = self.start.year
        match self.kind:
            case PeriodKind.YEAR:
                return f"{y}年"
            case PeriodKind.HALF:
                return f"{y}年{'上' if self.start.month == 1 else '下'}半年"
            case PeriodKind.QUARTER:
                return f"{y}年第{CHINESE_ORDINALS[(self.start.month - 1) // 3]}季度"
            case PeriodKind.MONTH:
                return f"{y}年{self.start.month}月"
            case _:
                s, e = self.start, self.end
                return f"{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日"

    @property
    def span_word(self) -> str:
        """How a summary refers to the period in a sentence: 本季度, 上半年, 全年, 本月, 期间."""
        return {
            PeriodKind.YEAR: "全年",
            PeriodKind.HALF: "上半年" if self.start.month == 1 else "下半年",
            PeriodKind.QUARTER: "本季度",
            PeriodKind.MONTH: "本月",
        }.get(self.kind, "期间")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the period touches, in order."""
        out: list[tuple[int, int]] = []
        y, m = self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


def year(y: int) -> Period:
    """The calendar year ``y``."""
    return Period(PeriodKind.YEAR, date(y, 1, 1), date(y, 12, 31))


def half(y: int, h: int) -> Period:
    """The first (``h=1``) or second (``h=2``) half of year ``y``."""
    if h not in (1, 2):
        raise ValueError(f"半年只能是1或2，收到{h}")
    if h == 1:
        return Period(PeriodKind.HALF, date(y, 1, 1), date(y, 6, 30))
    return Period(PeriodKind.HALF, date(y, 7, 1), date(y, 12, 31))


def quarter(y: int, q: int) -> Period:
    """Quarter ``q`` (1-4) of year ``y``."""
    if not 1 <= q <= 4:
        raise ValueError(f"季度只能是1至4，收到{q}")
    first = 3 * q - 2
    return Period(PeriodKind.QUARTER, date(y, first, 1), _month_end(y, first + 2))


def month(y: int, m: int) -> Period:
    """Month ``m`` of year ``y``."""
    if not 1 <= m <= 12:
        raise ValueError(f"月份只能是1至12，收到{m}")
    return Period(PeriodKind.MONTH, date(y, m, 1), _month_end(y, m))


def current_quarter(today: date) -> Period:
    """The quarter that contains ``today`` (a local date)."""
    return quarter(today.year, (today.month - 1) // 3 + 1)


def quarter_of(day: date) -> int:
    """1-4: the quarter of ``day``."""
    return (day.month - 1) // 3 + 1


_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(\d{4})"), "year"),
    (re.compile(r"(\d{4})年?(?:度|全年)?"), "year"),
    (re.compile(r"(\d{4})[Hh]([12])"), "half"),
    (re.compile(r"(\d{4})年?([上下])半年"), "half_cn"),
    (re.compile(r"(\d{4})[Qq]([1-4])"), "quarter"),
    (re.compile(r"(\d{4})年?第?([一二三四1-4])季度"), "quarter_cn"),
    (re.compile(r"(\d{4})-(\d{1,2})"), "month"),
    (re.compile(r"(\d{4})年(\d{1,2})月"), "month"),
    (
        re.compile(
            r"(\d{4})-(\d{1,2})-(\d{1,2})\s*(?:\.\.|~|至|到|—|-)\s*(\d{4})-(\d{1,2})-(\d{1,2})"
        ),
        "range",
    ),
]


def parse_period(text: str, today: date) -> Period:
    """Parse a period as typed by a user or given on the command line.

    ``today`` (a local date) resolves relative forms (本季度, 上季度, 今年, 去年, 本月, 上半年).
    An empty string means the current quarter.

    Raises:
        ValueError: with a Chinese message naming the accepted forms.
    """
    raw = text.strip().replace(" ", "")
    if not raw or raw in ("本季度", "这季度", "当前季度"):
        return current_quarter(today)
    relative = {
        "上季度": lambda: _previous_quarter(today),
        "今年": lambda: year(today.year),
        "本年": lambda: year(today.year),
        "本年度": lambda: year(today.year),
        "去年": lambda: year(today.year - 1),
        "本月": lambda: month(today.year, today.month),
        "上半年": lambda: half(today.year, 1),
        "下半年": lambda: half(today.year, 2),
    }
    if raw in relative:
        return relative[raw]()
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(raw)
        if not m:
            continue
        g = m.groups()
        try:
            match kind:
                case "year":
                    return year(int(g[0]))
                case "half":
                    return half(int(g[0]), int(g[1]))
                case "half_cn":
                    return half(int(g[0]), 1 if g[1] == "上" else 2)
                case "quarter":
                    return quarter(int(g[0]), int(g[1]))
                case "quarter_cn":
                    return quarter(int(g[0]), _CN_QUARTER[g[1]])
                case "month":
                    return month(int(g[0]), int(g[1]))
                case _:
                    start = date(int(g[0]), int(g[1]), int(g[2]))
                    end = date(int(g[3]), int(g[4]), int(g[5]))
                    if end < start:
                        raise ValueError("结束日期早于开始日期")
                    return Period(PeriodKind.CUSTOM, start, end)
        except ValueError as exc:
            raise ValueError(f"报告期“{text}”无效：{exc}") from exc
    raise ValueError(
        f"无法识别报告期“{text}”。可用：2026（全年）、2026H1/2026H2（半年）、"
        "2026Q1…2026Q4（季度）、2026-03（月）、2026-03-01..2026-05-31（自定义）。"
    )


def _previous_quarter(today: date) -> Period:
    q = quarter_of(today)
    return quarter(today.year - 1, 4) if q == 1 else quarter(today.year, q - 1)
