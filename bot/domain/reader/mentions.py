"""Stages 3, 4 and 6: activity words found in the text, refined to specific types, ambiguous
words settled, and the mentions without a count kept only when they name an activity held."""

from __future__ import annotations

import bisect
import itertools
import re

from bot.domain.dates import DateMention
from bot.domain.reader.lexicon import Lexicon, SoundIndex
from bot.domain.reader.patterns import (
    ADJACENT_GAPS,
    CONJ_RE,
    CONTENT_RE,
    DISCUSS_END_RE,
    EXAMPLES_RE,
    HELD_AFTER_RE,
    HELD_BEFORE_RE,
    MEETING_NOUN_RE,
    NEGATED_AFTER_RE,
    NEGATED_RE,
    NOT_HELD_AFTER_RE,
    PLANNED_RE,
    POSTPONE_RE,
    QTY_AFTER_RE,
    ROUTINE_RE,
    SPLIT_WORDS,
    TOPIC_JOIN_RE,
    TOPIC_RE,
)
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import HeadCount, Mention

#: At most this many activity words are read from one message (the rest is ignored): a bound
#: on the work done for pasted documents; real messages have a handful.
MAX_WORDS = 200


def find_mentions(tx: Segmented, comp: Lexicon, sound: SoundIndex | None = None) -> list[Mention]:
    """Activity words of the text: the longest alias at each position, overlaps to the longer
    then the later one. With ``sound``, also typos read by their pinyin (see
    :mod:`.lexicon`); a typo reading wins only where it is longer than the words read as
    written."""
    compact = tx.compact
    found = itertools.islice(comp.pattern.finditer(compact), MAX_WORDS)
    candidates: list[tuple[int, int, tuple[str, ...] | None, float]] = [
        (m.start(), m.start() + len(m.group(1)), None, 1.0) for m in found
    ]
    if sound is not None:
        candidates.extend(_sound_candidates(compact, sound))
    for guard, regex, name in SPLIT_WORDS:
        if guard in compact and name in comp.unit:
            candidates.extend((m.start(), m.end(), (name,), 0.9) for m in regex.finditer(compact))
    if not candidates:
        return []
    # longer first, then the one ending later (the head of a Chinese phrase is last)
    candidates.sort(key=lambda c: (c[0] - c[1], -c[1]))
    taken: list[tuple[int, int, tuple[str, ...] | None, float]] = []
    for cand in candidates:
        start, end = cand[0], cand[1]
        i = bisect.bisect_left(taken, (start, end))
        if i > 0 and taken[i - 1][1] > start:
            continue
        if i < len(taken) and taken[i][0] < end:
            continue
        taken.insert(i, cand)
    mentions = []
    for start, end, typo_types, confidence in taken:
        types = typo_types if typo_types is not None else comp.lookup.get(compact[start:end], ())
        if types:  # an empty tuple is a blocked phrase (调研报告)
            mention = Mention(start, end, types, tx.sentence_of(start), tx.clause_of(start))
            if typo_types is not None and confidence < 0.9:
                mention.via = "pinyin"
                mention.confidence = confidence
            mentions.append(mention)
    return mentions


def _sound_candidates(
    compact: str, sound: SoundIndex
) -> list[tuple[int, int, tuple[str, ...] | None, float]]:
    keys = compact.translate(sound.table)
    out: list[tuple[int, int, tuple[str, ...] | None, float]] = []
    for match in itertools.islice(sound.pattern.finditer(keys), MAX_WORDS):
        key = match.group(1)
        start = match.start()
        end = start + len(key)
        typed = compact[start:end]
        for entry in sound.entries.get(key, ()):
            diff = sum(a != b for a, b in zip(entry.chars, typed, strict=True))
            if entry.kind == "sound":
                ok = 1 <= diff <= (1 if len(typed) <= 5 else 2)
                confidence = 0.75 if diff == 1 else 0.6
            elif entry.kind == "drop":
                ok = diff == 0
                confidence = 0.65
            else:  # cut: only where the clause ends
                ok = diff == 0 and (end == len(compact) or not _is_cjk(compact[end]))
                confidence = 0.6
            if ok:
                out.append((start, end, entry.types, confidence))
                break
    return out


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


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
    prev_topic: dict[int, bool] = {}
    prev: Mention | None = None
    for m in mentions:
        if prev is not None and prev.clause != m.clause:
            prev = None
        c_start = tx.clauses[m.clause][0]
        lead = compact[max(c_start, prev_end.get(m.clause, c_start)) : m.start]
        had_prev = m.clause in prev_end
        prev_end[m.clause] = m.end
        # "研究学雷锋志愿服务和党课安排": a topic list goes on after 和/、
        m.topic = _is_topic(lead) or (
            had_prev
            and prev_topic.get(m.clause, False)
            and (lead in ADJACENT_GAPS or bool(TOPIC_JOIN_RE.match(lead)))
        )
        if had_prev and lead in ("了", "") and prev is not None:
            # "党小组会专题研讨了意识形态工作": what the study was about
            m.topic = m.topic or bool(DISCUSS_END_RE.search(compact, prev.start, prev.end))
        prev_topic[m.clause] = m.topic
        prev = m

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
    starts = [m.start for m in mentions]
    for m in mentions:
        if m.keep and _not_held(tx, m, starts):
            m.keep = False  # 还没开, 取消了, 没开成
    held_sentences = {o.sentence for o in mentions if o.keep and _rank(comp, o) >= 2}
    for m in mentions:
        # "主题党日去了红色教育基地", "到纪念馆参观学习，开展主题党日活动": a rank-1 word beside
        # an activity held is its place or content, not an activity of its own
        if m.keep and m.count is None and _rank(comp, m) <= 1 and m.sentence in held_sentences:
            m.keep = False
    for m in mentions:
        if not m.keep or m.count is not None:
            continue
        c_start, c_end = tx.clauses[m.clause]
        if m.clause in counted_clauses:
            m.keep = False  # the counted activity of the clause is the one meant
            continue
        if EXAMPLES_RE.match(compact, m.end) or NOT_HELD_AFTER_RE.match(
            compact, m.end + (compact.startswith("的", m.end))
        ):
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


def _after_text(tx: Segmented, m: Mention, starts: list[int]) -> str:
    """The rest of the mention's clause, and the next clause of its sentence when that names
    no other activity ("昨天原本要开支委会，结果书记临时有事没开成"), up to the next activity word.
    ``starts``: the starts of all mentions, in order."""
    c_end = tx.clauses[m.clause][1]
    s_end = tx.sentences[m.sentence][1]
    end = c_end
    if c_end < s_end and m.clause + 1 < len(tx.clauses):
        n_start, n_end = tx.clauses[m.clause + 1]
        if bisect.bisect_left(starts, n_start) == bisect.bisect_left(starts, n_end):
            end = n_end
    i = bisect.bisect_left(starts, m.end)
    if i < len(starts) and starts[i] < end:
        end = starts[i]
    return tx.compact[m.end : end]


def _not_held(tx: Segmented, m: Mention, starts: list[int]) -> bool:
    """A word said not to have happened, or moved: marks ``m.reschedule`` for a postponement
    (which is kept: a planned record for the new date)."""
    after = _after_text(tx, m, starts)
    if not after:
        return False
    post = POSTPONE_RE.search(after)
    if post is not None:
        m.reschedule = True
        return False
    return bool(NEGATED_AFTER_RE.search(after))


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
