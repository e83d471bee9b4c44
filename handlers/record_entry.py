"""Record entry: a member's free text -> a card -> 保存 / 修改 / 取消.

Steps (stored per chat, so a half-entered record survives a restart and works across
processes):

- ``confirm_record``: the card with the draft records; 保存 stores them, 修改 edits, 取消 drops.
- ``choose_type``: the reader found two equally likely types; the user picks one.
- ``edit_pick``: several records in one message; which one to edit.
- ``edit_field``: walks through the fields of one record, one prompt each; 保留 keeps a value.
"""

from __future__ import annotations

from bot.domain.periods import current_quarter
from bot.domain.reader import read_message
from bot.messages import Reply
from handlers import record_extras, texts
from handlers.context import Context, StepHandler, reply
from handlers.drafts import STATUS_NAMES, Card, RecordDraft
from handlers.steps import Pressed, StepChoice
from handlers.values import parse_count, parse_date, parse_participants
from storage.models import RecordStatus
from storage.queries.records import add_record, records_of_reporter

CONFIRM = "confirm_record"
CHOOSE_TYPE = "choose_type"
EDIT_PICK = "edit_pick"
EDIT_FIELD = "edit_field"

#: The fields 修改 walks through, in order, with their Chinese names.
FIELDS: tuple[tuple[str, str], ...] = (
    ("activity_type", "活动类型"),
    ("occurred_on", "日期"),
    ("count", "次数"),
    ("participants", "参加人数"),
    ("title", "标题"),
    ("status", "状态"),
)

CARD_CHOICES = [
    [StepChoice("保存", "save"), StepChoice("修改", "edit"), StepChoice("取消", "cancel")]
]


def describe(draft: RecordDraft) -> str:
    """The card lines of one draft record."""
    day = draft.occurred_on
    more = "余" if draft.approximate else ""
    participants = draft.participants
    lines = [
        f"活动类型：{draft.activity_type}（{draft.category}）",
        f"日期：{day.year}年{day.month}月{day.day}日",
        f"次数：{draft.count}{more}{draft.unit}",
        f"参加人数：{participants}人" if participants is not None else "参加人数：未填写",
        f"标题：{draft.title or '（无）'}",
        f"状态：{STATUS_NAMES[draft.status]}",
    ]
    lines += record_extras.attendee_lines(draft)
    return "\n".join(lines)


def card_text(drafts: list[RecordDraft]) -> str:
    """The whole card: one record, or numbered records."""
    if len(drafts) == 1:
        return f"{texts.CARD_ONE}\n{describe(drafts[0])}"
    parts = [texts.CARD_MANY.format(n=len(drafts))]
    parts += [f"【{i}】\n{describe(d)}" for i, d in enumerate(drafts, 1)]
    return "\n\n".join(parts)


async def show_card(ctx: Context, card: Card, *, replace: bool = False) -> list[Reply]:
    """Enter ``confirm_record`` (or ``choose_type`` first, while a record is ambiguous)."""
    card.index = card.field = None
    card.options = []
    for index, draft in enumerate(card.drafts):
        if draft.alternatives:
            return await ask_type(ctx, card, index, replace=replace)
    ambiguous = record_extras.first_ambiguous(card)
    if ambiguous is not None:
        return await record_extras.ask_ambiguous(ctx, card, ambiguous, replace=replace)
    buttons = await ctx.enter(CONFIRM, card.to_json(), CARD_CHOICES)
    text = card_text(card.drafts) + record_extras.evidence_line(card)
    return [reply(text, buttons, replace=replace)]


async def ask_type(ctx: Context, card: Card, index: int, *, replace: bool) -> list[Reply]:
    """Ask which of equally likely types record ``index`` is."""
    draft = card.drafts[index]
    card.index = index
    card.options = [draft.activity_type, *draft.alternatives]
    rows = [[StepChoice(name, "type", str(i))] for i, name in enumerate(card.options)]
    rows.append([StepChoice("取消", "cancel")])
    buttons = await ctx.enter(CHOOSE_TYPE, card.to_json(), rows)
    title = draft.title or draft.activity_type
    return [reply(texts.ASK_TYPE.format(title=title), buttons, replace=replace)]


