"""Photos and files as evidence (佐证), and names added to an open card.

Where a message's attachments go, in order:

1. a card is open (any step of the record entry): they join the card, saved with its records;
2. the rest of an album whose first photo went to a saved record (step ``evidence_album``):
   the same record;
3. the message replies to a saved record's card (its text carries ``记录编号：N``): that record
   (several numbers: the user picks one, step ``evidence_pick_record``);
4. a caption that reads as an activity: a new card with the files;
5. otherwise the files are held (step ``evidence_held``) and the next message that reads as an
   activity becomes a card with them.

Files are fetched, checked and stored at once (:class:`bot.evidence.EvidenceIntake`); what is
refused is said, file by file, and never costs the rest of the message.

The answer to "which 张伟?" (step ``choose_attendee``, asked by :mod:`handlers.record_extras`)
and a corrected list (``参加人员：……`` sent while a card is open) are handled here too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.domain.reader import read_message
from bot.evidence.intake import Held, IntakeResult
from bot.messages import Reply
from handlers import record_entry, record_extras, texts
from handlers.context import ORGANIZING_ROLES, Context, StepHandler, reply
from handlers.drafts import Card, RecordDraft
from handlers.my_records import record_line
from handlers.steps import Pressed, StepChoice
from storage.models import ActivityRecord
from storage.queries.evidence import EvidenceFile, add_evidence, evidence_for

HELD = "evidence_held"
ALBUM = "evidence_album"
PICK_RECORD = "evidence_pick_record"

#: Record entry steps whose data is a :class:`~handlers.drafts.Card`.
CARD_STEPS = frozenset(
    {
        record_entry.CONFIRM,
        record_entry.CHOOSE_TYPE,
        record_entry.EDIT_PICK,
        record_entry.EDIT_FIELD,
        record_extras.CHOOSE_ATTENDEE,
    }
)


def _notes(result: IntakeResult) -> list[str]:
    lines = [texts.EVIDENCE_REFUSED.format(name=r.name, reason=r.reason) for r in result.refused]
    if result.duplicates:
        lines.append(texts.EVIDENCE_DUPLICATES.format(n=result.duplicates))
    return lines


def _files(data: dict[str, Any]) -> list[EvidenceFile]:
    raw = data.get("evidence") or []
    return [EvidenceFile(**f) for f in raw] if isinstance(raw, list) else []


def card_open(ctx: Context) -> bool:
    """Whether the sender has a record card open in this chat."""
    return ctx.state is not None and ctx.state.state in CARD_STEPS


def continues_album(ctx: Context) -> bool:
    """Whether the message is a further photo of an album already being taken in (by an open
    card or a saved record): in a group such photos carry no mention of the bot."""
    album = ctx.inbound.album_id
    return bool(album) and ctx.state is not None and ctx.state.data.get("album_id") == album


async def on_attachments(ctx: Context) -> list[Reply]:
    """A message with photos or files (see the module docstring for where they go)."""
    if ctx.member is None or ctx.affiliation is None:
        return [reply(texts.STRANGER)]
    inbound = ctx.inbound
    if card_open(ctx):
        card = Card.from_json(ctx.step_data())
        result = await ctx.evidence.take(inbound.attachments, Held.of(card.evidence), ctx.today)
        card.evidence += result.stored
        card.album_id = card.album_id or inbound.album_id
        if inbound.text.strip():
            await record_extras.read_attendance(ctx, card, inbound.text)
        lines = _notes(result)
        if result.stored:
            summary = record_extras.evidence_summary(result.stored)
            lines.insert(0, texts.EVIDENCE_ADDED_TO_CARD.format(summary=summary))
        shown = await record_entry.show_card(ctx, card)
        return ([reply("\n".join(lines))] if lines else []) + shown
    data = ctx.step_data() if ctx.state is not None else {}
    if ctx.state is not None and ctx.state.state == ALBUM and continues_album(ctx):
        record_ids = [int(i) for i in data.get("record_ids") or []]
        return await attach_to_record(ctx, record_ids[0], [])
    held = _files(data) if ctx.state is not None and ctx.state.state == HELD else []
    numbers = record_extras.record_ids_in(inbound.reply_to_text) if inbound.replies_to_bot else []
    if len(numbers) == 1:
        return await attach_to_record(ctx, numbers[0], held)
    result = await ctx.evidence.take(inbound.attachments, Held.of(held), ctx.today)
    files = held + result.stored
    notes = _notes(result)
    if len(numbers) > 1:
        return await _pick_record(ctx, numbers, files, notes)
    caption = inbound.text.strip()
    if caption and files:
        made = await _card_from(ctx, caption, files)
        if made is not None:
            return ([reply("\n".join(notes))] if notes else []) + made
    if not files:
        return [reply("\n".join(notes) or texts.EVIDENCE_NOTHING_NEW)]
    return await _hold(ctx, files, notes, not_understood=bool(caption))


async def _card_from(ctx: Context, text: str, files: list[EvidenceFile]) -> list[Reply] | None:
    """A new card read from ``text`` with ``files``; ``None`` when ``text`` is no activity."""
    reading = read_message(text, ctx.today, ctx.taxonomy)
    if not reading.records:
        return None
    card = Card(
        drafts=[RecordDraft.from_reading(r, ctx.today) for r in reading.records],
        raw_text=text,
        message_id=ctx.inbound.message_id,
        evidence=files,
        album_id=ctx.inbound.album_id,
    )
    await record_extras.read_attendance(ctx, card, text)
    return await record_entry.show_card(ctx, card)


async def _hold(
    ctx: Context, files: list[EvidenceFile], notes: list[str], *, not_understood: bool
) -> list[Reply]:
    data: dict[str, Any] = {"evidence": [dataclasses.asdict(f) for f in files]}
    if ctx.inbound.album_id:
        data["album_id"] = ctx.inbound.album_id
    buttons = await ctx.enter(HELD, data, [[StepChoice("取消", "cancel")]], numbers=False)
    summary = record_extras.evidence_summary(files)
    lines = [texts.NOT_UNDERSTOOD] if not_understood else []
    lines += [*notes, texts.EVIDENCE_HELD.format(summary=summary)]
    return [reply("\n".join(lines), buttons)]


async def on_held(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Files are held: the next text that reads as an activity becomes a card with them."""
    replace = ctx.inbound.choice is not None
    if pressed is not None and pressed.action == "cancel":
        await ctx.leave()
        return [reply(texts.EVIDENCE_CANCELLED, replace=replace)]
    files = _files(ctx.step_data())
    text = ctx.inbound.text.strip()
    shown = await _card_from(ctx, text, files) if text else None
    if shown is not None:
        return shown
    summary = record_extras.evidence_summary(files)
    return [
        reply(texts.NOT_UNDERSTOOD),
        reply(texts.EVIDENCE_HELD_PENDING.format(summary=summary), ctx.current_buttons()),
    ]


