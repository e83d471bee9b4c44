"""Stage 5 and the head counts of stage 7: numbers with units and participants, and which mention
each count belongs to."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable

from bot.domain.numerals import parse_int
from bot.domain.reader.headcounts import find_head_counts
from bot.domain.reader.lexicon import Lexicon
from bot.domain.reader.patterns import (
    APPROX_BEFORE,
    BARE_PAIR_RE,
    FILLER_RE,
    GAP_BREAK_RE,
    HELD_BEFORE_RE,
    OCCURRENCE_UNITS,
    QTY_RE,
    RATE_BEFORE_RE,
    UNIT_FAMILY,
)
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import HeadCount, Mention, Quantity

#: At most this many numbers with units are read from one message (a bound for pasted
#: documents, like :data:`.mentions.MAX_WORDS`).
MAX_NUMBERS = 400


def find_participants(compact: str, clause_of: Callable[[int], tuple[int, int]]) -> list[HeadCount]:
    """Head counts of the text, left to right (see :mod:`.headcounts` for the wordings)."""
    return find_head_counts(compact, clause_of)


def find_quantities(compact: str, participants: list[HeadCount]) -> list[Quantity]:
    out: list[Quantity] = []
    p_starts = [p.start for p in participants]
    for match in itertools.islice(QTY_RE.finditer(compact), MAX_NUMBERS):
        start, end = match.span()
        i = bisect.bisect_right(p_starts, start) - 1
        if i >= 0 and start < participants[i].end and not participants[i].weak:
            continue  # part of a head count (参加21人)
        before = compact[max(0, start - 3) : start]
        if before.endswith(("第", "几", "数", "若干")):
            continue
        num = match.group("num")
        value = parse_int(num)
        if value is None or value <= 0:
            continue
        approx_mark = match.group("approx")
        if approx_mark == "几" and not num.endswith("十"):
            continue
        unit = match.group("unit")
        if unit == "人/次":
            unit = "人次"
        approximate = bool(approx_mark) or before.endswith(APPROX_BEFORE)
        out.append(Quantity(start, end, value, approximate, unit))
    if "俩" in compact or "仨" in compact:
        # 俩/仨 alone are 两个/三个: "开了俩支委会", "党小组会开了仨"
        for match in BARE_PAIR_RE.finditer(compact):
            start, end = match.span()
            if any(q.start <= start < q.end for q in out) or any(
                p.start <= start < p.end for p in participants
            ):
                continue
            out.append(Quantity(start, end, 2 if match[0] == "俩" else 3, False, "个"))
        out.sort(key=lambda q: q.start)
    return out


def _compatible(type_unit: str, unit: str) -> bool:
    family = UNIT_FAMILY.get(type_unit)
    if family is not None:
        return unit in family
    return unit in OCCURRENCE_UNITS or unit == type_unit


def bind_counts(
    tx: Segmented, mentions: list[Mention], quantities: list[Quantity], comp: Lexicon
) -> None:
    """Give each count (number + unit) to the mention it counts (module doc, step 5)."""
    compact = tx.compact
    by_clause: dict[int, list[Mention]] = {}
    for m in mentions:
        by_clause.setdefault(m.clause, []).append(m)
    ends_by_clause = {ci: [m.end for m in ms] for ci, ms in by_clause.items()}
    starts_by_clause = {ci: [m.start for m in ms] for ci, ms in by_clause.items()}
    used_starts: list[int] = []  # starts of counts already given, in order
    mention_starts = [m.start for m in mentions]
    for q in quantities:
        ci = tx.clause_of(q.start)
        c_start = tx.clauses[ci][0]
        if RATE_BEFORE_RE.search(compact, max(c_start, q.start - 12), q.start):
            continue  # 每月开展2次: a rate, not a count
        in_clause = by_clause.get(ci, [])
        n_prev = bisect.bisect_right(ends_by_clause.get(ci, []), q.start)
        prev = in_clause[max(0, n_prev - 8) : n_prev]
        n_next = bisect.bisect_left(starts_by_clause.get(ci, []), q.end)
        nxt = in_clause[n_next : n_next + 1]
        if prev:
            # "召开支委会、党员大会各2次": the count applies to each
            gap = compact[prev[-1].end : q.start]
            if gap.endswith("各") and len(gap) <= 3:
                group = [m for m in prev if m.count is None]
                if group and all(_compatible(comp.unit[m.type], q.unit) for m in group):
                    for m in group:
                        _set_count(m, q, ci)
                    q.used = True
                    bisect.insort(used_starts, q.start)
                    continue
        target = None
        if q.unit == "个":
            # "俩微党课", "两个党小组会", "支委会开了俩", "谈心谈话搞了五个": 个 counts an
            # activity only right before its word or as the end of "word + verb"
            target = _bind_ge(compact, q, prev, nxt, tx.clauses[ci][1], comp)
            if target is not None:
                _set_count(target, q, ci)
                q.used = True
                bisect.insort(used_starts, q.start)
            continue
        if compact.startswith(("都", "均", "全"), q.end):
            continue  # "两次都是28个人参加": refers to the activities before, counts none
        verb_governs = bool(
            nxt
            and compact[q.end : nxt[0].start] in ("", "的")
            and HELD_BEFORE_RE.search(compact, max(c_start, q.start - 3), q.start)
        )  # "开了党小组会，讲了一堂微党课": 一堂 is of the word after it
        if prev and not verb_governs:
            p = prev[-1]
            gap = compact[p.end : q.start]
            if (
                p.count is None
                and len(gap) <= 14
                and "、" not in gap
                and bisect.bisect_left(used_starts, p.end)
                == bisect.bisect_left(used_starts, q.start)
                and not GAP_BREAK_RE.search(gap)
                and _compatible(comp.unit[p.type], q.unit)
                and (q.unit != "人次" or len(gap) <= 4)
            ):
                target = p
        if target is None and nxt:
            n = nxt[0]
            gap = compact[q.end : n.start]
            lead_lo = max(c_start, prev[-1].end if prev else c_start, q.start - 6)
            listed = (
                gap in ("", "的")
                and q.unit not in ("批", "批次")
                and (
                    bool(FILLER_RE.match(compact[c_start : q.start]))
                    or (bool(prev) and prev[-1].end == q.start)
                )
            )  # "一次结对共建", "两次党小组会一次支委会": a count right before its word
            if (
                n.count is None
                and (listed or HELD_BEFORE_RE.search(compact, lead_lo, q.start))
                and len(gap) <= 10
                and q.unit != "人次"
                and not GAP_BREAK_RE.search(gap)
                and _compatible(comp.unit[n.type], q.unit)
            ):
                target = n
        if target is None and not in_clause and FILLER_RE.match(compact[c_start : q.start]):
            # "开展主题党日活动，共计12次": a bare count clause counts the mention before it
            s_start = tx.sentences[tx.sentence_of(q.start)][0]
            i = bisect.bisect_left(mention_starts, q.start) - 1
            if i >= 0 and mentions[i].start >= s_start:
                p = mentions[i]
                if p.count is None and _compatible(comp.unit[p.type], q.unit):
                    target = p
        if target is not None:
            _set_count(target, q, ci)
            q.used = True
            bisect.insort(used_starts, q.start)


_GE_VERB_RE = re.compile(
    r"^(?:又|也|共|一共|总共)?(?:开|搞|办|组织|开展|进行|召开|举办|谈|讲|上|做)?了?$"
)
_CLAUSE_END_RE = re.compile(r"^[吧啊呀哈了呢嘛，,。；;！!？?…\s]*$")


def _bind_ge(
    compact: str,
    q: Quantity,
    prev: list[Mention],
    nxt: list[Mention],
    c_end: int,
    comp: Lexicon,
) -> Mention | None:
    if nxt:
        n = nxt[0]
        if (
            n.count is None
            and compact[q.end : n.start] in ("", "的")
            and comp.unit[n.type] in ("次", "场")
        ):
            return n
    if prev:
        p = prev[-1]
        if (
            p.count is None
            and _GE_VERB_RE.match(compact[p.end : q.start])
            and _CLAUSE_END_RE.match(compact[q.end : c_end])
            and comp.unit[p.type] in ("次", "场")
        ):
            return p
    return None


def _set_count(m: Mention, q: Quantity, clause: int) -> None:
    m.count = q.value
    m.approximate = q.approximate
    m.count_clause = clause
    m.count_span = (q.start, q.end)
