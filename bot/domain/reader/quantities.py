"""Stage 5 and the head counts of stage 7: numbers with units and participants, and which mention
each count belongs to."""

from __future__ import annotations

import bisect

from bot.domain.numerals import parse_int
from bot.domain.reader.lexicon import Lexicon
from bot.domain.reader.patterns import (
    APPROX_BEFORE,
    EXPECTED_RE,
    FILLER_RE,
    GAP_BREAK_RE,
    HELD_BEFORE_RE,
    OCCURRENCE_UNITS,
    PART_BWD_RE,
    PART_FWD_RE,
    PART_UNITLESS_RE,
    QTY_RE,
    RATE_BEFORE_RE,
    UNIT_FAMILY,
)
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import HeadCount, Mention, Quantity


def find_participants(compact: str) -> list[HeadCount]:
    found: list[HeadCount] = []
    starts: list[int] = []
    for regex, forward in ((PART_FWD_RE, True), (PART_BWD_RE, False)):
        for match in regex.finditer(compact):
            value = parse_int(match.group("num"))
            if value is None or value <= 0 or value > 100_000:
                continue
            if forward and not match.group("unit") and not PART_UNITLESS_RE.search(match[0]):
                continue
            start, end = match.span()
            if not forward and EXPECTED_RE.search(compact[max(0, start - 3) : start]):
                continue  # 应到32人 is not a head count
            i = bisect.bisect_left(starts, start)
            if (i > 0 and found[i - 1].end > start) or (i < len(found) and found[i].start < end):
                continue
            starts.insert(i, start)
            found.insert(i, HeadCount(start, end, value, 2 if match["trig"] == "实到" else 1))
    return found


def find_quantities(compact: str, participants: list[HeadCount]) -> list[Quantity]:
    out: list[Quantity] = []
    p_starts = [p.start for p in participants]
    for match in QTY_RE.finditer(compact):
        start, end = match.span()
        i = bisect.bisect_right(p_starts, start) - 1
        if i >= 0 and start < participants[i].end:
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
        if prev:
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
            if (
                n.count is None
                and HELD_BEFORE_RE.search(compact, lead_lo, q.start)
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


def _set_count(m: Mention, q: Quantity, clause: int) -> None:
    m.count = q.value
    m.approximate = q.approximate
    m.count_clause = clause
