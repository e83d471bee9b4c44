"""Date expressions in staff messages, resolved against a given ``today`` (never the clock).

Forms read (Arabic, full-width after normalisation, or Chinese numerals):

* ``2026年3月15日``, ``2026-03-15``, ``2026/3/15``, ``2026.3.15``, ``二〇二六年三月十五日``;
* ``3月15日`` / ``3月15号`` / ``三月十五日``, optionally after 今年/去年/明年/前年;
* ``3.15`` and ``3/15`` when they stand like a date (followed by a verb, a time of day,
  punctuation or the end, or preceded by 于/在/punctuation), not a decimal or fraction;
* ``今天 昨天 前天 大前天 明天 后天 大后天`` (and 今日/昨日/明日/今早/昨晚 ...);
* ``本周三 这周三 上周五 下周一 上上周二 周四 星期五 礼拜天`` (weeks start on Monday);
* ``15日`` / ``15号`` (this month) and ``上月25日`` / ``本月3号``;
* ``3-10`` (month-day with a dash) where it stands like a date;
* a time of day or "just now" alone (``上午``, ``下午``, ``晚上``, ``刚才``, ``刚``): today; after
  a date (``昨天下午``) it belongs to that date;
* ``today``, ``yesterday``, ``tomorrow`` (mixed-English chat);
* ``元旦前一天``, ``国庆节当天``, ``七一后一天``: a holiday with 前一天/当天/后一天.

Coarser dates (only with ``find_dates(text, coarse=True)``; :meth:`DateMention.resolve_when`
gives them as a span with its precision, never as an invented day):

* months: ``6月``, ``6月份``, ``2026年6月``, ``去年12月``, ``本月``, ``上个月``, ``下月``;
* 旬: ``8月上旬``/``中旬``/``下旬``, ``3月初``/``月中``/``月底`` (初 = 上旬, 底/末 = 下旬),
  ``下个月中旬``, ``计划于2027年1月中旬``;
* quarters: ``二季度``, ``第三季度``, ``2026年第一季度``, ``本季度``, ``上季度``;
* halves: ``上半年``, ``下半年``, ``2026年上半年``;
* years: ``今年``, ``去年``, ``2026年``, ``今年以来``, ``全年``.

Rules for a date without a year (or month): it is the latest such day not after ``today``,
so a month-day later than today means last year, unless the activity is planned, in which case
it is the earliest such day not before ``today``. Impossible dates (2月30日) give ``None``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.domain.numerals import parse_int
from bot.domain.when import When

Kind = Literal["ymd", "md", "d", "rel", "week", "month", "xun", "quarter", "half", "year"]
#: Kinds that name a span longer than a day (see :meth:`DateMention.resolve_when`).
COARSE_KINDS: frozenset[str] = frozenset(("month", "xun", "quarter", "half", "year"))
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

_TOD = r"凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|晚间"
_XUN_WORDS: dict[str, int] = {
    "上旬": 0,
    "初": 0,
    "中旬": 1,
    "中": 1,
    "下旬": 2,
    "底": 2,
    "末": 2,
}
_QUARTER_NUMS: dict[str, int] = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_WORDS: dict[str, int] = {
    "本季度": 0,
    "这个季度": 0,
    "这季度": 0,
    "本季": 0,
    "当季": 0,
    "上季度": -1,
    "上个季度": -1,
    "下季度": 1,
    "下个季度": 1,
}
_EN_DAYS: dict[str, int] = {"today": 0, "yesterday": -1, "tomorrow": 1}
_HOLIDAYS: dict[str, tuple[int, int]] = {
    "元旦": (1, 1),
    "元旦节": (1, 1),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "建党节": (7, 1),
    "七一": (7, 1),
    "国庆": (10, 1),
    "国庆节": (10, 1),
}
_HOLIDAY_SHIFT: dict[str, int] = {"前一天": -1, "当天": 0, "那天": 0, "后一天": 1}

_DATE_RE = re.compile(
    rf"""
    (?=[0-9一二三四五六七八九十今昨前明后大本这上下周星礼去当全第早中傍晚夜凌刚元劳五建七国tyTY])
    (?:
    (?<![0-9])(?P<y>{_YEAR})[年./-](?P<m1>{_MONTH})[月./-](?P<d1>{_DAY})(?![0-9])[日号]?
  | (?P<yw>前年|去年|今年|本年|明年)?(?<![0-9])(?P<m2>{_MONTH})月(?P<d2>{_DAY})(?![0-9])[日号]?
  | (?<![0-9.,/-])(?P<m3>1[0-2]|0?[1-9])(?P<sep>[./-])(?P<d3>3[01]|[12][0-9]|0?[1-9])
      (?![0-9./%万亿元倍个人名次件份岁年月米克斤吨分秒天小公项条篇期场-])
  | (?P<rel>大前天|大后天|前天|前日|前儿|昨天|昨日|昨晚|昨早|昨儿|今天|今日|今早|今晨|今晚|今儿
            |明天|明日|明早|明晚|明儿|后天)(?:个)?
  | (?<![a-zA-Z])(?P<en>today|yesterday|tomorrow)(?![a-zA-Z])
  | (?<!每)(?P<wk>上上|下下|本|这|上|下)?个?(?:周|星期|礼拜)
      (?P<wd>[一二三四五六日天1-7])(?![次遍回期])
  | (?:(?P<mw>本月|这个月|当月|上个月|上月|下个月|下月)|(?<![0-9月第.]))
      (?P<d4>3[01]|[12][0-9]|0?[1-9])
      (?P<suffix>日|号)(?!内|以内|之内|前|后|起|以来|左右|楼|会议室|室|院|馆|门|文件|线|厅|房|令)
  | (?P<hol>元旦节|元旦|劳动节|五一|建党节|七一|国庆节|国庆)(?P<hshift>前一天|当天|那天|后一天)
  | (?P<tod>{_TOD})
  | (?P<now>刚刚|刚才|刚(?![好性需强柔]))
    )
    """,
    re.VERBOSE,
)

_COARSE_RE = re.compile(
    r"""
    (?=[0-9一二三四五六七八九十今去明前本这上下当全第月])
    (?:
    (?!)
  | (?:(?P<cy>(?:19|20)[0-9]{2})年|(?P<cyw>前年|去年|今年|本年|明年))?
      (?<![0-9第])(?P<cm>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])(?:月份|月)(?![0-9])
      (?P<cx>上旬|中旬|下旬|初|中(?!心|央|层|华|国|期|秋)|底|末)?
  | (?P<cmw>本月|这个月|当月|上个月|上月|下个月|下月)
      (?P<cmx>上旬|中旬|下旬|初|中(?!心|央|层)|底|末)?
  | (?<![本这上下个当])(?<![0-9])(?P<bx>月初|月中旬|月中|月底|月末|上旬|中旬|下旬)
  | (?:(?P<qy>(?:19|20)[0-9]{2})年|(?P<qyw>去年|今年|本年|明年))?
      第?(?P<q>[一二三四1-4])(?:季度|季)(?!刊)
  | (?P<qw>本季度|这个季度|这季度|上个季度|上季度|下个季度|下季度)
  | (?:(?P<hy>(?:19|20)[0-9]{2})年|(?P<hyw>去年|今年|本年|明年))?(?P<h>上半年|下半年)
  | (?P<yy>(?:19|20)[0-9]{2})年(?:度)?(?!月|[0-9])(?P<yysince>以来)?
  | (?P<yr>今年|本年度|本年|去年|明年|前年|全年)(?P<yrsince>以来)?
    )
    """,
    re.VERBOSE,
)

# what may follow a bare "3.15" / "3/15" / "3-10" for it to read as a date
_AFTER_MD = re.compile(
    r"[,，。;；、!！?？:：)\s日号在于的]|召开|开展|组织|举办|举行|上午|下午|晚上|中午|早上|"
    r"参加|进行|前往|赴|到|集中|全体|支部|党|我|开|搞|办"
)
_DEADLINE_RE = re.compile(r"[日号]?(?:前|之前|以前|为止|截止)")
_BEFORE_MD = frozenset(",，。;；:：、(（ \n\t于在是")
_COARSE_HINT_RE = re.compile(r"[月季年旬]")


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date expression found in a text.

    ``start``/``end`` are offsets in the searched text. ``kind`` says how to resolve it:
    ``ymd`` (full date), ``md`` (month and day; ``offset`` = explicit year shift or ``None``),
    ``d`` (day of month; ``offset`` = explicit month shift or ``None``), ``rel`` (``offset``
    days from today), ``week`` (``weekday`` 1-7 of the week ``offset`` weeks from this one;
    ``offset`` ``None`` for a bare 周三). Coarse kinds: ``month`` (``month``, with ``year`` or
    a year shift ``offset``, or only a month shift ``part``-less ``offset`` when ``month`` is
    ``None``: 上个月), ``xun`` (the same plus ``part`` 0/1/2 for 上/中/下旬), ``quarter``
    (``part`` 1-4, or ``None`` with a quarter shift ``offset``), ``half`` (``part`` 1/2),
    ``year``. ``shift`` days are added after resolving (元旦前一天). ``inferred`` marks a date
    the text only implies (上午 alone: today, or the day of an earlier date of the text: "10月8日
    上午…；下午召开支委会"; ``tod`` for such a time of day). ``since`` marks "以来" (今年以来).
    """

    start: int
    end: int
    kind: Kind
    year: int | None = None
    month: int | None = None
    day: int | None = None
    offset: int | None = None
    weekday: int | None = None
    part: int | None = None
    shift: int = 0
    inferred: bool = False
    since: bool = False
    tod: bool = False

    @property
    def coarse(self) -> bool:
        """Whether this names a span longer than a day (a month, 旬, quarter, half or year)."""
        return self.kind in COARSE_KINDS

    def resolve(self, today: dt.date, planned: bool = False) -> dt.date | None:
        """The calendar date this expression means, read on ``today``.

        ``planned`` picks the next matching day instead of the last for a date without a year
        (or month, or week). Returns ``None`` for an impossible date and for a coarse kind
        (use :meth:`resolve_when`).
        """
        if self.coarse:
            return None
        try:
            day = self._resolve(today, planned)
            if day is not None and self.shift:
                day += dt.timedelta(days=self.shift)
            return day
        except (ValueError, OverflowError):
            return None

    def resolve_when(self, today: dt.date, planned: bool = False) -> When | None:
        """The span this expression means, with its precision (see :class:`When`).

        A month, quarter or half without a year is the latest one not after ``today`` (the
        earliest one not before it when ``planned``). ``None`` for an impossible date.
        """
        if not self.coarse:
            day = self.resolve(today, planned)
            return When("day", day, day) if day is not None else None
        try:
            return self._resolve_span(today, planned)
        except (ValueError, OverflowError):
            return None

    def _resolve_span(self, today: dt.date, planned: bool) -> When | None:
        if self.kind == "year":
            y = self.year if self.year is not None else today.year + (self.offset or 0)
            return When("year", dt.date(y, 1, 1), dt.date(y, 12, 31))
        if self.kind == "half":
            part = self.part or 1
            if self.year is not None or self.offset is not None:
                y = self.year if self.year is not None else today.year + (self.offset or 0)
            else:
                current = 1 if today.month <= 6 else 2
                y = today.year
                if planned and part < current:
                    y += 1
                elif not planned and part > current:
                    y -= 1
            return _half(y, part)
        if self.kind == "quarter":
            current = (today.month - 1) // 3 + 1
            if self.part is None:
                index = today.year * 4 + current - 1 + (self.offset or 0)
                return _quarter(index // 4, index % 4 + 1)
            part = self.part
            if self.year is not None or self.offset is not None:
                y = self.year if self.year is not None else today.year + (self.offset or 0)
            else:
                y = today.year
                if planned and part < current:
                    y += 1
                elif not planned and part > current:
                    y -= 1
            return _quarter(y, part)
        # month and xun
        if self.month is None:
            y, m = _add_months(today.year, today.month, self.offset or 0)
        elif self.year is not None:
            y, m = self.year, self.month
        elif self.offset is not None:
            y, m = today.year + self.offset, self.month
        else:
            y, m = today.year, self.month
            if planned and m < today.month:
                y += 1
            elif not planned and m > today.month:
                y -= 1
        last = _month_last(y, m)
        if self.kind == "month":
            return When("month", dt.date(y, m, 1), last)
        part = self.part or 0
        first = dt.date(y, m, 1 + 10 * part)
        end = dt.date(y, m, 10 + 10 * part) if part < 2 else last
        return When("xun", first, end)

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
            if self.shift:
                # a holiday: today's shifted day counts as "not after today"
                base = today - dt.timedelta(days=self.shift)
                return _nearest(base, planned, lambda y: _safe_date(y, self.month, self.day), 1)
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
        """``"future"``/``"past"`` when the wording itself says so (明天, 上周五, 下个月, a full
        date after/before today), else ``None`` (today, or a date whose year is inferred)."""
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
        if self.coarse and not self.since:
            span = self.resolve_when(today)
            explicit = self.year is not None or self.offset is not None
            if span is None or not explicit:
                return None
            if span.start > today:
                return "future"
            if span.end < today:
                return "past"
        return None


def _month_last(year: int, month: int) -> dt.date:
    y, m = _add_months(year, month, 1)
    return dt.date(y, m, 1) - dt.timedelta(days=1)


def _quarter(year: int, q: int) -> When:
    first = 3 * q - 2
    return When("quarter", dt.date(year, first, 1), _month_last(year, first + 2))


def _half(year: int, h: int) -> When:
    if h == 1:
        return When("half", dt.date(year, 1, 1), dt.date(year, 6, 30))
    return When("half", dt.date(year, 7, 1), dt.date(year, 12, 31))


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (weeks start on Monday, ISO 8601)."""
    return day - dt.timedelta(days=day.weekday())


def find_dates(text: str, coarse: bool = False) -> list[DateMention]:
    """All date expressions in ``text`` (already normalised to half-width), left to right.

    Day-precise forms only, unless ``coarse`` (then months, 旬, quarters, halves and years
    too). A time of day right after a date (昨天下午) is part of that date. Never raises;
    impossible numbers are skipped. Linear in ``len(text)``.
    """
    found: list[DateMention] = []
    matches = list(_DATE_RE.finditer(text))
    if coarse and _COARSE_HINT_RE.search(text):
        spans = [m.span() for m in matches]
        for match in _COARSE_RE.finditer(text):
            start, end = match.span()
            i = bisect.bisect_left(spans, (start, end))
            if (i > 0 and spans[i - 1][1] > start) or (i < len(spans) and spans[i][0] < end):
                continue  # "3月15日" is a day, not the month
            matches.insert(i, match)
            spans.insert(i, (start, end))
    for match in matches:
        mention = _from_match(match, text)
        if mention is None:
            continue
        if mention.inferred and mention.kind == "rel" and found:
            last = found[-1]
            if last.end == mention.start and not last.coarse:
                found[-1] = _moved(last, last.start, mention.end, last.inferred)  # 昨天下午
                continue
            days = [d for d in found if not d.coarse]
            if mention.tod and days:
                # "10月8日上午…；下午召开支委会": the afternoon of that day
                mention = _moved(days[-1], mention.start, mention.end, True)
        if mention.coarse and not coarse:
            continue
        found.append(mention)
    return found


def _moved(d: DateMention, start: int, end: int, inferred: bool) -> DateMention:
    """``d`` at another span (``dataclasses.replace`` is several times slower)."""
    return DateMention(
        start, end, d.kind, d.year, d.month, d.day, d.offset, d.weekday, d.part, d.shift,
        inferred, d.since, d.tod,
    )  # fmt: skip


def _from_match(match: re.Match[str], text: str) -> DateMention | None:
    start, end = match.span()
    groups: dict[str, str] = {k: v for k, v in match.groupdict().items() if v is not None}

    def g(name: str) -> str:
        return groups.get(name, "")

    if (
        "d4" not in groups
        and "tod" not in groups
        and "now" not in groups
        and _DEADLINE_RE.match(text, end)
    ):
        return None  # "5月31日前报送": a deadline, not the day of an activity
    if "y" in groups:
        year = parse_int(g("y"))
        month = parse_int(g("m1"))
        day = parse_int(g("d1"))
        if year is None or month is None or day is None:
            return None
        return DateMention(start, end, "ymd", year=year, month=month, day=day)
    if "m2" in groups:
        month = parse_int(g("m2"))
        day = parse_int(g("d2"))
        if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        yw = g("yw")
        return DateMention(
            start, end, "md", month=month, day=day, offset=_YEAR_WORDS[yw] if yw else None
        )
    if "m3" in groups:
        before = text[start - 1] if start > 0 else "\n"
        if before not in _BEFORE_MD and not _AFTER_MD.match(text, end):
            return None
        if g("sep") == "-" and before.isascii() and before.isalnum():
            return None
        return DateMention(start, end, "md", month=int(g("m3")), day=int(g("d3")))
    if "rel" in groups:
        return DateMention(start, end, "rel", offset=_REL_DAYS[g("rel")])
    if "en" in groups:
        return DateMention(start, end, "rel", offset=_EN_DAYS[g("en").lower()])
    if "wd" in groups:
        wk = g("wk")
        return DateMention(
            start,
            end,
            "week",
            weekday=_WEEKDAYS[g("wd")],
            offset=_WEEK_OFFSETS[wk] if wk else None,
        )
    if "d4" in groups:
        mw = g("mw")
        return DateMention(
            start, end, "d", day=int(g("d4")), offset=_MONTH_WORDS[mw] if mw else None
        )
    if "hol" in groups:
        month, day = _HOLIDAYS[g("hol")]
        return DateMention(
            start, end, "md", month=month, day=day, shift=_HOLIDAY_SHIFT[g("hshift")]
        )
    if "cm" in groups:
        month = parse_int(g("cm"))
        if month is None or not 1 <= month <= 12:
            return None
        year = int(g("cy")) if g("cy") else None
        offset = _YEAR_WORDS[g("cyw")] if g("cyw") else None
        cx = g("cx")
        if not cx:
            return DateMention(start, end, "month", year=year, month=month, offset=offset)
        return DateMention(
            start, end, "xun", year=year, month=month, offset=offset, part=_XUN_WORDS[cx]
        )
    if "cmw" in groups:
        offset = _MONTH_WORDS[g("cmw")]
        cx = g("cmx")
        if not cx:
            return DateMention(start, end, "month", offset=offset)
        return DateMention(start, end, "xun", offset=offset, part=_XUN_WORDS[cx])
    if "bx" in groups:
        word = g("bx").removeprefix("月").removesuffix("旬") if g("bx")[0] == "月" else ""
        part = _XUN_WORDS.get(word or g("bx"), 1)
        return DateMention(start, end, "xun", offset=0, part=part)
    if "q" in groups:
        year = int(g("qy")) if g("qy") else None
        offset = _YEAR_WORDS[g("qyw")] if g("qyw") else None
        return DateMention(
            start, end, "quarter", year=year, offset=offset, part=_QUARTER_NUMS[g("q")]
        )
    if "qw" in groups:
        return DateMention(start, end, "quarter", offset=_QUARTER_WORDS[g("qw")])
    if "h" in groups:
        year = int(g("hy")) if g("hy") else None
        offset = _YEAR_WORDS[g("hyw")] if g("hyw") else None
        part = 1 if g("h") == "上半年" else 2
        return DateMention(start, end, "half", year=year, offset=offset, part=part)
    if "yy" in groups:
        return DateMention(start, end, "year", year=int(g("yy")), since=bool(g("yysince")))
    if "yr" in groups:
        word = g("yr")
        offset = 0 if word in ("本年度", "本年", "全年") else _YEAR_WORDS[word]
        return DateMention(start, end, "year", offset=offset, since=bool(g("yrsince")))
    if "tod" in groups:
        return DateMention(start, end, "rel", offset=0, inferred=True, tod=True)
    if "now" in groups:
        return DateMention(start, end, "rel", offset=0, inferred=True)
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
