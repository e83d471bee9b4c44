"""Recording an activity: a member's free text -> a card -> 保存 / 修改 / 取消.

Steps (stored per chat, so a half-entered record survives a restart and works across
processes):

- ``confirm_record``: the card with the draft records; 保存 stores them, 修改 edits, 取消 drops.
- ``choose_type``: the reader found two equally likely types; the user picks one.
- ``edit_pick``: several records in one message; which one to edit.
- ``edit_field``: walks through the fields of one record, one prompt each; 保留 keeps a value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.periods import current_quarter
from bot.domain.reader import ParsedRecord, read_message
from bot.messages import Reply
from handlers import texts
from handlers.context import Context, StepChoice, reply
from handlers.values import parse_count, parse_date, parse_participants
from storage.models import RecordStatus
from storage.queries.records import add_record, records_of_reporter

CONFIRM = "confirm_record"
CHOOSE_TYPE = "choose_type"
EDIT_PICK = "edit_pick"
EDIT_FIELD = "edit_field"
STEPS = (CONFIRM, CHOOSE_TYPE, EDIT_PICK, EDIT_FIELD)

#: The fields 修改 walks through, in order, with their Chinese names.
FIELDS: tuple[tuple[str, str], ...] = (
    ("activity_type", "活动类型"),
    ("occurred_on", "日期"),
    ("count", "次数"),
    ("participants", "参加人数"),
    ("title", "标题"),
    ("status", "状态"),
)
STATUS_NAMES = {"done": "已开展", "planned": "计划中"}

CARD_CHOICES = [
    [StepChoice("保存", "save"), StepChoice("修改", "edit"), StepChoice("取消", "cancel")]
]


def draft_from(record: ParsedRecord, today: date) -> dict[str, Any]:
    """A JSON-ready draft record from the reader's output; no date in the message means today."""
    return {
        "activity_type": record.activity_type,
        "category": record.category,
        "unit": record.unit,
        "occurred_on": (record.occurred_on or today).isoformat(),
        "count": record.count,
        "approximate": record.approximate,
        "participants": record.participants,
        "title": record.title,
        "status": record.status,
        "alternatives": list(record.alternatives),
    }


def describe(draft: dict[str, Any]) -> str:
    """The card lines of one draft record."""
    day = date.fromisoformat(draft["occurred_on"])
    more = "余" if draft.get("approximate") else ""
    participants = draft.get("participants")
    lines = [
        f"活动类型：{draft['activity_type']}（{draft['category']}）",
        f"日期：{day.year}年{day.month}月{day.day}日",
        f"次数：{draft['count']}{more}{draft['unit']}",
        f"参加人数：{participants}人" if participants is not None else "参加人数：未填写",
        f"标题：{draft['title'] or '（无）'}",
        f"状态：{STATUS_NAMES[draft['status']]}",
    ]
    return "\n".join(lines)


def card_text(drafts: list[dict[str, Any]]) -> str:
    """The whole card: one record, or numbered records."""
    if len(drafts) == 1:
        return f"{texts.CARD_ONE}\n{describe(drafts[0])}"
    parts = [texts.CARD_MANY.format(n=len(drafts))]
    parts += [f"【{i}】\n{describe(d)}" for i, d in enumerate(drafts, 1)]
    return "\n\n".join(parts)


async def show_card(ctx: Context, data: dict[str, Any], *, replace: bool = False) -> list[Reply]:
    """Enter ``confirm_record`` (or ``choose_type`` first, while a record is ambiguous)."""
    for index, draft in enumerate(data["drafts"]):
        if draft.get("alternatives"):
            return await ask_type(ctx, data, index, replace=replace)
    buttons = await ctx.enter(CONFIRM, data, CARD_CHOICES)
    return [reply(card_text(data["drafts"]), buttons, replace=replace)]


