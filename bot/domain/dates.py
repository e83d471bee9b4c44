"""Date expressions in staff messages, resolved against a given ``today`` (never the clock).

Forms read (Arabic, full-width after normalisation, or Chinese numerals):

* ``2026年3月15日``, ``2026-03-15``, ``2026/3/15``, ``2026.3.15``, ``二〇二六年三月十五日``;
* ``3月15日`` / ``3月15号`` / ``三月十五日``, optionally after 今年/去年/明年/前年;
* ``3.15`` and ``3/15`` when they stand like a date (followed by a verb, a time of day,
  punctuation or the end, or preceded by 于/在/punctuation), not a decimal or fraction;
* ``今天 昨天 前天 大前天 明天 后天 大后天`` (and 今日/昨日/明日/今早/昨晚 ...);
* ``本周三 这周三 上周五 下周一 上上周二 周四 星期五 礼拜天`` (weeks start on Monday);
* ``15日`` / ``15号`` (this month) and ``上月25日`` / ``本月3号``.

Rules for a date without a year (or month): it is the latest such day not after ``today``,
so a month-day later than today means last year, unless the activity is planned, in which case
it is the earliest such day not before ``today``. Impossible dates (2月30日) give ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.domain.numerals import parse_int

Kind = Literal["ymd", "md", "d", "rel", "week"]
Tense = Literal["past", "future"]

_CN = "一二三四五六七八九十"
_MONTH = rf"1[0-2]|0?[1-9]|十[一二]?|[{_CN[:-1]}]"
_DAY = r"3[01]|[12][0-9]|0?[1-9]|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]"
_YEAR = r"(?:19|20)[0-9]{2}|二[〇零○][〇零○一二三四五六七八九]{2}"

_REL_DAYS: dict[str, int] = {
    "大前天": -3,
    "前天": -2,
    "前日": -2,
    "前儿": -2,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
    "昨早": -1,
    "昨儿": -1,
    "今天": 0,
    "今日": 0,
    "今早": 0,
    "今晨": 0,
    "今晚": 0,
    "今儿": 0,
    "明天": 1,
    "明日": 1,
    "明早": 1,
    "明晚": 1,
    "明儿": 1,
    "后天": 2,
    "大后天": 3,
}
_WEEK_OFFSETS: dict[str, int] = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1, "下下": 2}
_WEEKDAYS: dict[str, int] = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "日": 7,
    "天": 7,
    "末": 6,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
    "7": 7,
}
_YEAR_WORDS: dict[str, int] = {"前年": -2, "去年": -1, "今年": 0, "本年": 0, "明年": 1}
_MONTH_WORDS: dict[str, int] = {
    "本月": 0,
    "这个月": 0,
    "当月": 0,
    "上月": -1,
    "上个月": -1,
    "下月": 1,
    "下个月": 1,
}

_DATE_RE = re.compile(
    rf"""
    (?=[0-9一二三四五六七八九十今昨前明后大本这上下周星礼去当])  # cheap guard: a date starts so
    (?:
    (?<![0-9])(?P<y>{_YEAR})[年./-](?P<m1>{_MONTH})[月./-](?P<d1>{_DAY})(?![0-9])[日号]?
  | (?P<yw>前年|去年|今年|本年|明年)?(?<![0-9])(?P<m2>{_MONTH})月(?P<d2>{_DAY})(?![0-9])[日号]?
  | (?<![0-9.,/])(?P<m3>1[0-2]|0?[1-9])[./](?P<d3>3[01]|[12][0-9]|0?[1-9])
      (?![0-9./%万亿元倍个人名次件份岁年月米克斤吨分秒天小公项条篇期场])
  | (?P<rel>大前天|大后天|前天|前日|前儿|昨天|昨日|昨晚|昨早|昨儿|今天|今日|今早|今晨|今晚|今儿
            |明天|明日|明早|明晚|明儿|后天)
  | (?<!每)(?P<wk>上上|下下|本|这|上|下)?个?(?:周|星期|礼拜)
      (?P<wd>[一二三四五六日天1-7])(?![次遍回期])
  | (?:(?P<mw>本月|这个月|当月|上个月|上月|下个月|下月)|(?<![0-9月第.]))
      (?P<d4>3[01]|[12][0-9]|0?[1-9])
      (?P<suffix>日|号)(?!内|以内|之内|前|后|起|以来|左右|楼|会议室|室|院|馆|门|文件|线|厅|房|令)
    )
    """,
    re.VERBOSE,
)

# what may follow a bare "3.15" / "3/15" for it to read as a date
_AFTER_MD = re.compile(
    r"[,，。;；、!！?？:：)\s日号在于]|召开|开展|组织|举办|举行|上午|下午|晚上|中午|早上|"
    r"参加|进行|前往|赴|到|集中|全体|支部|党|我"
)
_DEADLINE_RE = re.compile(r"[日号]?(?:前|之前|以前|为止|截止)")
_BEFORE_MD = frozenset(",，。;；:：、(（ \n\t于在是")


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date expression found in a text.

    ``start``/``end`` are offsets in the searched text. ``kind`` says how to resolve it:
    ``ymd`` (full date), ``md`` (month and day; ``offset`` = explicit year shift or ``None``),
    ``d`` (day of month; ``offset`` = explicit month shift or ``None``), ``rel`` (``offset``
    days from today), ``week`` (``weekday`` 1-7 of the week ``offset`` weeks from this one;
    ``offset`` ``None`` for a bare 周三).
    """

    start: int
    end: int
    kind: Kind
    year: int | None = None
    month: int | None = None
    day: int | None = None
    offset: int | None = None
    weekday: int | None = None

    def resolve(self, today: dt.date, planned: bool = False) -> dt.date | None:
        """The calendar date this expression means, read on ``today``.

        ``planned`` picks the next matching day instead of the last for a date without a year
        (or month, or week). Returns ``None`` for an impossible date.
        """
        try:
            return self._resolve(today, planned)
        except (ValueError, OverflowError):
            return None

    def _resolve(self, today: dt.date, planned: bool) -> dt.date | None:
        if self.kind == "ymd":
            assert self.year is not None and self.month is not None and self.day is not None
            return dt.date(self.year, self.month, self.day)
        if self.kind == "rel":
            return today + dt.timedelta(days=self.offset or 0)
        if self.kind == "week":
            monday = monday_of(today)
            weekday = self.weekday or 1
            if self.offset is not None:
                return monday + dt.timedelta(days=7 * self.offset + weekday - 1)
            candidate = monday + dt.timedelta(days=weekday - 1)
            if candidate > today and not planned:
                candidate -= dt.timedelta(days=7)
            elif candidate < today and planned:
                candidate += dt.timedelta(days=7)
            return candidate
        if self.kind == "md":
            assert self.month is not None and self.day is not None
            if self.offset is not None:
                return dt.date(today.year + self.offset, self.month, self.day)
            return _nearest(today, planned, lambda y: _safe_date(y, self.month, self.day), 1)
        # kind == "d"
        assert self.day is not None
        if self.offset is not None:
            year, month = _add_months(today.year, today.month, self.offset)
            return dt.date(year, month, self.day)
        candidates = []
        for shift in (-2, -1, 0, 1, 2):
            year, month = _add_months(today.year, today.month, shift)
            day = _safe_date(year, month, self.day)
            if day is not None:
                candidates.append(day)
        return _pick(today, planned, candidates)

    def tense(self, today: dt.date) -> Tense | None:
        """``"future"``/``"past"`` when the wording itself says so (明天, 上周五, a full date
        after/before today), else ``None`` (today, or a date whose year is inferred)."""
        if self.kind == "rel":
            if not self.offset:
                return None
            return "future" if self.offset > 0 else "past"
        if self.kind == "ymd" or (self.kind == "week" and self.offset is not None):
            day = self.resolve(today)
            if day is None or day == today:
                return None
            return "future" if day > today else "past"
        if self.kind in ("md", "d") and self.offset:
            return "future" if self.offset > 0 else "past"
        return None


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (weeks start on Monday, ISO 8601)."""
    return day - dt.timedelta(days=day.weekday())


def find_dates(text: str) -> list[DateMention]:
    """All date expressions in ``text`` (already normalised to half-width), left to right.

    Never raises; impossible numbers are skipped. Linear in ``len(text)``.
    """
    found: list[DateMention] = []
    for match in _DATE_RE.finditer(text):
        mention = _from_match(match, text)
        if mention is not None:
            found.append(mention)
    return found


def _from_match(match: re.Match[str], text: str) -> DateMention | None:
    start, end = match.span()
    groups = match.groupdict()
    if groups["d4"] is None and _DEADLINE_RE.match(text, end):
        return None  # "5月31日前报送": a deadline, not the day of an activity
    if groups["y"] is not None:
        year = parse_int(groups["y"])
        month = parse_int(groups["m1"])
        day = parse_int(groups["d1"])
        if year is None or month is None or day is None:
            return None
        return DateMention(start, end, "ymd", year=year, month=month, day=day)
    if groups["m2"] is not None:
        month = parse_int(groups["m2"])
        day = parse_int(groups["d2"])
        if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        yw = groups["yw"]
        return DateMention(
            start, end, "md", month=month, day=day, offset=_YEAR_WORDS[yw] if yw else None
        )
    if groups["m3"] is not None:
        before = text[start - 1] if start > 0 else "\n"
        if before not in _BEFORE_MD and not _AFTER_MD.match(text, end):
            return None
        return DateMention(start, end, "md", month=int(groups["m3"]), day=int(groups["d3"]))
    if groups["rel"] is not None:
        return DateMention(start, end, "rel", offset=_REL_DAYS[groups["rel"]])
    if groups["wd"] is not None:
        wk = groups["wk"]
        return DateMention(
            start,
            end,
            "week",
            weekday=_WEEKDAYS[groups["wd"]],
            offset=_WEEK_OFFSETS[wk] if wk else None,
        )
    if groups["d4"] is not None:
        mw = groups["mw"]
        return DateMention(
            start, end, "d", day=int(groups["d4"]), offset=_MONTH_WORDS[mw] if mw else None
        )
    return None


def _safe_date(year: int, month: int | None, day: int | None) -> dt.date | None:
    if month is None or day is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _add_months(year: int, month: int, shift: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + shift
    return index // 12, index % 12 + 1


def _nearest(
    today: dt.date, planned: bool, make: Callable[[int], dt.date | None], step_years: int
) -> dt.date | None:
    candidates = [
        d
        for d in (make(today.year + k * step_years) for k in (-4, -3, -2, -1, 0, 1, 2, 3, 4))
        if d is not None
    ]
    return _pick(today, planned, candidates)


def _pick(today: dt.date, planned: bool, candidates: list[dt.date]) -> dt.date | None:
    if planned:
        later = [d for d in candidates if d >= today]
        return min(later) if later else None
    earlier = [d for d in candidates if d <= today]
    return max(earlier) if earlier else None
