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
    participants_rank: int = 0
    alternatives: tuple[str, ...] = ()

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
    start: int
    end: int
    value: int
    priority: int  # 2 for 实到, 1 otherwise
