"""The record card's data: what the reader made of a message, as the user confirms and edits it.

A :class:`Card` is stored with the conversation step (JSON in ``conversation_states.data``), so
a half-edited card survives a restart and moves between processes; :meth:`Card.to_json` and
:meth:`Card.from_json` keep the stored keys stable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.reader import ParsedRecord
from bot.domain.taxonomy import Taxonomy

#: Card wording of a record's status.
STATUS_NAMES = {"done": "已开展", "planned": "计划中"}


@dataclass(slots=True)
class RecordDraft:
    """One record on a card: the fields of an activity record before it is saved.

    ``occurred_on`` is a local date; ``count`` is in ``unit``; ``participants`` a head count or
    ``None``; ``status`` ``"done"`` or ``"planned"``; non-empty ``alternatives`` are other types
    the reader found equally likely (the user is asked).
    """

    activity_type: str
    category: str
    unit: str
    occurred_on: date
    count: int = 1
    approximate: bool = False
    participants: int | None = None
    title: str = ""
    status: str = "done"
    alternatives: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def from_reading(cls, record: ParsedRecord, today: date) -> RecordDraft:
        """A draft from the reader's output; no date in the message means ``today``."""
        return cls(
            activity_type=record.activity_type,
            category=record.category,
            unit=record.unit,
            occurred_on=record.occurred_on or today,
            count=record.count,
            approximate=record.approximate,
            participants=record.participants,
            title=record.title,
            status=record.status,
            alternatives=list(record.alternatives),
        )

    def set_type(self, taxonomy: Taxonomy, name: str) -> None:
        """Set the type by its canonical name, with the category and unit that come with it.

        Raises:
            KeyError: ``name`` is not a type of ``taxonomy``.
        """
        activity_type = taxonomy.get(name)
        self.activity_type = activity_type.name
        self.category = activity_type.category
        self.unit = activity_type.unit
        self.alternatives = []

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (``occurred_on`` as an ISO date)."""
        return {
            "activity_type": self.activity_type,
            "category": self.category,
            "unit": self.unit,
            "occurred_on": self.occurred_on.isoformat(),
            "count": self.count,
            "approximate": self.approximate,
            "participants": self.participants,
            "title": self.title,
            "status": self.status,
            "alternatives": list(self.alternatives),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordDraft:
        """The inverse of :meth:`to_json`.

        Raises:
            KeyError, ValueError: malformed stored data.
        """
        return cls(
            activity_type=str(data["activity_type"]),
            category=str(data["category"]),
            unit=str(data["unit"]),
            occurred_on=date.fromisoformat(str(data["occurred_on"])),
            count=int(data.get("count") or 1),
            approximate=bool(data.get("approximate")),
            participants=None if data.get("participants") is None else int(data["participants"]),
            title=str(data.get("title") or ""),
            status=str(data.get("status") or "done"),
            alternatives=[str(a) for a in data.get("alternatives") or []],
        )


@dataclass(slots=True)
class Card:
    """A card of one message's drafts, and where the user is on it.

    ``raw_text`` and ``message_id`` are the message the drafts were read from (kept with the
    records); ``index`` is the draft being asked about or edited, ``field`` the field being
    edited (an index into the record entry's field list) and ``options`` the types offered.
    """

    drafts: list[RecordDraft]
    raw_text: str = ""
    message_id: str | None = None
    index: int | None = None
    field: int | None = None
    options: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict with the stored keys (``drafts``, ``raw_text``, ``message_id`` and,
        when set, ``index``, ``field``, ``options``)."""
        data: dict[str, Any] = {
            "drafts": [d.to_json() for d in self.drafts],
            "raw_text": self.raw_text,
            "message_id": self.message_id,
        }
        if self.index is not None:
            data["index"] = self.index
        if self.field is not None:
            data["field"] = self.field
        if self.options:
            data["options"] = list(self.options)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Card:
        """The inverse of :meth:`to_json`.

        Raises:
            KeyError, ValueError: malformed stored data.
        """
        return cls(
            drafts=[RecordDraft.from_json(d) for d in data["drafts"]],
            raw_text=str(data.get("raw_text") or ""),
            message_id=data.get("message_id"),
            index=None if data.get("index") is None else int(data["index"]),
            field=None if data.get("field") is None else int(data["field"]),
            options=[str(o) for o in data.get("options") or []],
        )

    def at(self) -> RecordDraft:
        """The draft being asked about or edited.

        Raises:
            ValueError: no draft is selected.
        """
        if self.index is None:
            raise ValueError("no draft selected")
        return self.drafts[self.index]
