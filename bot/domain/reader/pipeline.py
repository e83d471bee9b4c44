"""The reader's pipeline: :func:`read_message` runs the stages in order (see the package
docstring)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from bot.domain.dates import DateMention, find_dates
from bot.domain.reader.attach import (
    Dated,
    attach_participants,
    dates_for,
    find_statuses,
    moved_from,
)
from bot.domain.reader.events import link_events
from bot.domain.reader.lexicon import Lexicon, compile_lexicon, sound_index
from bot.domain.reader.mentions import (
    drop_countless,
    find_mentions,
    refine,
    settle_ambiguous,
)
from bot.domain.reader.normalise import DROP, DROP_RE, mark_clauses, normalise
from bot.domain.reader.patterns import PUNCT_ONLY_RE
from bot.domain.reader.quantities import bind_counts, find_participants, find_quantities
from bot.domain.reader.records import ParsedRecord, Reading, Source, Status
from bot.domain.reader.requests import find_request
from bot.domain.reader.segments import Segmented, intent_of, is_question, segment
from bot.domain.reader.spans import Mention
from bot.domain.reader.titles import make_title, title_span
from bot.domain.reader.unclear import find_unclear
from bot.domain.taxonomy import Taxonomy, load_taxonomy
from bot.domain.when import When

#: Characters before a word that make a typo in front of it unlikely (a verb or particle
#: ends there): the sound index is not tried for "开展读书班", but is for "主体教育读书班".
#: Typos are looked for in messages up to this long (chat); a pasted document is read as
#: written (bounds the work of the second pass).
SOUND_MAX_CHARS = 2000
_CJK_RE = re.compile("[\u3400-\u9fff]")
_WORD_BOUNDARY_BEFORE = frozenset("了的个和与及、开展办搞行是在到去次场名搞组织召举参加看讲上做")


def read_message(text: str, today: dt.date, taxonomy: Taxonomy | None = None) -> Reading:
    """Read ``text`` (any string; sent on ``today``) into activity records.

    ``taxonomy`` defaults to :func:`bot.domain.taxonomy.load_taxonomy` ``()``. Never raises for any
    ``str`` and never reads the clock; a bug inside gives an empty ``"unknown"`` reading rather
    than an exception. Linear in the length of ``text`` (10,000 characters in well under 50 ms).
    """
    try:
        return read(text, today, taxonomy)
    except Exception:  # pragma: no cover - defensive: the property tests call read directly
        return Reading((), "unknown")


@dataclass(slots=True)
class _Text:
    """The message as the stages see it: ``tx`` (compact text and spans), the original text
    and the map from compact offsets to original ones (``None`` when they are equal)."""

    tx: Segmented
    text: str
    origin: list[int] | None
    questions: set[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of compact ``start``..``end``."""
        if end <= start:
            return -1, -1
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1

    def source(
        self, field: str, start: int, end: int, confidence: float, via: str = "text"
    ) -> Source:
        o_start, o_end = self.span(start, end)
        return Source(field, o_start, o_end, self.text[o_start:o_end], confidence, via)


def read(text: str, today: dt.date, taxonomy: Taxonomy | None = None) -> Reading:
    """:func:`read_message` without the safety net (the property tests call this)."""
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    comp = compile_lexicon(tax)
    norm = mark_clauses(normalise(text))
    if DROP.isdisjoint(norm):
        compact = norm
        origin: list[int] | None = None
    else:
        origin = [i for i, ch in enumerate(norm) if ch not in DROP]
        compact = "".join([norm[i] for i in origin])
    if not compact or PUNCT_ONLY_RE.match(compact):
        return Reading((), "empty")

    sentences, clauses = segment(compact)
    tx = Segmented(compact, sentences, clauses, [s for s, _ in sentences], [c for c, _ in clauses])
    questions = {i for i, (s, e) in enumerate(sentences) if is_question(compact[s:e])}
    msg = _Text(tx, text, origin, questions)
    dates = find_dates(compact, coarse=True)

    records, kept = _read_records(msg, comp, today, dates, sound=False)
    if _try_sound(msg, comp, kept):
        records, kept = _read_records(msg, comp, today, dates, sound=True)
    if records:
        return Reading(records, "records")

    plain = DROP_RE.sub("", normalise(text))
    intent = intent_of(plain, questions)
    request = find_request(compact, tx, today, comp, questions)
    if request is not None:
        return Reading((), "question" if request.kind == "howto" else "request", request=request)
    if intent in ("greeting", "thanks", "acknowledgement", "empty"):
        return Reading((), intent)
    unclear = find_unclear(msg, comp, today, dates)
    if unclear is not None:
        return Reading((), "unclear", unclear=unclear)
    return Reading((), intent)