def _may_attach(ctx: Context, record: ActivityRecord) -> bool:
    if ctx.member is None:
        return False
    if record.reporter_id == ctx.member.id:
        return True
    return any(
        a.organization.id == record.organization_id and a.roles & ORGANIZING_ROLES
        for a in ctx.affiliations
    )


async def attach_to_record(ctx: Context, record_id: int, files: list[EvidenceFile]) -> list[Reply]:
    """Add ``files`` and the message's attachments to saved record ``record_id`` (the sender's
    own, or one of a branch they organize)."""
    record = await ctx.session.get(ActivityRecord, record_id)
    if record is None or record.deleted_at is not None:
        await ctx.leave()
        return [reply(texts.EVIDENCE_RECORD_GONE.format(number=record_id))]
    if not _may_attach(ctx, record):
        await ctx.leave()
        return [reply(texts.EVIDENCE_NOT_YOURS)]
    existing = (await evidence_for(ctx.session, [record.id])).get(record.id, [])
    held = Held(len(existing), sum(e.size for e in existing), {e.sha256 for e in existing})
    known = [f for f in files if f.sha256 not in held.sha256s]
    for f in known:
        held.count, held.size = held.count + 1, held.size + f.size
        held.sha256s.add(f.sha256)
    result = await ctx.evidence.take(ctx.inbound.attachments, held, ctx.today)
    new = known + result.stored
    added = await add_evidence(
        ctx.session,
        record.id,
        record.organization_id,
        new,
        uploaded_by_id=ctx.member.id if ctx.member else None,
        source_channel=ctx.address.channel,
        source_message_id=ctx.inbound.message_id,
        now=ctx.now,
    )
    if added:
        await ctx.audit(
            "evidence.add",
            record.organization_id,
            f"activity_record:{record.id}",
            {"files": [f.filename for f in new], "sha256": [f.sha256 for f in new]},
        )
    if ctx.inbound.album_id:
        await ctx.enter(ALBUM, {"album_id": ctx.inbound.album_id, "record_ids": [record.id]}, [])
    else:
        await ctx.leave()
    lines = _notes(result)
    duplicates = len(files) - len(known)
    if duplicates and not result.duplicates:
        lines.append(texts.EVIDENCE_DUPLICATES.format(n=duplicates))
    if not new:
        return [reply("\n".join([*lines, texts.EVIDENCE_NOTHING_NEW]))]
    rows = (await evidence_for(ctx.session, [record.id])).get(record.id, [])
    total = record_extras.evidence_summary(rows)
    done = texts.EVIDENCE_ADDED_TO_RECORD.format(
        number=record.id,
        line=record_line(record),
        summary=record_extras.evidence_summary(new),
        total=total,
    )
    return [reply("\n".join([done, *lines]))]


