"""What the reader returns: a :class:`ParsedRecord` per activity and the message's
:class:`Reading`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Status = Literal["done", "planned"]
Intent = Literal["records", "greeting", "thanks", "acknowledgement", "question", "empty", "unknown"]


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One activity read from a message.

    ``activity_type``/``category``/``unit`` come from the taxonomy; ``count`` (>= 1) is in
    ``unit``s and ``approximate`` is true for "30余次"/"20多次"/"近30次"; ``participants`` is a
    head count or ``None``; ``occurred_on`` is ``None`` when the message gives no date;
    ``status`` is ``"planned"`` for announced activities. ``title`` is the clause the record was
    read from, trimmed, at most 60 characters. Non-empty ``alternatives`` (other canonical type
    names, equally likely) means the user should be asked which type is meant.
    """

    activity_type: str
    category: str
    unit: str
    count: int
    approximate: bool
    participants: int | None
    occurred_on: dt.date | None
    status: Status
    title: str
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: activity_type, category, occurred_on (ISO date or None), count, unit,
        participants, title, status, approximate, alternatives (list)."""
        return {
            "activity_type": self.activity_type,
            "category": self.category,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "count": self.count,
            "unit": self.unit,
            "participants": self.participants,
            "title": self.title,
            "status": self.status,
            "approximate": self.approximate,
            "alternatives": list(self.alternatives),
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says: its records (maybe none) and, for the bot's answer, its intent.

    ``intent`` is ``"records"`` when there is at least one record, else one of ``"greeting"``
    (你好), ``"thanks"`` (谢谢), ``"acknowledgement"`` (好的/收到), ``"question"``
    (怎么导出报告？), ``"empty"`` (nothing but whitespace/punctuation) or ``"unknown"``.
    """

    records: tuple[ParsedRecord, ...]
    intent: Intent

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict ``{"records": [record dicts], "intent": intent}``."""
        return {"records": [r.to_dict() for r in self.records], "intent": self.intent}
