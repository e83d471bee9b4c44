"""The record's title: the sentence or clause it was read from, trimmed of the date and head count
that have fields of their own."""

from __future__ import annotations

import re

from bot.domain.reader.patterns import ENUM_RE, STRIP
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import Mention

TITLE_MAX = 60


def title_span(tx: Segmented, m: Mention, alone: bool) -> tuple[int, int]:
    s_start, s_end = tx.sentences[m.sentence]
    if alone and s_end - s_start <= TITLE_MAX + 1:
        return s_start, s_end
    start, end = tx.clauses[m.clause]
    if m.count_clause is not None and m.count_clause != m.clause:
        c_start, c_end = tx.clauses[m.count_clause]
        start, end = min(start, c_start), max(end, c_end)
    if end - start > TITLE_MAX + 1:
        # a long clause: the part around the activity word
        start = max(start, min(m.start - 20, end - TITLE_MAX))
        end = min(end, start + TITLE_MAX + 1)
    return start, end


#: A leading "when" (今天上午, 11月15日下午三点, 上周五) that the record's date already holds.
_LEAD_WHEN_RE = re.compile(
    r"^(?:(?:今天|昨天|前天|明天|后天|今日|昨日|明日|当天|"
    r"(?:本|上|下|这)?(?:周|星期)[一二三四五六日天1-7]|"
    r"(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[./]\d{1,2})"
    r"(?:上午|下午|晚上|中午|早上|傍晚|晚)?"
    r"(?:[\d一二三四五六七八九十]{1,3}[点时:：](?:\d{1,2}分?|半)?)?"
    r"|(?:上午|下午|晚上|中午|早上))[，,、\s]*"
)
_LEAD_JOIN_RE = re.compile(r"^(?:和|及|与|、|以及|至|到)")
_LEAD_APART_RE = re.compile(r"^(?:分别|先后|各)")
#: A trailing head count (，到场23人 / （参加21人）) that the record's participants already hold.
_TAIL_PEOPLE_RE = re.compile(
    r"(?:[，,；;]\s*|[（(])(?:共有?|全体党员|党员)?(?:参加|到场|出席|实到|到会|参会|参与|应到)"
    r"[^，,；;。（()）]*[)）]?$"
)


def make_title(text: str, origin: list[int] | None, span: tuple[int, int]) -> str:
    start, end = span
    if end <= start:
        return ""
    raw = text[origin[start] : origin[end - 1] + 1] if origin is not None else text[start:end]
    title = raw.strip(STRIP + "“”‘’\"'")
    title = ENUM_RE.sub("", title, count=1).strip(STRIP)
    title = title.lstrip(")）]】").rstrip("(（[【")
    lead = title
    for _ in range(6):  # "10月15日和11月12日分别召开…": every date of the list, then 分别
        shorter = _LEAD_JOIN_RE.sub("", _LEAD_WHEN_RE.sub("", lead, count=1), count=1)
        if shorter == lead:
            break
        lead = shorter
    lead = _LEAD_APART_RE.sub("", lead, count=1)
    trimmed = _TAIL_PEOPLE_RE.sub("", lead).strip(STRIP)
    if len(trimmed) >= 4:
        title = trimmed
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return title
