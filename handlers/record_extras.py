"""What issue 16 adds to a record card, below the record entry (:mod:`handlers.record_entry`
calls these; the conversation steps about files are in :mod:`handlers.attachments`):

- the card lines: ``佐证：3张照片`` and the attendee list (``参加人员：张三、李四``), with a line
  that asks when a name matches nobody or two members;
- reading names beside the message reader (:func:`bot.domain.attendance.extract_attendance`)
  and matching them to the branch's roster;
- the step that asks which member a shared name is (``choose_attendee``; its answer is handled
  in :mod:`handlers.attachments`, which can show the card again);
- on 保存: the evidence rows and attendee list of each record, and the record numbers on the
  saved card (a reply to that card reaches the record: :func:`record_ids_in`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.attendance import extract_attendance, match_names, participants
from bot.messages import Reply
from handlers import texts
from handlers.context import Context, reply
from handlers.drafts import Card, Listed, RecordDraft
from handlers.steps import StepChoice
from storage.models import ActivityRecord
from storage.queries.attendance import Attendee, RosterEntry, add_attendees, roster
from storage.queries.evidence import EvidenceFile, EvidenceRow, add_evidence

CHOOSE_ATTENDEE = "choose_attendee"

#: ``记录编号：12`` / ``记录编号：12、13`` on a saved card.
_NUMBERS = re.compile(r"记录编号[:：]\s*((?:#?\d+\s*[、,，]?\s*)+)")


def evidence_summary(files: Sequence[EvidenceFile | EvidenceRow]) -> str:
    """``3张照片`` / ``2张照片、1个文件`` / ``""`` for none."""
    photos = sum(1 for f in files if f.kind == "photo")
    others = len(files) - photos
    parts = [f"{photos}张照片"] if photos else []
    parts += [f"{others}个文件"] if others else []
    return "、".join(parts)


def evidence_line(card: Card) -> str:
    """The card's evidence line with a leading newline (``\\n佐证：3张照片``), or ``""``."""
    summary = evidence_summary(card.evidence)
    return f"\n{texts.EVIDENCE_LINE.format(summary=summary)}" if summary else ""


def attendee_lines(draft: RecordDraft) -> list[str]:
    """The lines of a draft's attendee list: who attended, who is on leave, and a question per
    name that matches nobody or several members."""
    if not draft.attendees:
        return []
    present = [a.name for a in draft.attendees if a.status == "attended"]
    leave = [a.name for a in draft.attendees if a.status == "leave"]
    lines = []
    if present:
        lines.append(texts.ATTENDEES_LINE.format(names="、".join(present), n=len(present)))
    if leave:
        lines.append(texts.LEAVE_LINE.format(names="、".join(leave)))
    for a in draft.attendees:
        if a.candidates:
            lines.append(texts.NAME_AMBIGUOUS.format(name=a.name, n=len(a.candidates)))
        elif a.unmatched:
            lines.append(texts.NAME_UNMATCHED.format(name=a.name))
    return lines


def _target(card: Card, start: int) -> RecordDraft:
    """The draft a name list at offset ``start`` belongs to: the last draft whose clause begins
    before it (the first draft when none does)."""
    chosen = card.drafts[0]
    for draft in card.drafts:
        at = card.raw_text.find(draft.title) if draft.title else -1
        if 0 <= at <= start:
            chosen = draft
    return chosen


def listed(names: Sequence[str], status: str, people: Sequence[RosterEntry]) -> list[Listed]:
    """``names`` matched to the roster ``people`` (each once, as written)."""
    found = match_names(names, [(p.member_id, p.name) for p in people])
    by_id = {p.member_id: p.name for p in people}
    out = []
    for name in names:
        if name in found.matched:
            out.append(Listed(by_id[found.matched[name]], found.matched[name], status))
        else:
            out.append(Listed(name, None, status, list(found.ambiguous.get(name, ()))))
    return out


