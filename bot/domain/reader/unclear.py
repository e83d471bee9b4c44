"""Never a dead end: a message that reads like an activity whose type is unclear ("昨天下午支部
开会", "今天组织党员学习，到场一百二十人") becomes an :class:`UnclearActivity` with the likely
types ranked, so the chat can offer a type picker instead of "没有识别出".

The cue words and their likely types are data (``bot/domain/data/reader.toml`` ``[[unclear]]``).
A cue counts only with a sign that something happened or is planned: a date, a head count, a
done or planned word (了, 已, 开完, 明天 ...); not in a question, not negated (还没开会), and not
as a noun modifier (学习笔记, 会议记录).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, cast

from bot.domain.dates import DateMention
from bot.domain.reader.headcounts import find_head_counts
from bot.domain.reader.lexicon import Lexicon, reader_data
from bot.domain.reader.patterns import (
    DONE_RE,
    NEGATED_AFTER_RE,
    NEGATED_RE,
    NOT_HELD_AFTER_RE,
    PLANNED_RE,
)
from bot.domain.reader.records import Status, UnclearActivity

if TYPE_CHECKING:
    from bot.domain.reader.pipeline import _Text

_HAPPENED_RE = re.compile(r"了|已|完|过|刚|搞|组织|召开|开展|举行|参加|到场|来了")
_NOT_CUE_AFTER_RE = re.compile(
    r"笔记|资料|内容|计划|心得|强国|材料|记录|纪要|通知|室|桌|期间|中|呢|吗"
)


@functools.cache
def _cues() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(cue word, likely types) pairs, longest cue first."""
    raw = cast(list[dict[str, list[str]]], reader_data().get("unclear", []))
    pairs = [(cue, tuple(entry.get("types", []))) for entry in raw for cue in entry.get("cue", [])]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def find_unclear(
    msg: _Text, comp: Lexicon, today: dt.date, dates: list[DateMention]
) -> UnclearActivity | None:
    """The unclear activity of a message without records, or ``None``."""
    tx = msg.tx
    compact = tx.compact
    for cue, types in _cues():
        pos = compact.find(cue)
        if pos < 0:
            continue
        sent = tx.sentence_of(pos)
        if sent in msg.questions:
            continue
        c_start, c_end = tx.clauses[tx.clause_of(pos)]
        end = pos + len(cue)
        if NOT_HELD_AFTER_RE.match(compact, end) or _NOT_CUE_AFTER_RE.match(compact, end):
            continue
        if NEGATED_RE.search(compact[max(c_start, pos - 8) : pos + 2]):
            continue
        if NEGATED_AFTER_RE.search(compact, end, c_end):
            continue
        s_start, s_end = tx.sentences[sent]
        sentence = compact[s_start:s_end]
        heads = find_head_counts(compact, lambda p: tx.clauses[tx.clause_of(p)])
        heads = [h for h in heads if s_start <= h.start < s_end]
        in_sentence = [d for d in dates if s_start <= d.start < s_end]
        planned = bool(PLANNED_RE.search(sentence))
        if not (in_sentence or heads or planned or _HAPPENED_RE.search(sentence)):
            continue
        candidates = tuple(t for t in types if t in comp.unit)
        if not candidates:
            continue
        status: Status = "planned" if planned and not DONE_RE.search(sentence) else "done"
        date = in_sentence[0] if in_sentence else None
        when = date.resolve_when(today, planned=status == "planned") if date else None
        head = heads[0] if heads and heads[0].span is None else None
        sources = [msg.source("activity_type", pos, end, 0.3)]
        if date is not None and when is not None:
            sources.append(msg.source("when", date.start, date.end, 0.9))
        if head is not None:
            sources.append(msg.source("participants", head.start, head.end, 0.85))
        o_start, o_end = msg.span(s_start, s_end)
        title = msg.text[o_start:o_end].strip(" ，,。；;！!？?\n")[:60]
        return UnclearActivity(
            candidates=candidates,
            cue=cue,
            title=title,
            status=status,
            when=when,
            participants=head.value if head else None,
            participants_approximate=bool(head and head.approximate),
            sources=tuple(sources),
        )
    return None
