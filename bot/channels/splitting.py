"""Split a long reply into chat-sized chunks without cutting sentences.

Chat channels cap the size of one message: Telegram at 4096 characters of text (1024 for a
caption; Bot API ``sendMessage``/``sendDocument``), WeCom at 2048 bytes of UTF-8 for a text
message (WeCom "发送应用消息" docs; summarised in the project's ``docs/report-format.md``).

:func:`split_text` cuts a reply into chunks that each fit, preferring the most natural boundary
available:

1. paragraphs (one or more blank lines),
2. lines (a single newline),
3. sentences (after ``。！？；!?;``, together with any closing quotes or brackets that follow),
4. clauses (after ``，、：,:`` or at ASCII blanks) - only inside a sentence that alone is too big,
5. anywhere (the longest prefix that fits) - only inside a clause that alone is too big.

Chunks are packed greedily: as many whole units of one level as fit go into one chunk, so a
9000-character report becomes three messages, each ending at a paragraph boundary.

Whitespace at a cut is "boundary whitespace" and is dropped: ASCII blanks, tabs and line breaks
(``" \\t\\r\\n"``) at the start and end of every chunk. The ideographic space ``U+3000`` is *not*
boundary whitespace, so the customary "　　" paragraph indent of Chinese prose survives at the start
of a chunk. Concatenating the chunks with the dropped whitespace put back reproduces the text
exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "BOUNDARY_WHITESPACE",
    "CLAUSE_ENDS",
    "SENTENCE_ENDS",
    "split_text",
    "utf8_size",
    "utf16_size",
]

#: Characters dropped at the edges of every chunk (not U+3000, the Chinese indent space).
BOUNDARY_WHITESPACE = " \t\r\n"

#: Characters that end a sentence (a newline ends one too).
SENTENCE_ENDS = "。！？；!?;"

#: Characters after which an oversized sentence is preferably cut.
CLAUSE_ENDS = "，、：,:"

#: Closing quotes and brackets that stay with the punctuation they follow ("好。”" is one end).
_CLOSERS = "”’\"'」』）)]】》〉"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r]*\n[ \t\r\n]*")
_LINE_BREAK = re.compile(r"\n")
_SENTENCE_END = re.compile(f"[{re.escape(SENTENCE_ENDS)}]+[{re.escape(_CLOSERS)}]*")
_CLAUSE_END = re.compile(f"[{re.escape(CLAUSE_ENDS)}]+[{re.escape(_CLOSERS)}]*|[ \\t]+")

Span = tuple[int, int]
Size = Callable[[str], int]


def utf8_size(text: str) -> int:
    """Size of ``text`` in UTF-8 bytes (WeCom counts message length this way)."""
    return len(text.encode("utf-8"))


def utf16_size(text: str) -> int:
    """Size of ``text`` in UTF-16 code units (Telegram measures entity offsets this way).

    Equal to ``len(text)`` except that characters outside the Basic Multilingual Plane (most
    emoji) count twice, so it is never smaller than ``len`` - a safe measure for a Telegram limit.
    """
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, *, size: Size = len) -> list[str]:
    """Split ``text`` into chunks with ``size(chunk) <= limit`` at the most natural boundaries.

    Args:
        text: the reply text, any length.
        limit: the largest allowed chunk, in the unit ``size`` measures (4096 characters for a
            Telegram message, 2048 bytes for a WeCom text message).
        size: measures a string; ``len`` (code points) by default, :func:`utf8_size` for WeCom,
            :func:`utf16_size` for a conservative Telegram count. It must be monotone (a longer
            string is never smaller), which every sensible measure is.

    Returns:
        The chunks in order, each non-empty, stripped of boundary whitespace and within the limit.
        Text that is empty or only boundary whitespace gives ``[]`` (nothing to send). A text
        that fits as a whole gives one chunk: the text without its outer boundary whitespace.
        A chunk ends inside a sentence only when that sentence alone exceeds ``limit``.

    Raises:
        ValueError: if ``limit`` is smaller than 1, or a single character is bigger than ``limit``
            (possible with a byte measure and a tiny limit).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    spans = _split_span(text, 0, len(text), 0, limit, size)
    return [text[start:end] for start, end in spans]


