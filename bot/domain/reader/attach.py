"""Stage 7: participants, status (planned or done) and dates attached to the kept mentions."""

from __future__ import annotations

import bisect
import datetime as dt

from bot.domain.dates import DateMention
from bot.domain.reader.patterns import (
    DATE_JOIN_RE,
    DONE_RE,
    PLANNED_RE,
    POSTPONE_RE,
    RESET_RE,
    TOPIC_RE,
)
from bot.domain.reader.records import Status
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import HeadCount, Mention
from bot.domain.when import When

#: A date for a record, with where it came from: ``(when, date mention, inherited)``.
Dated = tuple[When | None, DateMention | None, bool]


def attach_participants(
    tx: Segmented, kept: list[Mention], participants: list[HeadCount], dates: list[DateMention]
) -> None:
    """Participants go to the nearest mention before them in the sentence (and to the other
    uncounted activities of that sentence held at the same time: "召开组织生活会，开展民主评议
    党员，实到14人"), else to the first after them in the sentence, else to the last mention
    before them in the message."""
    kept_starts = [m.start for m in kept]
    date_starts = [d.start for d in dates]
    for p in participants:
        sent = tx.sentence_of(p.start)
        if p.shared:
            # "两次都是28个人参加": every activity of the sentence before it
            together = [m for m in kept if m.sentence == sent and m.start < p.start]
            if len(together) > 1:
                for m in together:
                    if p.priority >= m.participants_rank:
                        m.participants, m.participants_rank, m.head = p.value, p.priority, p
                continue
        n_before = bisect.bisect_left(kept_starts, p.start)
        targets: list[Mention] = []
        if n_before and kept[n_before - 1].sentence == sent:
            nearest = kept[n_before - 1]
            targets.append(nearest)
            j = n_before - 2
            while nearest.count is None and j >= 0 and len(targets) < 8:
                m = kept[j]
                if m.sentence != sent or m.count is not None or m.participants is not None:
                    break
                if bisect.bisect_left(date_starts, m.end) != bisect.bisect_left(
                    date_starts, p.start
                ):
                    break  # a date in between: another occasion
                targets.append(m)
                j -= 1
        elif n_before < len(kept) and kept[n_before].sentence == sent:
            targets.append(kept[n_before])
        elif n_before:
            targets.append(kept[n_before - 1])
        for target in targets:
            if p.priority >= target.participants_rank:
                target.participants = p.value
                target.participants_rank = p.priority
                target.head = p


def find_statuses(
    tx: Segmented,
    kept: list[Mention],
    dates: list[DateMention],
    today: dt.date,
    participants: list[HeadCount],
) -> list[tuple[Status, int]]:
    """planned or done for each mention, with the position of the cue (-1 for the default):
    the nearest cue before it in its sentence, else the nearest after it in the sentence, else
    the previous sentence's last cue when the sentence has no date of its own; done by default.
    A postponed activity ("改到下周一") is planned."""
    compact = tx.compact
    cues: list[tuple[int, Status]] = []
    cues.extend((m.start(), "planned") for m in PLANNED_RE.finditer(compact))
    cues.extend((m.start(), "done") for m in DONE_RE.finditer(compact))
    date_sentences: set[int] = set()
    for d in dates:
        date_sentences.add(tx.sentence_of(d.start))
        tense = d.tense(today)
        if tense is not None:
            cues.append((d.start, "planned" if tense == "future" else "done"))
    cues.extend((p.start, "done") for p in participants)
    cues.sort()
    positions = [c[0] for c in cues]
    out: list[tuple[Status, int]] = []
    for m in kept:
        if m.reschedule:
            post = POSTPONE_RE.search(compact, m.end, tx.sentences[m.sentence][1])
            out.append(("planned", post.start() if post else -1))
            continue
        s_start, s_end = tx.sentences[m.sentence]
        i = bisect.bisect_left(positions, m.start)
        found: tuple[int, Status] | None = None
        if i > 0 and positions[i - 1] >= s_start:
            found = cues[i - 1]
        if found is None:
            k = bisect.bisect_left(positions, m.end)
            # "开支委会讨论下个月党课安排": a cue inside the agenda is the agenda's
            window_end = min(s_end, m.end + 40)
            agenda = TOPIC_RE.search(compact, m.end, window_end)
            limit = agenda.start() if agenda else s_end
            if k < len(cues) and positions[k] < limit:
                found = cues[k]
        if found is None and m.sentence > 0 and m.sentence not in date_sentences:
            p_start = tx.sentences[m.sentence - 1][0]
            if i > 0 and positions[i - 1] >= p_start:
                found = cues[i - 1]
        out.append((found[1], found[0]) if found else ("done", -1))
    return out


