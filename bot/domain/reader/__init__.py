"""The message reader: a staff message into zero or more activity records.

``read_message("前天组织全体党员重温入党誓词，开展主题党日，参加二十六人", today)`` gives one
record: 主题党日, count 1, 26 participants, occurred two days before ``today``, status done.

How a message is read (pure Python, precompiled regexes, no clock, no I/O), one module per
stage (:mod:`.normalise`, :mod:`.segments`, :mod:`.lexicon` and :mod:`.mentions`,
:mod:`.headcounts` and :mod:`.quantities`, :mod:`.attach`, :mod:`.events`, :mod:`.titles`;
:mod:`.requests` and :mod:`.unclear` when nothing is recorded; :mod:`.pipeline` runs them):

1. Normalise: full-width ASCII to ASCII and common traditional characters to simplified,
   1:1 per character; spaces, quotes and book-title marks are dropped (an offset map keeps
   titles and explanations in the original text). An emoji, or spaces between two Chinese
   characters, separate clauses as a comma would ("支委会 已开 今天").
2. Split into sentences (。！？；, newlines) and clauses (，：, and before the connectors of
   run-on speech: 然后, 还有就是, a time of day after an activity ...).
3. Find activity words with one regex built as a trie from every alias of the taxonomy: at each
   position the longest alias; overlaps go to the longer, then the later one (the head of a
   Chinese noun phrase is last). Phrases in ``not_activities`` (调研报告) block their aliases;
   verb-object words written apart (谈了次心) are found too. Where the characters found nothing
   plausible (no activity, an ambiguous one, or the tail of a longer word), the message is read
   again with the sound index: typos from pinyin input (支委汇, 警视教育, 主体教育读书班) and
   look-alikes (主题党曰) read as the alias meant (:mod:`.lexicon`).
4. A mention of a generic type right after a marker of a specific one becomes the specific type
   (廉政 + 专题党课 -> 廉政党课); an ambiguous word (谈话) keeps its alternatives unless another
   word of the sentence settles it.
5. Counts: number + unit (次, 场, 场次, 期, 件, 名, 人次 ...; 余/多 mark it approximate; 俩/仨
   and 个 right before the word or after "word + verb": 开了俩支委会, 党小组会开了仨) bound to the
   nearest mention before it in the clause ("召开党委会28次") or, failing that, right after it
   ("开展6次集体廉政谈话", "讲了一堂微党课"), only when the unit fits the type's unit. Rates
   after 每月/每季度 are not counts; "两次都是…" counts nothing.
6. Mentions without a count: the activity held wins over the topic discussed (a word after
   研究/部署/讨论/审议/安排/表决 ... is a topic, and so is the next after 和/、: "研究学雷锋志愿服务
   和党课安排"); a word followed by 还没开/取消了/没开成/不搞了 is not held, one followed by
   改到/推迟到 is planned for the date after (``reschedule``); of two adjacent words the higher
   ``rank`` or else the later one is kept; a rank-1 word beside an activity held is its place or
   content (主题党日去了红色教育基地); a mention needs some sign that it happened (a verb, a
   date, participants, a count nearby). Not recorded: routine statements (每月开展…), examples
   (主题党日等载体), modifiers (党课讲师, 支委会的记录), negations and content clauses.
7. Participants (:mod:`.headcounts`: 参加/到场/来了/在线 N 人/个/名/位, "N个人都到齐了", approximate
   and ranged numbers, not membership sizes or things counted), dates with their precision
   (:mod:`bot.domain.dates`: days, 旬, months, quarters, halves, years) and status (planned
   after 明天/下周/将于/拟/计划于/准备/要开, done otherwise) attach to the nearest mention.
8. One event, several types (A暨B, A同时开展B, 结合A开展B, B也一起搞了): the records share an
   ``event`` key (:mod:`.events`).
9. Nothing recorded: a request to the bot (:class:`Request`: report, ledger, list, how-to with
   its topic), else an activity whose type is unclear (:class:`UnclearActivity`, with the likely
   types), else the intent says whether it was a greeting, thanks, an acknowledgement, a
   question, empty, or unknown text.

Every record carries :class:`Source` spans (offsets into the original text) and a confidence
per field: ``Reading.to_dict(explain=True)`` is what ``djbot parse --json`` can print.
"""

from __future__ import annotations

from bot.domain.reader.pipeline import read_message
from bot.domain.reader.records import (
    Intent,
    ParsedRecord,
    Reading,
    Request,
    RequestKind,
    Source,
    Status,
    UnclearActivity,
)
from bot.domain.when import Precision, When

__all__ = [
    "Intent",
    "ParsedRecord",
    "Precision",
    "Reading",
    "Request",
    "RequestKind",
    "Source",
    "Status",
    "UnclearActivity",
    "When",
    "read_message",
]
