"""One event, several types: "A暨B", "A同时开展B", "结合A开展B", "召开A进行B", "B也一起搞了"
give records that share an event key (:attr:`ParsedRecord.event`)."""

from __future__ import annotations

import itertools

from bot.domain.reader.lexicon import Lexicon
from bot.domain.reader.patterns import (
    EVENT_AFTER_RE,
    EVENT_BEFORE_RE,
    EVENT_GAP_RE,
    EVENT_JOIN_RE,
    TOPIC_JOIN_RE,
)
from bot.domain.reader.segments import Segmented
from bot.domain.reader.spans import Mention


def link_events(tx: Segmented, kept: list[Mention], comp: Lexicon) -> None:
    """Give neighbouring activity words of one sentence that name one event the same
    ``event`` number (mention level; :func:`.pipeline._number_events` renumbers records).

    Linked: a gap of 暨 / 同时(开展) / 并(开展) / 一并; "召开A进行B" when A is a meeting (rank 3);
    "结合A开展B" / "依托A开展B"; "A和B一起开的" / "A, B也一起搞了". Counted words (A 3次) are
    never linked: a count says they were separate occasions.
    """
    compact = tx.compact
    next_id = 1
    for a, b in itertools.pairwise(kept):
        if a.sentence != b.sentence or a.count is not None or b.count is not None:
            continue
        gap = compact[a.end : b.start]
        after_b = compact[b.end : b.end + 6]
        a_clause_start = tx.clauses[a.clause][0]
        linked = False
        if EVENT_BEFORE_RE.search(compact, max(a_clause_start, a.start - 3), a.start):
            linked = bool(EVENT_JOIN_RE.match(gap))
        elif EVENT_GAP_RE.match(gap) is not None:
            # "召开党员大会进行换届选举" needs a meeting first; "暨", "同时开展" do not
            linked = not gap.lstrip("会议上中").startswith(("进行", "开展", "举行")) or (
                comp.rank.get(a.type, 2) >= 3
            )
        elif EVENT_AFTER_RE.match(after_b) and (
            TOPIC_JOIN_RE.match(gap) or all(ch in "，," for ch in gap) or gap == ""
        ):
            linked = True
        if linked:
            if a.event is None:
                a.event = next_id
                next_id += 1
            b.event = a.event
