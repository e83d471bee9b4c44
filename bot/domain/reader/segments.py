"""Stage 2, segmenting: sentence and clause spans of the compact text, which sentences are
questions, and the intent of a message with no record (greeting, thanks, question...)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from bot.domain.reader.patterns import (
    ACK_HEAD_RE,
    ACK_RE,
    BARE_RE,
    BOUNDARY_RE,
    GREETING_ANY_RE,
    GREETING_RE,
    PUNCT_ONLY_RE,
    QUESTION_ANY_RE,
    QUESTION_END_RE,
    QUESTION_START_RE,
    SENTENCE_END,
    STRIP,
    THANKS_RE,
)
from bot.domain.reader.records import Intent


@dataclass(slots=True)
class Segmented:
    """The compact text of a message with its sentence and clause spans."""

    compact: str
    sentences: list[tuple[int, int]]
    clauses: list[tuple[int, int]]
    sent_starts: list[int]
    clause_starts: list[int]

    def sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self.sent_starts, pos) - 1

    def clause_of(self, pos: int) -> int:
        return bisect.bisect_right(self.clause_starts, pos) - 1


def segment(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Sentence and clause spans of ``text``. Sentences end at 。！？；… and newlines, clauses
    also at ，： and before the connectors of run-on speech (然后, 还有就是, 接着 ...: voice
    input rarely has punctuation)."""
    sentences: list[tuple[int, int]] = []
    clauses: list[tuple[int, int]] = []
    s_start = c_start = 0
    for match in BOUNDARY_RE.finditer(text):
        i = match.start()
        if match.lastgroup == "conn":
            if i > c_start:
                clauses.append((c_start, i))
                c_start = i
            continue
        clauses.append((c_start, i + 1))
        c_start = i + 1
        if text[i] in SENTENCE_END:
            sentences.append((s_start, i + 1))
            s_start = i + 1
    if c_start < len(text) or not clauses:
        clauses.append((c_start, len(text)))
    if s_start < len(text) or not sentences:
        sentences.append((s_start, len(text)))
    return sentences, clauses


def is_question(sentence: str) -> bool:
    body = sentence.rstrip(STRIP)
    if not body:
        return False
    if sentence.rstrip(" \n").endswith(("?", "？")):
        return True
    if QUESTION_START_RE.match(body):
        return True
    # in a long statement "如何"/"是否" are part of the report ("讲授如何更好履行党员义务")
    return len(body) <= 30 and bool(QUESTION_ANY_RE.search(body) or QUESTION_END_RE.search(body))


def intent_of(compact: str, questions: set[int]) -> Intent:
    body = compact.strip(STRIP)
    if not body or PUNCT_ONLY_RE.match(body):
        return "empty"
    bare = BARE_RE.sub("", body)
    if GREETING_RE.match(bare):
        return "greeting"
    if questions:
        return "question"
    if len(bare) <= 30 and THANKS_RE.search(bare):
        return "thanks"
    if ACK_RE.match(bare) or (len(bare) <= 12 and ACK_HEAD_RE.match(bare)):
        return "acknowledgement"
    if len(bare) <= 20 and GREETING_ANY_RE.search(bare):
        return "greeting"
    return "unknown"