def _try_sound(msg: _Text, comp: Lexicon, kept: list[Mention]) -> bool:
    """Whether to read the message again with typos (module doc of :mod:`.lexicon`): only
    where the characters found nothing plausible: no activity, an ambiguous one (谈话 in
    连政谈话), or a word that may be the tail of a longer one typed wrong (读书班 in
    主体教育读书班)."""
    compact = msg.tx.compact
    if len(compact) > SOUND_MAX_CHARS:
        return False
    if not kept:
        return len(_CJK_RE.findall(compact, 0, 64)) >= 3
    for m in kept:
        if m.alternatives:
            return True
        if compact[m.start : m.end] in comp.extendable and m.start > 0:
            before = compact[m.start - 1]
            if "\u3400" <= before <= "\u9fff" and before not in _WORD_BOUNDARY_BEFORE:
                return True
    return False


def _read_records(
    msg: _Text, comp: Lexicon, today: dt.date, dates: list[DateMention], sound: bool
) -> tuple[tuple[ParsedRecord, ...], list[Mention]]:
    tx = msg.tx
    compact = tx.compact
    index = sound_index(comp) if sound else None
    mentions = [m for m in find_mentions(tx, comp, index) if m.sentence not in msg.questions]
    if not mentions:
        return (), []
    refine(tx, mentions, comp)
    settle_ambiguous(mentions)
    participants = find_participants(compact, lambda pos: tx.clauses[tx.clause_of(pos)])
    quantities = find_quantities(compact, participants)
    bind_counts(tx, mentions, quantities, comp)
    used = [q for q in quantities if q.used]
    participants = [
        p
        for p in participants
        if not (p.weak and any(q.start < p.end and p.start < q.end for q in used))
    ]  # "发展党员2名": a count, not a head count
    day_dates = [d for d in dates if not d.coarse]
    drop_countless(tx, mentions, comp, participants, dates)
    kept = [m for m in mentions if m.keep]
    if not kept:
        return (), []
    attach_participants(tx, kept, participants, day_dates)
    cued = find_statuses(tx, kept, dates, today, participants)
    statuses: list[Status] = [s for s, _ in cued]
    occurred = dates_for(tx, kept, dates, statuses, today)
    link_events(tx, kept, comp)

    per_sentence: dict[int, int] = {}
    for m in kept:
        per_sentence[m.sentence] = per_sentence.get(m.sentence, 0) + 1
    records: list[ParsedRecord] = []
    counted: list[bool] = []
    seen: dict[tuple[str, When | None, Status], int] = {}
    for m, (status, cue), days in zip(kept, cued, occurred, strict=True):
        for dated in days:
            _emit(
                msg,
                comp,
                m,
                status,
                cue,
                dated,
                dates,
                today,
                per_sentence,
                records,
                counted,
                seen,
                len(days),
            )
    # an uncounted mention of a type counted elsewhere in the message is the same activity
    counted_types = {
        (r.activity_type, r.status) for r, c in zip(records, counted, strict=True) if c
    }
    final = [
        r
        for r, c in zip(records, counted, strict=True)
        if c or (r.activity_type, r.status) not in counted_types
    ]
    return _number_events(final), kept


