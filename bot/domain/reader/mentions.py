"""Stages 3, 4 and 6: activity words found in the text, refined to specific types, ambiguous
words settled, and the mentions without a count kept only when they name an activity held."""

from __future__ import annotations

import bisect
import itertools
import re

from bot.domain.dates import DateMention
from bot.domain.reader.lexicon import Lexicon
from bot.domain.reader.patterns import (
    ADJACENT_GAPS,
    CONJ_RE,
    CONTENT_RE,
    EXAMPLES_RE,
    HELD_AFTER_RE,
    HELD_BEFORE_RE,
    MEETING_NOUN_RE,
    NEGATED_RE,
    NOT_HELD_AFTER_RE,
    PLANNED_RE,
    QTY_AFTER_RE,
    ROUTINE_RE,
    TOPIC_RE,
)
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import HeadCount, Mention

#: At most this many activity words are read from one message (the rest is ignored): a bound
#: on the work done for pasted documents; real messages have a handful.
MAX_WORDS = 600


def find_mentions(tx: Segmented, comp: Lexicon) -> list[Mention]:
    compact = tx.compact
    found = itertools.islice(comp.pattern.finditer(compact), MAX_WORDS)
    candidates = [(m.start(), m.start() + len(m.group(1))) for m in found]
    if not candidates:
        return []
    # longer first, then the one ending later (the head of a Chinese phrase is last)
    candidates.sort(key=lambda c: (c[0] - c[1], -c[1]))
    taken: list[tuple[int, int]] = []
    for start, end in candidates:
        i = bisect.bisect_left(taken, (start, end))
        if i > 0 and taken[i - 1][1] > start:
            continue
        if i < len(taken) and taken[i][0] < end:
            continue
        taken.insert(i, (start, end))
    mentions = []
    for start, end in taken:
        types = comp.lookup.get(compact[start:end], ())
        if types:  # an empty tuple is a blocked phrase (调研报告)
            mentions.append(Mention(start, end, types, tx.sentence_of(start), tx.clause_of(start)))
    return mentions


def refine(tx: Segmented, mentions: list[Mention], comp: Lexicon) -> None:
    """A generic mention right after a marker of a specific type becomes that type."""
    if not comp.refine:
        return
    for m in mentions:
        clause_start = tx.clauses[m.clause][0]
        window = tx.compact[max(clause_start, m.start - 10) : m.start]
        if not window:
            continue
        found = None
        for generic in m.types:
            for specific, markers in comp.refine.get(generic, ()):
                for marker in markers:
                    pos = window.rfind(marker)
                    if pos >= 0 and not CONJ_RE.search(window[pos + len(marker) :]):
                        found = specific
                        break
                if found:
                    break
            if found:
                break
        if found:
            m.types = (found,)


def settle_ambiguous(mentions: list[Mention]) -> None:
    """An ambiguous word is settled by an unambiguous word of the message naming one of its
    types; otherwise its other types become alternatives."""
    plain = {m.type for m in mentions if len(m.types) == 1}
    for m in mentions:
        if len(m.types) < 2:
            continue
        match = [t for t in m.types if t in plain]
        if match:
            m.types = (match[0],)
        else:
            m.alternatives = m.types[1:]


def drop_countless(
    tx: Segmented,
    mentions: list[Mention],
    comp: Lexicon,
    participants: list[HeadCount],
    dates: list[DateMention],
) -> None:
    """Decide which mentions without a count name an activity held (module doc, step 6)."""
    compact = tx.compact
    # topic: after 研究/部署/学习贯彻 ... (since the previous word or the clause start)
    prev_end: dict[int, int] = {}
    for m in mentions:
        c_start = tx.clauses[m.clause][0]
        lead = compact[max(c_start, prev_end.get(m.clause, c_start)) : m.start]
        prev_end[m.clause] = m.end
        m.topic = _is_topic(lead)

    # adjacent words form one phrase: keep its head (higher rank, else the later word)
    for a, b in itertools.pairwise(mentions):
        if not (a.keep and b.keep) or a.clause != b.clause:
            continue
        if compact[a.end : b.start] not in ADJACENT_GAPS:
            continue
        if a.count is not None and b.count is not None:
            continue
        if a.type == b.type:
            loser = a if a.count is None else b
        elif a.count is not None:
            loser = b
        elif b.count is not None:
            loser = a
        else:
            loser = a if _rank(comp, a) <= _rank(comp, b) else b
        loser.keep = False

    evidence_sentences = {tx.sentence_of(p.start) for p in participants}
    evidence_sentences.update(tx.sentence_of(d.start) for d in dates)
    evidence_sentences.update(tx.sentence_of(m.start()) for m in PLANNED_RE.finditer(compact))
    counted_clauses = {m.clause for m in mentions if m.count is not None and m.keep}
    routine_clauses: dict[int, bool] = {}
    evidence_sentences.update(m.sentence for m in mentions if m.count is not None and m.keep)
    for m in mentions:
        if not m.keep or m.count is not None:
            continue
        c_start, c_end = tx.clauses[m.clause]
        if m.clause in counted_clauses:
            m.keep = False  # the counted activity of the clause is the one meant
            continue
        if EXAMPLES_RE.match(compact, m.end) or NOT_HELD_AFTER_RE.match(compact, m.end):
            m.keep = False  # 主题党日等载体: examples, not an activity held
            continue
        routine = routine_clauses.get(m.clause)
        if routine is None:
            routine = bool(ROUTINE_RE.search(compact, c_start, c_end))
            routine_clauses[m.clause] = routine
        if routine:
            m.keep = False  # 每月开展主题党日: a routine, not an activity held
            continue
        if m.topic:
            m.keep = False  # 召开支委会，研究发展党员: the meeting was held, not the topic
            continue
        lead = compact[c_start : m.start]
        if NEGATED_RE.search(lead[-12:]):
            m.keep = False  # 还没开支委会: not held
            continue
        if CONTENT_RE.match(lead) and any(
            o is not m and o.keep and o.sentence == m.sentence and o.clause != m.clause
            for o in mentions
        ):
            m.keep = False  # "活动内容为参观廉政教育基地": what the activity was about
            continue
        window = compact[max(c_start, m.start - 20) : m.start]
        if (
            HELD_BEFORE_RE.search(window)
            or HELD_AFTER_RE.match(compact, m.end, c_end)
            or QTY_AFTER_RE.match(compact, m.end, c_end)
            or m.sentence in evidence_sentences
        ):
            continue
        m.keep = False


def _is_topic(lead: str) -> bool:
    """Whether a word after ``lead`` is what is discussed rather than what is held.

    "研究发展党员" and "召开会议研究部署主题党日" are topics; "召开学习贯彻…专题学习会" is not
    (the held verb 召开 governs the whole phrase) and neither is "研究后开展主题党日"."""
    last = _last_match(TOPIC_RE, lead, 0, len(lead))
    if last is None or HELD_BEFORE_RE.search(lead, last.end()):
        return False
    held = _last_match(HELD_BEFORE_RE, lead, 0, last.start())
    return held is None or bool(MEETING_NOUN_RE.search(lead, held.end(), last.start()))


def _last_match(regex: re.Pattern[str], text: str, pos: int, endpos: int) -> re.Match[str] | None:
    last = None
    for match in regex.finditer(text, pos, endpos):
        last = match
    return last


def _rank(comp: Lexicon, m: Mention) -> int:
    return max(comp.rank.get(t, 2) for t in m.types)