async def ask_type(ctx: Context, data: dict[str, Any], index: int, *, replace: bool) -> list[Reply]:
    """Ask which of equally likely types record ``index`` is."""
    draft = data["drafts"][index]
    options = [draft["activity_type"], *draft["alternatives"]]
    rows = [[StepChoice(name, f"type{i}")] for i, name in enumerate(options)]
    rows.append([StepChoice("取消", "cancel")])
    buttons = await ctx.enter(CHOOSE_TYPE, {**data, "index": index, "options": options}, rows)
    title = draft["title"] or draft["activity_type"]
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
    data = {
        "drafts": [draft_from(r, ctx.today) for r in reading.records],
        "raw_text": ctx.inbound.text,
        "message_id": ctx.inbound.message_id,
    }
    return await show_card(ctx, data)


async def on_step(ctx: Context, action: str | None) -> list[Reply]:
    """Continue the stored recording step with a pressed/typed button or free text."""
    assert ctx.state is not None
    step = ctx.state.state
    data = ctx.step_data()
    pressed = ctx.inbound.choice is not None
    if action == "cancel":
        await ctx.leave()
        return [reply(texts.DISCARDED, replace=pressed)]
    if step == CONFIRM:
        if action == "save":
            return await save(ctx, data, replace=pressed)
        if action == "edit":
            if len(data["drafts"]) == 1:
                return await ask_field(ctx, data, 0, 0, replace=pressed)
            rows = [
                [StepChoice(f"第{i}条", f"pick{i - 1}") for i in range(1, len(data["drafts"]) + 1)]
            ]
            rows.append([StepChoice("取消", "cancel")])
            buttons = await ctx.enter(EDIT_PICK, data, rows)
            return [reply(texts.EDIT_PICK, buttons, replace=pressed)]
        return [reply(texts.CARD_PENDING), reply(card_text(data["drafts"]), ctx.current_buttons())]
    if step == EDIT_PICK and action and action.startswith("pick"):
        return await ask_field(ctx, data, int(action[4:]), 0, replace=pressed)
    if step == CHOOSE_TYPE and action and action.startswith("type"):
        index = data.pop("index")
        options = data.pop("options")
        chosen = options[int(action[4:])]
        draft = data["drafts"][index]
        set_type(ctx, draft, chosen)
        draft["alternatives"] = []
        return await show_card(ctx, data, replace=pressed)
    if step == EDIT_FIELD:
        return await on_field(ctx, data, action, replace=pressed)
    # Free text where a button was expected: show the buttons again.
    return [reply("请选择下面的选项：", ctx.current_buttons())]


def set_type(ctx: Context, draft: dict[str, Any], name: str) -> None:
    """Set a draft's type and the category and unit that come with it."""
    activity_type = ctx.taxonomy.get(name)
    draft["activity_type"] = activity_type.name
    draft["category"] = activity_type.category
    draft["unit"] = activity_type.unit


def _field_value(draft: dict[str, Any], field: str) -> str:
    value = draft.get(field)
    if field == "status":
        return STATUS_NAMES[str(value)]
    if field == "participants" and value is None:
        return "未填写"
    if field == "occurred_on":
        day = date.fromisoformat(str(value))
        return f"{day.year}年{day.month}月{day.day}日"
    return str(value) if value not in (None, "") else "（无）"


async def ask_field(
    ctx: Context, data: dict[str, Any], index: int, field_no: int, *, replace: bool = False
) -> list[Reply]:
    """Prompt for field ``field_no`` of record ``index``; past the last field, show the card."""
    if field_no >= len(FIELDS):
        data.pop("index", None)
        data.pop("field", None)
        return await show_card(ctx, data, replace=replace)
    field, _ = FIELDS[field_no]
    rows = [
        [StepChoice("保留", "keep"), StepChoice("完成修改", "done")],
        [StepChoice("取消", "cancel")],
    ]
    if field == "status":
        rows.insert(
            0, [StepChoice("已开展", "status_done"), StepChoice("计划中", "status_planned")]
        )
    numbers = field not in ("count", "participants", "title", "occurred_on")
    state = {**data, "index": index, "field": field_no}
    buttons = await ctx.enter(EDIT_FIELD, state, rows, numbers=numbers)
    prompt = texts.EDIT_PROMPTS[field].format(value=_field_value(data["drafts"][index], field))
    if len(data["drafts"]) > 1:
        prompt = f"第{index + 1}条 {prompt}"
    return [reply(prompt, buttons, replace=replace)]