def dates_for(
    tx: Segmented,
    kept: list[Mention],
    dates: list[DateMention],
    statuses: list[Status],
    today: dt.date,
) -> list[list[Dated]]:
    """The date of each mention: the last date before it in the message unless a period word
    (今年以来, 累计, 本月 ...) came in between, else the first date after it in its sentence.
    A date from an earlier sentence is not given to a count above 1. Dates joined by 和/、
    ("3月15日和3月28日分别召开了支委会") give one date each: a list per mention. A postponed
    activity takes the first date after the postponement word; the date before it is where it
    moved from (:func:`moved_from`). Dates come with their precision (:class:`When`)."""
    events: list[tuple[int, DateMention | None]] = [(d.start, d) for d in dates]
    date_starts = [d.start for d in dates]
    index_of = {id(d): i for i, d in enumerate(dates)}
    for match in RESET_RE.finditer(tx.compact):
        pos = match.start()
        i = bisect.bisect_right(date_starts, pos) - 1
        if i >= 0 and (pos < dates[i].end or tx.clause_of(dates[i].start) == tx.clause_of(pos)):
            continue  # inside a date, or "今天召开了本月支委会": the day said first stands
        events.append((pos, None))
    events.sort(key=lambda e: e[0])
    positions = [e[0] for e in events]
    day_dates = [d for d in dates if not d.coarse]
    day_starts = [d.start for d in day_dates]
    out: list[list[Dated]] = []
    for m, status in zip(kept, statuses, strict=True):
        if m.reschedule:
            post = POSTPONE_RE.search(tx.compact, m.end, tx.sentences[m.sentence][1])
            new = next((d for d in dates if post and d.start >= post.end()), None)
            if new is None:
                out.append([(None, None, False)])
            else:
                out.append([(new.resolve_when(today, planned=True), new, False)])
            continue
        i = bisect.bisect_left(positions, m.start)
        chosen: DateMention | None = None
        inherited = False
        if i > 0:
            chosen = events[i - 1][1]
            inherited = chosen is not None and tx.sentence_of(chosen.start) != m.sentence
        if chosen is None or inherited:
            k = bisect.bisect_left(positions, m.end)
            if k < len(events):
                pos, event = events[k]
                if event is not None and tx.sentence_of(pos) == m.sentence:
                    chosen, inherited = event, False
        if chosen is not None and inherited and (m.count or 1) > 1 and not chosen.coarse:
            chosen = None
        if chosen is not None and chosen.coarse and not chosen.since and (m.count or 1) == 1:
            # "今天开了本年度第3次支委会", "二季度的党课今天讲了": the day said stands
            s_start, s_end = tx.sentences[m.sentence]
            lo = bisect.bisect_left(day_starts, s_start)
            hi = bisect.bisect_left(day_starts, s_end)
            days = day_dates[lo : min(hi, lo + 8)]
            if days:
                chosen = min(days, key=lambda d: abs(d.start - m.start))
                inherited = False
        if chosen is None:
            out.append([(None, None, False)])
            continue
        planned = status == "planned"
        group = [chosen]
        if not inherited:
            idx = index_of[id(chosen)]
            while idx > 0 and DATE_JOIN_RE.fullmatch(
                tx.compact, dates[idx - 1].end, group[0].start
            ):
                idx -= 1
                group.insert(0, dates[idx])
        if len(group) > 1 and m.count is not None and m.count != len(group):
            group = [chosen]
        out.append([(d.resolve_when(today, planned=planned), d, inherited) for d in group])
    return out


def moved_from(tx: Segmented, m: Mention, dates: list[DateMention]) -> DateMention | None:
    """For a postponed activity, the date it was first set for: a date in its clause before
    it ("原定周四的支委会改到下周一": 周四)."""
    c_start = tx.clauses[m.clause][0]
    before = [d for d in dates if c_start <= d.start and d.end <= m.start]
    return before[-1] if before else None
