"""Requests to the bot in a message that records nothing: a report, the ledger, a list of
records, or how to do something (:class:`bot.domain.reader.records.Request`).

The words are data (``bot/domain/data/reader.toml``, ``[requests.*]`` and ``[howto]``): a
request is an object word (总结, 台账, 登记了哪些) together with an asking word (帮我, 生成,
导出, 发我...; a list needs none). A question (怎么…, 如何…, …在哪) naming a how-to topic is a
how-to request; topics are tried in the file's order, most specific first. A period named in
the message (今年, 上半年, 三季度, 上个月) is resolved with :mod:`bot.domain.dates` against the
message's ``today``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import cast

from bot.domain.dates import find_dates
from bot.domain.periods import Period, PeriodKind
from bot.domain.reader.lexicon import Lexicon, reader_data
from bot.domain.reader.records import Request, RequestKind
from bot.domain.reader.segments import Segmented
from bot.domain.when import When

_HOWTO_RE = re.compile(
    r"怎么|怎样|如何|咋|在哪|哪里|哪儿|能不能|可以.{0,6}吗|教.{0,2}我|什么时候|啥时候|多久"
)
_MINE_RE = re.compile(r"我(?!们)")
_KINDS: tuple[RequestKind, ...] = ("report", "ledger", "list")


@dataclass(frozen=True, slots=True)
class _Words:
    objects: dict[str, tuple[str, ...]]
    verbs: dict[str, tuple[str, ...]]
    howto: tuple[tuple[str, tuple[str, ...]], ...]


@functools.cache
def _words() -> _Words:
    data = reader_data()
    raw_requests = cast(dict[str, dict[str, list[str]]], data.get("requests", {}))
    objects = {k: tuple(v.get("objects", [])) for k, v in raw_requests.items()}
    verbs = {k: tuple(v.get("verbs", [])) for k, v in raw_requests.items()}
    raw_howto = cast(dict[str, list[str]], data.get("howto", {}))
    howto = tuple((topic, tuple(words)) for topic, words in raw_howto.items())
    return _Words(objects, verbs, howto)


def find_request(
    compact: str, tx: Segmented, today: dt.date, comp: Lexicon, questions: set[int]
) -> Request | None:
    """The request in ``compact`` (a message without records), or ``None``.

    Commands (``/report …``) are left to the command handlers: ``None``.
    """
    if compact.startswith("/") or len(compact) > 80:
        return None
    words = _words()
    low = compact.lower()
    period_text, period = _period(compact, today)
    mine = bool(_MINE_RE.search(compact))
    asks_how = bool(questions) or bool(_HOWTO_RE.search(compact))
    if asks_how and _HOWTO_RE.search(compact):
        for topic, topic_words in words.howto:
            if any(w in low for w in topic_words):
                return Request("howto", topic=topic)
    for kind in _KINDS:
        objects = words.objects.get(kind, ())
        if not any(o in low for o in objects):
            continue
        verbs = words.verbs.get(kind, ())
        if verbs and not any(v in low for v in verbs):
            continue
        activity = _activity(compact, comp) if kind == "list" else None
        return Request(kind, period_text, period, activity_type=activity, mine=mine)
    return None


def _period(compact: str, today: dt.date) -> tuple[str | None, Period | None]:
    for d in find_dates(compact, coarse=True):
        if not d.coarse:
            continue
        when = d.resolve_when(today)
        if when is None:
            return compact[d.start : d.end], None
        return compact[d.start : d.end], _as_period(when)
    return None, None


def _as_period(when: When) -> Period:
    kind = {
        "year": PeriodKind.YEAR,
        "half": PeriodKind.HALF,
        "quarter": PeriodKind.QUARTER,
        "month": PeriodKind.MONTH,
    }.get(when.precision, PeriodKind.CUSTOM)
    return Period(kind, when.start, when.end)


def _activity(compact: str, comp: Lexicon) -> str | None:
    for match in comp.pattern.finditer(compact):
        types = comp.lookup.get(match.group(1), ())
        if types:
            return types[0]
    return None
