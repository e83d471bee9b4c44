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
from storage.queries.evidence import EvidenceFile

#: Card wording of a record's status.
STATUS_NAMES = {"done": "已开展", "planned": "计划中"}


@dataclass(slots=True)
class RecordDraft:
    """One record on a card: the fields of an activity record before it is saved.

    ``occurred_on`` is a local date; ``count`` is in ``unit``; ``participants`` a head count or
    ``None``; ``status`` ``"done"`` or ``"planned"``; non-empty ``alternatives`` are other types
    the reader found equally likely (the user is asked). ``attendees`` is the attendee list
    (参加人员 and 请假人员, :class:`Listed`), empty when the message named nobody.
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
    attendees: list[Listed] = dataclasses.field(default_factory=list)

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
        } | ({"attendees": [a.to_json() for a in self.attendees]} if self.attendees else {})

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
            attendees=[Listed.from_json(a) for a in data.get("attendees") or []],
        )


@dataclass(slots=True)
class Listed:
    """A name on a draft's attendee list: as written, the member it is (``None``: not known
    yet or nobody), ``"attended"`` or ``"leave"``, and while it matches several members their
    ids (``candidates``: the user is asked which one)."""

    name: str
    member_id: int | None = None
    status: str = "attended"
    candidates: list[int] = dataclasses.field(default_factory=list)

    @property
    def unmatched(self) -> bool:
        """Matches no member of the branch (kept as a name)."""
        return self.member_id is None and not self.candidates

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "member_id": self.member_id,
            "status": self.status,
            "candidates": list(self.candidates),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Listed:
        """The inverse of :meth:`to_json`."""
        member_id = data.get("member_id")
        return cls(
            name=str(data["name"]),
            member_id=None if member_id is None else int(member_id),
            status=str(data.get("status") or "attended"),
            candidates=[int(c) for c in data.get("candidates") or []],
        )


@dataclass(slots=True)
class Card:
    """A card of one message's drafts, and where the user is on it.

    ``raw_text`` and ``message_id`` are the message the drafts were read from (kept with the
    records); ``index`` is the draft being asked about or edited, ``field`` the field being
    edited (an index into the record entry's field list) and ``options`` the types offered.
    ``evidence`` are the files sent with or onto the card (already in the media store, saved
    with every record of the card); ``album_id`` the album they came in, so the rest of it
    joins them.
    """

    drafts: list[RecordDraft]
    raw_text: str = ""
    message_id: str | None = None
    index: int | None = None
    field: int | None = None
    options: list[str] = dataclasses.field(default_factory=list)
    evidence: list[EvidenceFile] = dataclasses.field(default_factory=list)
    album_id: str | None = None

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
        if self.evidence:
            data["evidence"] = [dataclasses.asdict(f) for f in self.evidence]
        if self.album_id:
            data["album_id"] = self.album_id
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
            evidence=[EvidenceFile(**f) for f in data.get("evidence") or []],
            album_id=data.get("album_id"),
        )

    def at(self) -> RecordDraft:
        """The draft being asked about or edited.

        Raises:
            ValueError: no draft is selected.
        """
        if self.index is None:
            raise ValueError("no draft selected")
        return self.drafts[self.index]