def _emit(
    msg: _Text,
    comp: Lexicon,
    m: Mention,
    status: Status,
    cue: int,
    dated: Dated,
    dates: list[DateMention],
    today: dt.date,
    per_sentence: dict[int, int],
    records: list[ParsedRecord],
    counted: list[bool],
    seen: dict[tuple[str, When | None, Status], int],
    n_days: int,
) -> None:
    """Append the record of mention ``m`` on ``dated``, or merge it into an equal record."""
    when, date_mention, inherited = dated
    name = m.type
    key = (name, when, status)
    if m.count is None and key in seen and m.event is None:
        # the same activity named again: add what it tells, make no new record
        i = seen[key]
        if records[i].participants is None and m.participants is not None:
            records[i] = replace(records[i], participants=m.participants)
        return
    count = m.count if m.count is not None else 1
    if n_days > 1:
        count = 1  # one record per date: "3月15日和3月28日分别召开了支委会"
    sources = _sources(msg, m, status, cue, when, date_mention, inherited, n_days)
    head = m.head
    participants = m.participants
    needs: tuple[str, ...] = ()
    participants_range = None
    if head is not None and head.span is not None:
        participants, participants_range, needs = None, head.span, ("participants",)
    moved = None
    if m.reschedule:
        original = moved_from(msg.tx, m, dates)
        moved = original.resolve_when(today, planned=True) if original is not None else None
    alternatives = m.alternatives
    records.append(
        ParsedRecord(
            activity_type=name,
            category=comp.category[name],
            unit=comp.unit[name],
            count=count,
            approximate=m.approximate if m.count is not None and n_days == 1 else False,
            participants=participants,
            occurred_on=when.day if when else None,
            status=status,
            title=make_title(
                msg.text, msg.origin, title_span(msg.tx, m, per_sentence[m.sentence] == 1)
            ),
            alternatives=alternatives,
            when=when,
            participants_approximate=bool(head and head.approximate and participants),
            participants_range=participants_range,
            needs=needs,
            event=m.event,
            reschedule=m.reschedule,
            moved_from=moved,
            confidence=min(s.confidence for s in sources),
            sources=sources,
        )
    )
    counted.append(m.count is not None)
    seen.setdefault(key, len(records) - 1)


def _sources(
    msg: _Text,
    m: Mention,
    status: Status,
    cue: int,
    when: When | None,
    date_mention: DateMention | None,
    inherited: bool,
    n_days: int,
) -> tuple[Source, ...]:
    """Each field's span in the original text and a confidence (see :class:`Source`)."""
    type_conf = m.confidence * (0.5 if m.alternatives else 1.0)
    out = [msg.source("activity_type", m.start, m.end, type_conf, m.via)]
    if m.count_span is not None and n_days == 1:
        out.append(msg.source("count", *m.count_span, 0.85 if m.approximate else 0.95))
    else:
        out.append(Source("count", -1, -1, "", 0.85, "default"))
    head = m.head
    if head is not None:
        conf = {2: 0.95, 1: 0.9}.get(head.priority, 0.6)
        if head.approximate:
            conf *= 0.9
        if head.span is not None:
            conf = 0.4
        out.append(msg.source("participants", head.start, head.end, conf))
    if date_mention is not None and when is not None:
        conf = 0.95
        via = "text"
        if date_mention.inferred:
            conf, via = 0.75, "inferred"
        elif inherited:
            conf, via = 0.8, "inferred"
        field = "occurred_on" if when.precision == "day" else "when"
        out.append(msg.source(field, date_mention.start, date_mention.end, conf, via))
    if cue >= 0:
        end = cue + 2 if cue + 2 <= len(msg.tx.compact) else cue + 1
        out.append(msg.source("status", cue, end, 0.9))
    else:
        out.append(Source("status", -1, -1, status, 0.8, "default"))
    return tuple(out)


def _number_events(records: list[ParsedRecord]) -> tuple[ParsedRecord, ...]:
    """Event keys 1, 2 ... in reading order, kept only where an event has two or more
    records; the records of one event share participants and date."""
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(records):
        if r.event is not None:
            groups.setdefault(r.event, []).append(i)
    out = list(records)
    number = 0
    for members in groups.values():
        if len(members) < 2:
            for i in members:
                out[i] = replace(out[i], event=None)
            continue
        number += 1
        people = next((out[i].participants for i in members if out[i].participants), None)
        when = next((out[i].when for i in members if out[i].when), None)
        for i in members:
            r = out[i]
            out[i] = replace(
                r,
                event=number,
                participants=r.participants if r.participants is not None else people,
                when=r.when or when,
                occurred_on=r.occurred_on or (when.day if r.when is None and when else None),
            )
    return tuple(out)
