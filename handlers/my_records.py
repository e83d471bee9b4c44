"""My records: ``/list`` (my records this quarter, numbered) and ``/delete N`` (with a
confirmation)."""

from __future__ import annotations

from bot.domain.periods import current_quarter
from bot.messages import Reply
from handlers import texts
from handlers.context import Context, StepHandler, reply
from handlers.steps import Pressed, StepChoice
from storage.models import ActivityRecord, RecordStatus
from storage.queries.records import records_of_reporter, soft_delete_record

CONFIRM_DELETE = "confirm_delete"


def record_line(record: ActivityRecord) -> str:
    """One record in a list: ``11月21日 主题党日 1次 23人 组织全体党员…（计划）``."""
    day = record.occurred_on
    parts = [f"{day.month}月{day.day}日", record.activity_type, f"{record.count}{record.unit}"]
    if record.participants is not None:
        parts.append(f"{record.participants}人")
    if record.title:
        parts.append(record.title)
    line = " ".join(parts)
    return line + ("（计划）" if record.status == RecordStatus.PLANNED else "")


async def _my_quarter(ctx: Context) -> list[ActivityRecord]:
    assert ctx.member is not None
    quarter = current_quarter(ctx.today)
    return list(await records_of_reporter(ctx.session, ctx.member.id, quarter.start, quarter.end))


async def list_records(ctx: Context, argument: str) -> list[Reply]:
    """``/list``."""
    if ctx.member is None:
        return [reply(texts.STRANGER)]
    records = await _my_quarter(ctx)
    label = f"本季度（{current_quarter(ctx.today).label}）"
    if not records:
        return [reply(texts.LIST_EMPTY.format(period=label))]
    lines = [texts.LIST_HEADER.format(period=label, n=len(records))]
    lines += [f"{i}. {record_line(r)}" for i, r in enumerate(records, 1)]
    lines.append(texts.LIST_FOOTER)
    return [reply("\n".join(lines))]


async def delete(ctx: Context, argument: str) -> list[Reply]:
    """``/delete N``: show record N of ``/list`` and ask for confirmation."""
    if ctx.member is None:
        return [reply(texts.STRANGER)]
    raw = argument.strip()
    if not raw.isdigit():
        return [reply(texts.DELETE_USAGE)]
    n = int(raw)
    records = await _my_quarter(ctx)
    if not 1 <= n <= len(records):
        return [reply(texts.DELETE_NOT_FOUND.format(n=n))]
    record = records[n - 1]
    rows = [[StepChoice("确认删除", "delete"), StepChoice("取消", "cancel")]]
    buttons = await ctx.enter(CONFIRM_DELETE, {"record_id": record.id}, rows)
    return [reply(texts.DELETE_CONFIRM.format(line=record_line(record)), buttons)]


async def on_confirm_delete(ctx: Context, pressed: Pressed | None) -> list[Reply]:
    """The answer to the delete confirmation."""
    action = pressed.action if pressed else None
    replace = ctx.inbound.choice is not None
    if action == "delete" and ctx.member is not None:
        record_id = int(ctx.step_data()["record_id"])
        await ctx.leave()
        record = await ctx.session.get(ActivityRecord, record_id)
        if record is None or record.reporter_id != ctx.member.id:
            return [reply(texts.STALE_BUTTON, replace=replace)]
        line = record_line(record)
        await soft_delete_record(ctx.session, record_id, ctx.now)
        await ctx.audit(
            "record.delete",
            record.organization_id,
            f"activity_record:{record.id}",
            {"activity_type": record.activity_type, "occurred_on": record.occurred_on.isoformat()},
        )
        return [reply(texts.DELETED.format(line=line), replace=replace)]
    if action == "cancel":
        await ctx.leave()
        return [reply(texts.CANCELLED, replace=replace)]
    return [reply("请选择“确认删除”或“取消”。", ctx.current_buttons())]


#: This conversation's steps (see :mod:`handlers.steps`).
STEPS: dict[str, StepHandler] = {CONFIRM_DELETE: on_confirm_delete}
