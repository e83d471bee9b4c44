"""What the stages find in the compact text, as offsets into it: activity words
(:class:`Mention`), numbers with units (:class:`Quantity`) and head counts (:class:`HeadCount`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    types: tuple[str, ...]
    sentence: int
    clause: int
    count: int | None = None
    approximate: bool = False
    count_clause: int | None = None
    keep: bool = True
    topic: bool = False
    participants: int | None = None
    participants_rank: int = -1
    alternatives: tuple[str, ...] = ()
    via: str = "text"  # "pinyin" for a typo read by its sound or shape
    confidence: float = 1.0
    head: HeadCount | None = None  # where the participants came from
    count_span: tuple[int, int] | None = None
    event: int | None = None
    reschedule: bool = False
    moved_from: tuple[int, int] | None = None  # compact span of the original date (原定周四)

    @property
    def type(self) -> str:
        return self.types[0]


@dataclass(slots=True)
class Quantity:
    start: int
    end: int
    value: int
    approximate: bool
    unit: str
    used: bool = False


@dataclass(slots=True)
class HeadCount:
    """People present: ``value`` (the low end for a range), ``priority`` 2 for 实到, 1 for a
    number with an attendance word (参加, 来了, 都到了), 0 for a bare "一百多人" (``weak``: it
    yields to a count of the same number, "发展党员2名"). ``span`` is ``(low, high)`` for a
    range (十五六个: ask); ``shared`` for "两次都是28人" (every activity of the sentence)."""

    start: int
    end: int
    value: int
    priority: int
    approximate: bool = False
    span: tuple[int, int] | None = None
    weak: bool = False
    shared: bool = False