async def _pick_record(
    ctx: Context, numbers: list[int], files: list[EvidenceFile], notes: list[str]
) -> list[Reply]:
    if not files:
        return [reply("\n".join(notes) or texts.EVIDENCE_NOTHING_NEW)]
    rows = [[StepChoice(f"记录{n}", "record", str(n))] for n in numbers[:10]]
    rows.append([StepChoice("取消", "cancel")])
    data = {"evidence": [dataclasses.asdict(f) for f in files], "record_ids": numbers[:10]}
    buttons = await ctx.enter(PICK_RECORD, data, rows)
    text = "\n".join([*notes, texts.EVIDENCE_PICK_RECORD.format(n=len(numbers))])
    return [reply(text, buttons)]


async def on_pick_record(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Which record of a card with several gets the files."""
    if pressed is not None and pressed.action == "record":
        return await attach_to_record(ctx, pressed.index, _files(ctx.step_data()))
    if pressed is not None and pressed.action == "cancel":
        await ctx.leave()
        return [reply(texts.EVIDENCE_CANCELLED, replace=ctx.inbound.choice is not None)]
    return [reply("请选择下面的选项：", ctx.current_buttons())]


async def on_album(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Anything but a further photo of the album ends it and is handled as usual."""
    await ctx.leave()
    return await record_entry.on_text(ctx)


# --- names on an open card -------------------------------------------------------------------


def is_names_correction(ctx: Context) -> bool:
    """Whether the message is text listing names (``参加人员：……``) sent while a card is open."""
    from bot.domain.attendance import extract_attendance

    return (
        card_open(ctx)
        and ctx.inbound.choice is None
        and not ctx.inbound.attachments
        and extract_attendance(ctx.inbound.text) is not None
        and not read_message(ctx.inbound.text, ctx.today, ctx.taxonomy).records
    )


async def on_names(ctx: Context) -> list[Reply]:
    """Replace the open card's attendee list with the names the message lists."""
    card = Card.from_json(ctx.step_data())
    await record_extras.read_attendance(ctx, card, ctx.inbound.text, replace=True)
    return [reply(texts.NAMES_UPDATED), *await record_entry.show_card(ctx, card)]


async def on_choose_attendee(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Which member a shared name is (or 都不是, or 取消)."""
    card = Card.from_json(ctx.step_data())
    replace = ctx.inbound.choice is not None
    if pressed is not None and pressed.action == "cancel":
        return await record_entry.discard(ctx, replace)
    if pressed is None or pressed.action not in ("who", "nobody") or card.index is None:
        return [reply("请选择下面的选项：", ctx.current_buttons())]
    entry = card.drafts[card.index].attendees[card.field or 0]
    if pressed.action == "who" and pressed.index in entry.candidates:
        entry.member_id = pressed.index
    entry.candidates = []
    return await record_entry.show_card(ctx, card, replace=replace)


#: This conversation's steps (see :mod:`handlers.steps`).
STEPS: dict[str, StepHandler] = {
    HELD: on_held,
    ALBUM: on_album,
    PICK_RECORD: on_pick_record,
    record_extras.CHOOSE_ATTENDEE: on_choose_attendee,
}