async def on_field(
    ctx: Context, data: dict[str, Any], action: str | None, *, replace: bool
) -> list[Reply]:
    """Take the answer for the field being edited and move to the next one."""
    index, field_no = int(data["index"]), int(data["field"])
    field, _ = FIELDS[field_no]
    draft = data["drafts"][index]
    if action == "done":
        return await ask_field(ctx, data, index, len(FIELDS), replace=replace)
    if action == "keep":
        return await ask_field(ctx, data, index, field_no + 1, replace=replace)
    if action in ("status_done", "status_planned"):
        draft["status"] = action.removeprefix("status_")
        return await ask_field(ctx, data, index, field_no + 1, replace=replace)
    text = ctx.inbound.text.strip()
    error = apply_field(ctx, draft, field, text)
    if error:
        return [reply(error, ctx.current_buttons())]
    return await ask_field(ctx, data, index, field_no + 1)


def apply_field(ctx: Context, draft: dict[str, Any], field: str, text: str) -> str | None:
    """Set ``field`` of ``draft`` from typed ``text``; returns the Chinese error, or ``None``."""
    invalid = texts.EDIT_INVALID[field].format(text=text[:20])
    if field == "activity_type":
        name = resolve_type(ctx, text)
        if name is None:
            return invalid
        set_type(ctx, draft, name)
        draft["alternatives"] = []
    elif field == "occurred_on":
        day = parse_date(text, ctx.today)
        if day is None:
            return invalid
        draft["occurred_on"] = day.isoformat()
    elif field == "count":
        count = parse_count(text)
        if count is None:
            return invalid
        draft["count"], draft["approximate"] = count, False
    elif field == "participants":
        participants = parse_participants(text)
        if participants is False:
            return invalid
        draft["participants"] = participants
    elif field == "title":
        if not 1 <= len(text) <= 200:
            return invalid
        draft["title"] = text
    else:
        status = {"已开展": "done", "计划中": "planned", "计划": "planned"}.get(text)
        if status is None:
            return invalid
        draft["status"] = status
    return None


def resolve_type(ctx: Context, text: str) -> str | None:
    """A canonical type from typed text: the name itself, or what the reader makes of it."""
    name = text.strip()
    if name in ctx.taxonomy:
        return name
    reading = read_message(name, ctx.today, ctx.taxonomy)
    return reading.records[0].activity_type if reading.records else None


async def save(ctx: Context, data: dict[str, Any], *, replace: bool) -> list[Reply]:
    """Store the drafts as activity records of the member's organization."""
    affiliation = ctx.affiliation
    if ctx.member is None or affiliation is None:
        await ctx.leave()
        return [reply(texts.STRANGER, replace=replace)]
    for draft in data["drafts"]:
        record = await add_record(
            ctx.session,
            organization_id=affiliation.organization.id,
            reporter_id=ctx.member.id,
            activity_type=draft["activity_type"],
            category=draft["category"],
            occurred_on=date.fromisoformat(draft["occurred_on"]),
            count=int(draft["count"]),
            approximate=bool(draft.get("approximate")),
            unit=draft["unit"],
            participants=draft.get("participants"),
            title=str(draft.get("title") or "")[:200],
            raw_text=str(data.get("raw_text") or ""),
            status=RecordStatus(draft["status"]),
            source_channel=ctx.address.channel,
            source_message_id=data.get("message_id"),
            created_at=ctx.now,
            updated_at=ctx.now,
            deleted_at=None,
        )
        await ctx.audit(
            "record.create",
            affiliation.organization.id,
            f"activity_record:{record.id}",
            {k: draft[k] for k in ("activity_type", "occurred_on", "count", "participants")},
        )
    await ctx.leave()
    quarter = current_quarter(ctx.today)
    total = len(await records_of_reporter(ctx.session, ctx.member.id, quarter.start, quarter.end))
    saved = texts.SAVED.format(n=len(data["drafts"]), total=total)
    return [reply(f"{card_text(data['drafts'])}\n\n✅ {saved}", replace=replace)]