async def on_text(ctx: Context) -> list[Reply]:
    """A member's free text with no step pending: read it and show the card, or answer."""
    reading = read_message(ctx.inbound.text, ctx.today, ctx.taxonomy)
    if not reading.records:
        answer = {
            "greeting": texts.GREETING,
            "thanks": texts.THANKS,
            "acknowledgement": texts.ACKNOWLEDGED,
            "question": texts.QUESTION,
        }.get(reading.intent, texts.NOT_UNDERSTOOD)
        return [reply(answer)]
    card = Card(
        drafts=[RecordDraft.from_reading(r, ctx.today) for r in reading.records],
        raw_text=ctx.inbound.text,
        message_id=ctx.inbound.message_id,
    )
    await record_extras.read_attendance(ctx, card, ctx.inbound.text)
    return await show_card(ctx, card)


def _card(ctx: Context) -> Card:
    return Card.from_json(ctx.step_data())


async def on_confirm(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """The card: 保存, 修改 or 取消; anything else shows the card again."""
    card = _card(ctx)
    replace = ctx.inbound.choice is not None
    action = pressed.action if pressed else None
    if action == "cancel":
        return await discard(ctx, replace)
    if action == "save":
        return await save(ctx, card, replace=replace)
    if action == "edit":
        if len(card.drafts) == 1:
            return await ask_field(ctx, card, 0, 0, replace=replace)
        rows = [
            [StepChoice(f"第{i + 1}条", "pick", str(i)) for i in range(len(card.drafts))],
            [StepChoice("取消", "cancel")],
        ]
        buttons = await ctx.enter(EDIT_PICK, card.to_json(), rows)
        return [reply(texts.EDIT_PICK, buttons, replace=replace)]
    text = card_text(card.drafts) + record_extras.evidence_line(card)
    return [reply(texts.CARD_PENDING), reply(text, ctx.current_buttons())]


async def on_choose_type(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """One of the offered types (or 取消)."""
    card = _card(ctx)
    replace = ctx.inbound.choice is not None
    if pressed is not None and pressed.action == "cancel":
        return await discard(ctx, replace)
    if pressed is None or pressed.action != "type":
        return _choose_again(ctx)
    card.at().set_type(ctx.taxonomy, card.options[pressed.index])
    return await show_card(ctx, card, replace=replace)


async def on_edit_pick(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Which record of the card to edit (or 取消)."""
    replace = ctx.inbound.choice is not None
    if pressed is not None and pressed.action == "cancel":
        return await discard(ctx, replace)
    if pressed is None or pressed.action != "pick":
        return _choose_again(ctx)
    return await ask_field(ctx, _card(ctx), pressed.index, 0, replace=replace)


def _choose_again(ctx: Context) -> list[Reply]:
    """Free text where a button was expected: show the buttons again."""
    return [reply("请选择下面的选项：", ctx.current_buttons())]


async def discard(ctx: Context, replace: bool) -> list[Reply]:
    """取消: forget the card, nothing saved."""
    await ctx.leave()
    return [reply(texts.DISCARDED, replace=replace)]


def _field_value(draft: RecordDraft, field: str) -> str:
    if field == "status":
        return STATUS_NAMES[draft.status]
    if field == "participants" and draft.participants is None:
        return "未填写"
    if field == "occurred_on":
        day = draft.occurred_on
        return f"{day.year}年{day.month}月{day.day}日"
    value = getattr(draft, field)
    return str(value) if value not in (None, "") else "（无）"


async def ask_field(
    ctx: Context, card: Card, index: int, field_no: int, *, replace: bool = False
) -> list[Reply]:
    """Prompt for field ``field_no`` of record ``index``; past the last field, show the card."""
    if field_no >= len(FIELDS):
        return await show_card(ctx, card, replace=replace)
    field, _ = FIELDS[field_no]
    rows = [
        [StepChoice("保留", "keep"), StepChoice("完成修改", "done")],
        [StepChoice("取消", "cancel")],
    ]
    if field == "status":
        rows.insert(
            0, [StepChoice("已开展", "status", "done"), StepChoice("计划中", "status", "planned")]
        )
    numbers = field not in ("count", "participants", "title", "occurred_on")
    card.index, card.field = index, field_no
    buttons = await ctx.enter(EDIT_FIELD, card.to_json(), rows, numbers=numbers)
    prompt = texts.EDIT_PROMPTS[field].format(value=_field_value(card.drafts[index], field))
    if len(card.drafts) > 1:
        prompt = f"第{index + 1}条 {prompt}"
    return [reply(prompt, buttons, replace=replace)]


async def on_edit_field(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """Take the answer for the field being edited and move to the next one."""
    card = _card(ctx)
    replace = ctx.inbound.choice is not None
    index, field_no = card.index or 0, card.field or 0
    field, _ = FIELDS[field_no]
    draft = card.drafts[index]
    action = pressed.action if pressed else None
    if action == "cancel":
        return await discard(ctx, replace)
    if action == "done":
        return await ask_field(ctx, card, index, len(FIELDS), replace=replace)
    if action == "keep":
        return await ask_field(ctx, card, index, field_no + 1, replace=replace)
    if pressed is not None and action == "status":
        draft.status = pressed.arg
        return await ask_field(ctx, card, index, field_no + 1, replace=replace)
    text = ctx.inbound.text.strip()
    error = apply_field(ctx, draft, field, text)
    if error:
        return [reply(error, ctx.current_buttons())]
    return await ask_field(ctx, card, index, field_no + 1)


def apply_field(ctx: Context, draft: RecordDraft, field: str, text: str) -> str | None:
    """Set ``field`` of ``draft`` from typed ``text``; returns the Chinese error, or ``None``."""
    invalid = texts.EDIT_INVALID[field].format(text=text[:20])
    if field == "activity_type":
        name = resolve_type(ctx, text)
        if name is None:
            return invalid
        draft.set_type(ctx.taxonomy, name)
    elif field == "occurred_on":
        day = parse_date(text, ctx.today)
        if day is None:
            return invalid
        draft.occurred_on = day
    elif field == "count":
        count = parse_count(text)
        if count is None:
            return invalid
        draft.count, draft.approximate = count, False
    elif field == "participants":
        participants = parse_participants(text)
        if participants is False:
            return invalid
        draft.participants = participants
    elif field == "title":
        if not 1 <= len(text) <= 200:
            return invalid
        draft.title = text
    else:
        status = {"已开展": "done", "计划中": "planned", "计划": "planned"}.get(text)
        if status is None:
            return invalid
        draft.status = status
    return None


def resolve_type(ctx: Context, text: str) -> str | None:
    """A canonical type from typed text: the name itself, or what the reader makes of it."""
    name = text.strip()
    if name in ctx.taxonomy:
        return name
    reading = read_message(name, ctx.today, ctx.taxonomy)
    return reading.records[0].activity_type if reading.records else None


async def save(ctx: Context, card: Card, *, replace: bool) -> list[Reply]:
    """Store the drafts as activity records of the member's organization."""
    affiliation = ctx.affiliation
    if ctx.member is None or affiliation is None:
        await ctx.leave()
        return [reply(texts.STRANGER, replace=replace)]
    saved = []
    for draft in card.drafts:
        record = await add_record(
            ctx.session,
            organization_id=affiliation.organization.id,
            reporter_id=ctx.member.id,
            activity_type=draft.activity_type,
            category=draft.category,
            occurred_on=draft.occurred_on,
            count=draft.count,
            approximate=draft.approximate,
            unit=draft.unit,
            participants=draft.participants,
            title=draft.title[:200],
            raw_text=card.raw_text,
            status=RecordStatus(draft.status),
            source_channel=ctx.address.channel,
            source_message_id=card.message_id,
            created_at=ctx.now,
            updated_at=ctx.now,
            deleted_at=None,
        )
        await ctx.audit(
            "record.create",
            affiliation.organization.id,
            f"activity_record:{record.id}",
            {
                "activity_type": draft.activity_type,
                "occurred_on": draft.occurred_on.isoformat(),
                "count": draft.count,
                "participants": draft.participants,
            },
        )
        await record_extras.save_extras(ctx, card, draft, record)
        saved.append(record)
    await ctx.leave()
    quarter = current_quarter(ctx.today)
    total = len(await records_of_reporter(ctx.session, ctx.member.id, quarter.start, quarter.end))
    done = texts.SAVED.format(n=len(card.drafts), total=total)
    text = card_text(card.drafts) + record_extras.evidence_line(card)
    numbers = record_extras.numbers_line(saved)
    return [reply(f"{text}\n\n✅ {done}\n{numbers}", replace=replace)]


#: This conversation's steps (see :mod:`handlers.steps`).
STEPS: dict[str, StepHandler] = {
    CONFIRM: on_confirm,
    CHOOSE_TYPE: on_choose_type,
    EDIT_PICK: on_edit_pick,
    EDIT_FIELD: on_edit_field,
}