def _trim(text: str, start: int, end: int) -> Span:
    """Narrow ``[start, end)`` so that it neither starts nor ends with boundary whitespace."""
    while start < end and text[start] in BOUNDARY_WHITESPACE:
        start += 1
    while end > start and text[end - 1] in BOUNDARY_WHITESPACE:
        end -= 1
    return start, end


def _parts_between(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[Span]:
    """Spans of ``text[start:end]`` between matches of a separator (the separator is dropped)."""
    parts: list[Span] = []
    position = start
    for match in pattern.finditer(text, start, end):
        parts.append((position, match.start()))
        position = match.end()
    parts.append((position, end))
    return parts


def _parts_after(pattern: re.Pattern[str], text: str, start: int, end: int) -> list[Span]:
    """Spans of ``text[start:end]`` each ending just after a match (the match is kept)."""
    parts: list[Span] = []
    position = start
    for match in pattern.finditer(text, start, end):
        if match.end() > position:
            parts.append((position, match.end()))
            position = match.end()
    if position < end:
        parts.append((position, end))
    return parts


_LEVELS: tuple[Callable[[str, int, int], list[Span]], ...] = (
    lambda text, start, end: _parts_between(_PARAGRAPH_BREAK, text, start, end),
    lambda text, start, end: _parts_between(_LINE_BREAK, text, start, end),
    lambda text, start, end: _parts_after(_SENTENCE_END, text, start, end),
    lambda text, start, end: _parts_after(_CLAUSE_END, text, start, end),
)


def _split_span(text: str, start: int, end: int, level: int, limit: int, size: Size) -> list[Span]:
    """Chunk spans for ``text[start:end]``, cutting at ``_LEVELS[level]`` or finer boundaries."""
    start, end = _trim(text, start, end)
    if start >= end:
        return []
    if size(text[start:end]) <= limit:
        return [(start, end)]
    if level >= len(_LEVELS):
        return _hard_split(text, start, end, limit, size)
    parts = _LEVELS[level](text, start, end)
    if len(parts) <= 1:
        return _split_span(text, start, end, level + 1, limit, size)

    chunks: list[Span] = []
    current: Span | None = None
    for part_start, part_end in parts:
        part_start, part_end = _trim(text, part_start, part_end)
        if part_start >= part_end:
            continue
        if size(text[part_start:part_end]) > limit:
            # Too big on its own: it becomes chunks of its own, cut at finer boundaries.
            if current is not None:
                chunks.append(current)
                current = None
            chunks.extend(_split_span(text, part_start, part_end, level + 1, limit, size))
        elif current is None:
            current = (part_start, part_end)
        elif size(text[current[0] : part_end]) <= limit:
            current = (current[0], part_end)
        else:
            chunks.append(current)
            current = (part_start, part_end)
    if current is not None:
        chunks.append(current)
    return chunks


def _hard_split(text: str, start: int, end: int, limit: int, size: Size) -> list[Span]:
    """Cut ``text[start:end]`` into longest prefixes that fit (binary search per chunk)."""
    chunks: list[Span] = []
    while start < end:
        low, high = start + 1, end  # the longest fitting prefix ends somewhere in [low, high]
        if size(text[start:low]) > limit:
            raise ValueError(f"character {text[start]!r} alone exceeds the limit of {limit}")
        while low < high:
            middle = (low + high + 1) // 2
            if size(text[start:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        chunk_start, chunk_end = _trim(text, start, low)
        if chunk_start < chunk_end:
            chunks.append((chunk_start, chunk_end))
        start = low
    return chunks
