"""The message reader: a staff message into zero or more activity records.

``read_message("前天组织全体党员重温入党誓词，开展主题党日，参加二十六人", today)`` gives one
record: 主题党日, count 1, 26 participants, occurred two days before ``today``, status done.

How a message is read (pure Python, precompiled regexes, no clock, no I/O), one module per
stage (:mod:`.normalise`, :mod:`.segments`, :mod:`.lexicon` and :mod:`.mentions`,
:mod:`.quantities`, :mod:`.attach`, :mod:`.titles`; :mod:`.pipeline` runs them in order):

1. Normalise: full-width ASCII to ASCII and common traditional characters to simplified, 1:1
   per character; spaces, quotes and book-title marks are dropped (an offset map keeps titles
   taken from the original text).
2. Split into sentences (。！？；, newlines) and clauses (，：).
3. Find activity words with one regex built as a trie from every alias of the taxonomy: at each
   position the longest alias; overlaps go to the longer, then the later one (the head of a
   Chinese noun phrase is last). Phrases in ``not_activities`` (调研报告) block their aliases.
4. A mention of a generic type right after a marker of a specific one becomes the specific type
   (廉政 + 专题党课 -> 廉政党课); an ambiguous word (谈话) keeps its alternatives unless another
   word of the sentence settles it.
5. Counts: number + unit (次, 场, 场次, 期, 件, 名, 人次 ...; 余/多 mark it approximate) bound to
   the nearest mention before it in the clause ("召开党委会28次") or, failing that, right after
   it ("开展6次集体廉政谈话"), only when the unit fits the type's unit (so 告知书56份 is not a
   count of 家风助廉). Rates after 每月/每季度 are not counts.
6. Mentions without a count: the activity held wins over the topic discussed (a word after
   研究/部署/报送 ... is a topic and not recorded, unless a holding verb governs the whole
   phrase: 召开学习贯彻…专题学习会); of two adjacent words the higher ``rank`` (meeting >
   activity > topic) or else the later one is kept; a mention needs some sign that it happened
   (a verb such as 开展/召开, a date, participants, a count nearby). Not recorded: routine
   statements (每月开展…, 定期…), examples (主题党日等载体), modifiers (党课讲师), negations
   (还没开支委会) and content clauses (活动内容为…). Each kept one is count 1; a word repeated
   for the same activity adds no record.
7. Participants (参加/到场/出席/实到/到会 N人/名, N名党员参加; 实到 beats 应到), dates
   (see :mod:`bot.domain.dates`) and status (planned after 明天/下周/将于/拟/计划于/请…参加,
   done otherwise) attach to the nearest mention.
8. Nothing recorded: the intent says whether it was a greeting, thanks, an acknowledgement, a
   question, empty, or unknown text.
"""

from __future__ import annotations

from bot.domain.reader.pipeline import read_message
from bot.domain.reader.records import Intent, ParsedRecord, Reading, Status

__all__ = ["Intent", "ParsedRecord", "Reading", "Status", "read_message"]