async def read_attendance(ctx: Context, card: Card, text: str, *, replace: bool = False) -> bool:
    """Read the names ``text`` lists into the card (the draft they belong to), matched to the
    sender's branch; the head count follows from the names unless a larger count is stated.
    ``replace`` drops the draft's earlier list (a correction). Returns whether names were
    found."""
    names = extract_attendance(text)
    if names is None or ctx.affiliation is None or not card.drafts:
        return False
    people = await roster(ctx.session, [ctx.affiliation.organization.id])
    draft = _target(card, names.start) if not replace or len(card.drafts) > 1 else card.drafts[0]
    chosen = {a.name: a.member_id for a in draft.attendees if a.member_id is not None}
    if replace:
        draft.attendees = []
    entries = listed(names.names, "attended", people) + listed(names.on_leave, "leave", people)
    for entry in entries:  # a shared name already answered keeps its answer
        if entry.candidates and chosen.get(entry.name) in entry.candidates:
            entry.member_id, entry.candidates = chosen[entry.name], []
    seen = {a.member_id for a in draft.attendees if a.member_id is not None}
    for entry in entries:
        if entry.member_id is not None:
            if entry.member_id in seen:
                continue
            seen.add(entry.member_id)
        draft.attendees.append(entry)
    present = sum(1 for a in draft.attendees if a.status == "attended")
    draft.participants = participants(
        present, names.stated, None if replace else draft.participants
    )
    return True


def first_ambiguous(card: Card) -> tuple[int, int] | None:
    """``(draft index, attendee index)`` of the first name that matches several members."""
    for i, draft in enumerate(card.drafts):
        for j, entry in enumerate(draft.attendees):
            if entry.candidates:
                return i, j
    return None


async def ask_ambiguous(
    ctx: Context, card: Card, where: tuple[int, int], *, replace: bool
) -> list[Reply]:
    """Ask which member a shared name is: one button per member (with when they joined), 都不是,
    取消."""
    i, j = where
    entry = card.drafts[i].attendees[j]
    people = {p.member_id: p for p in await roster(ctx.session, _org_ids(ctx))}
    rows = []
    for member_id in entry.candidates:
        person = people.get(member_id)
        joined = person.joined_at.astimezone(ctx.tz) if person else None
        label = (
            texts.NAME_CHOICE.format(name=entry.name, year=joined.year, month=joined.month)
            if joined
            else entry.name
        )
        rows.append([StepChoice(label, "who", str(member_id))])
    rows.append([StepChoice(texts.NAME_NOBODY, "nobody"), StepChoice("取消", "cancel")])
    card.index = i
    card.field = j
    buttons = await ctx.enter(CHOOSE_ATTENDEE, card.to_json(), rows)
    question = texts.ASK_WHO.format(name=entry.name, n=len(entry.candidates))
    return [reply(question, buttons, replace=replace)]


def _org_ids(ctx: Context) -> list[int]:
    return [ctx.affiliation.organization.id] if ctx.affiliation else []


async def save_extras(ctx: Context, card: Card, draft: RecordDraft, record: ActivityRecord) -> None:
    """Store what the card adds to a saved record: its evidence rows and attendee list."""
    await add_evidence(
        ctx.session,
        record.id,
        record.organization_id,
        card.evidence,
        uploaded_by_id=ctx.member.id if ctx.member else None,
        source_channel=ctx.address.channel,
        source_message_id=card.message_id,
        now=ctx.now,
    )
    if draft.attendees:
        await add_attendees(
            ctx.session,
            record.id,
            [Attendee(a.member_id, a.name, a.status) for a in draft.attendees],
        )


def numbers_line(records: Sequence[ActivityRecord]) -> str:
    """``记录编号：12`` (``12、13`` for several): put on the saved card so that a reply to it
    (a photo sent later) reaches the records, on every channel that quotes."""
    return texts.RECORD_NUMBERS.format(numbers="、".join(str(r.id) for r in records))


def record_ids_in(text: str | None) -> list[int]:
    """The record numbers on a saved card's text (:func:`numbers_line`), in order."""
    if not text:
        return []
    match = _NUMBERS.search(text)
    if match is None:
        return []
    return [int(n) for n in re.findall(r"\d+", match.group(1))]
