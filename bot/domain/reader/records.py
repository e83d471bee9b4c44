"""What the reader returns: a :class:`ParsedRecord` per activity and the message's
:class:`Reading` (with, when there is no record, an :class:`UnclearActivity` or a
:class:`Request`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.domain.periods import Period
from bot.domain.when import When

Status = Literal["done", "planned"]
Intent = Literal[
    "records",
    "unclear",
    "request",
    "greeting",
    "thanks",
    "acknowledgement",
    "question",
    "empty",
    "unknown",
]
RequestKind = Literal["report", "ledger", "list", "howto"]


@dataclass(frozen=True, slots=True)
class Source:
    """Why a field has its value: the span ``start``..``end`` (code-point offsets into the
    ORIGINAL message text, end exclusive; both -1 when the value was not read from the text,
    e.g. the default count of 1) with that ``text``, a ``confidence`` in 0..1, and ``via``:
    ``"text"`` (read as written), ``"pinyin"`` (a typo read by its sound or shape, e.g. 支委汇),
    ``"inferred"`` (from context: a date carried over from an earlier clause, 上午 meaning
    today) or ``"default"``."""

    field: str
    start: int
    end: int
    text: str
    confidence: float
    via: str = "text"

    def to_dict(self) -> dict[str, object]:
        """``{"span": [start, end] or None, "text", "confidence", "via"}``."""
        span = [self.start, self.end] if self.start >= 0 else None
        return {
            "span": span,
            "text": self.text,
            "confidence": round(self.confidence, 2),
            "via": self.via,
        }


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One activity read from a message.

    ``activity_type``/``category``/``unit`` come from the taxonomy; ``count`` (>= 1) is in
    ``unit``s and ``approximate`` is true for "30余次"/"20多次"/"近30次"; ``participants`` is a
    head count or ``None``; ``occurred_on`` is the day, and only for a day-precise date
    (``None`` when the message gives no date or a coarser one); ``status`` is ``"planned"``
    for announced activities. ``title`` is the clause the record was read from, trimmed, at most
    60 characters. Non-empty ``alternatives`` (other canonical type names, equally likely) means
    the user should be asked which type is meant.

    Added for issue 12 (all with defaults, so older callers keep working):

    - ``when``: the date with its precision (:class:`When`), ``None`` without a date;
      ``when.day == occurred_on``.
    - ``participants_approximate``: the head count was approximate (约30人, 二十来个, 30多人).
    - ``participants_range``: ``(low, high)`` for a head count given as a range (十五六个,
      二三十人); ``participants`` is then ``None`` and ``"participants"`` is in ``needs``.
    - ``needs``: field names the card should ask about before saving (``"participants"``).
    - ``event``: records of one event share this key within a reading ("组织生活会暨民主评议党员":
      two records, one event); ``None`` for a record that is an event of its own. Downstream
      counts an event once in 人次 totals.
    - ``reschedule``: a planned record read from a postponement ("改到下周一"); ``moved_from`` is
      the original date when the message names it (原定周四).
    - ``confidence``: 0..1, the lowest of the fields' confidences.
    - ``sources``: one :class:`Source` per field read from the text (for ``djbot parse --json``).
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
    when: When | None = None
    participants_approximate: bool = False
    participants_range: tuple[int, int] | None = None
    needs: tuple[str, ...] = ()
    event: int | None = None
    reschedule: bool = False
    moved_from: When | None = None
    confidence: float = 1.0
    sources: tuple[Source, ...] = ()

    def to_dict(self, explain: bool = False) -> dict[str, object]:
        """JSON-ready dict: activity_type, category, occurred_on (ISO day, only for day
        precision, else None), count, unit, participants, title, status, approximate,
        alternatives (list), when (:meth:`When.to_dict` or None), participants_approximate,
        participants_range ([low, high] or None), needs (list), event (int or None),
        reschedule, moved_from (When dict or None), confidence. With ``explain``, also
        ``"explain"``: ``{field: Source.to_dict()}`` for every field read from the text."""
        data: dict[str, object] = {
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
            "when": self.when.to_dict() if self.when else None,
            "participants_approximate": self.participants_approximate,
            "participants_range": list(self.participants_range)
            if self.participants_range
            else None,
            "needs": list(self.needs),
            "event": self.event,
            "reschedule": self.reschedule,
            "moved_from": self.moved_from.to_dict() if self.moved_from else None,
            "confidence": round(self.confidence, 2),
        }
        if explain:
            data["explain"] = {s.field: s.to_dict() for s in self.sources}
        return data


@dataclass(frozen=True, slots=True)
class UnclearActivity:
    """A message that reads like an activity report whose type is unclear ("昨天下午支部开会").

    ``candidates`` are canonical type names, most likely first (for a type picker; offer the
    full list as 其他 too). ``when``/``occurred_on``/``participants``/``status``/``title`` are
    what the message does say, as in :class:`ParsedRecord`; ``cue`` is the word that made it
    read like an activity (开会, 学习) and ``sources`` explain the fields.
    """

    candidates: tuple[str, ...]
    cue: str
    title: str
    status: Status = "done"
    when: When | None = None
    participants: int | None = None
    participants_approximate: bool = False
    sources: tuple[Source, ...] = ()

    @property
    def occurred_on(self) -> dt.date | None:
        """The day, for a day-precise date."""
        return self.when.day if self.when else None

    def to_dict(self, explain: bool = False) -> dict[str, object]:
        """``{"candidates" (list), "cue", "title", "status", "occurred_on", "when",
        "participants", "participants_approximate"}`` (+ ``"explain"``)."""
        data: dict[str, object] = {
            "candidates": list(self.candidates),
            "cue": self.cue,
            "title": self.title,
            "status": self.status,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "when": self.when.to_dict() if self.when else None,
            "participants": self.participants,
            "participants_approximate": self.participants_approximate,
        }
        if explain:
            data["explain"] = {s.field: s.to_dict() for s in self.sources}
        return data


@dataclass(frozen=True, slots=True)
class Request:
    """Something the user asks the bot to do (not an activity).

    ``kind``: ``"report"`` (draft a summary: 帮我出一份今年的总结), ``"ledger"`` (导出台账),
    ``"list"`` (show records: 我这个季度登记了哪些), ``"howto"`` (a 怎么… question).
    ``period_text`` is the period as written (今年, 上半年, 三季度) and ``period`` its resolution
    against the message's ``today`` (``None`` when none is named, or it cannot be resolved).
    ``topic`` is the how-to topic key (``"report"``, ``"ledger"``, ``"record"``, ``"invite"``,
    ``"delete"``, ``"edit"``, ``"remind"``, ``"deadlines"``, ``"list"``, ``"help"``; see
    ``bot/domain/data/requests.toml``); ``activity_type`` narrows a list (几次支委会);
    ``mine`` is true when the user asks about their own records (我…登记的).
    """

    kind: RequestKind
    period_text: str | None = None
    period: Period | None = None
    topic: str | None = None
    activity_type: str | None = None
    mine: bool = False

    def to_dict(self) -> dict[str, object]:
        """``{"kind", "period_text", "period": {"key", "label", "start", "end"} or None,
        "topic", "activity_type", "mine"}``."""
        period = (
            {
                "key": self.period.key,
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            }
            if self.period
            else None
        )
        return {
            "kind": self.kind,
            "period_text": self.period_text,
            "period": period,
            "topic": self.topic,
            "activity_type": self.activity_type,
            "mine": self.mine,
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says: its records (maybe none) and, for the bot's answer, its intent.

    ``intent`` is ``"records"`` when there is at least one record, else one of ``"unclear"``
    (an activity whose type is unclear: see ``unclear``), ``"request"`` (see ``request``),
    ``"greeting"`` (你好), ``"thanks"`` (谢谢), ``"acknowledgement"`` (好的/收到),
    ``"question"`` (怎么导出报告？; ``request`` then holds the how-to topic when one is
    recognised), ``"empty"`` (nothing but whitespace/punctuation) or ``"unknown"``.

    ``unclear`` is set only with intent ``"unclear"``; ``request`` with ``"request"`` or
    ``"question"``.
    """

    records: tuple[ParsedRecord, ...]
    intent: Intent
    unclear: UnclearActivity | None = None
    request: Request | None = None

    def to_dict(self, explain: bool = False) -> dict[str, object]:
        """JSON-ready dict ``{"records": [record dicts], "intent": intent}``, plus
        ``"unclear"`` and ``"request"`` when set. ``explain`` adds each record's sources."""
        data: dict[str, object] = {
            "records": [r.to_dict(explain) for r in self.records],
            "intent": self.intent,
        }
        if self.unclear is not None:
            data["unclear"] = self.unclear.to_dict(explain)
        if self.request is not None:
            data["request"] = self.request.to_dict()
        return data
