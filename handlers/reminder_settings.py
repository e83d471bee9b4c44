"""Reminder commands: ``/remind on|off`` (any member), ``/deadlines`` (secretaries and admins),
and the "现在登记" button of a reminder.

``/deadlines`` syntax (kind words: ``季度``/``quarter``, ``半年``/``half``, ``年度``/``year``)::

    /deadlines                   show this organization's deadlines and the next reminders
    /deadlines 季度 +5           quarter summaries due 5 days after the quarter ends
    /deadlines 年度 -10          the year's summary due 10 days before 31 December
    /deadlines 年度 12-20        the same as a date (半年/年度 only)
    /deadlines 半年 off          no half-year deadline (``on`` turns it back on)
    /deadlines 提前 7,3,1        remind 7, 3 and 1 days before each deadline
    /deadlines 默认              back to the defaults (the bot's settings)

A reminder's button carries ``remind:<send id>:<token>``; the press is honoured only when the
send-log row exists, belongs to the presser and the token matches (compared in constant time),
so a forged or guessed press gets :data:`handlers.texts.STALE_BUTTON` like any other button.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from bot.domain.deadlines import (
    KIND_LABELS,
    KIND_WORDS,
    DeadlineKind,
    apply_overrides,
    check_shift,
    format_offsets,
    format_shift,
    parse_offsets,
)
from bot.domain.periods import half, year
from bot.domain.workdays import describe_day
from bot.messages import Reply
from bot.reminders.plan import due_between
from bot.reminders.texts import RECORD_NOW_LABEL, parse_button, periods_title
from handlers import texts
from handlers.context import Context, reply
from handlers.steps import normalize_answer
from storage.queries.deadlines import (
    deadline_setting,
    reset_deadline_setting,
    save_deadline_setting,
)
from storage.queries.members import set_reminders_enabled
from storage.queries.reminders import send_for_button

#: Typed forms of the switch.
ON_WORDS = frozenset({"on", "开", "开启", "打开", "恢复"})
OFF_WORDS = frozenset({"off", "关", "关闭", "停止", "不要"})
RESET_WORDS = frozenset({"reset", "默认", "恢复默认"})
OFFSET_WORDS = frozenset({"offsets", "offset", "提前", "提醒"})
#: How many upcoming reminders ``/deadlines`` lists.
UPCOMING = 6

REMIND_STATUS = "报送提醒：{state}。\n发送 /remind off 关闭，/remind on 开启。"
REMIND_ON = "已开启报送提醒：截止日期前会提醒您登记活动。发送 /remind off 可关闭。"
REMIND_OFF = "已关闭报送提醒，不会再收到截止提醒。发送 /remind on 可重新开启。"
REMIND_USAGE = "用法：/remind on 开启报送提醒，/remind off 关闭。"
RECORD_PROMPT = "请直接发送您开展的活动，我来帮您登记。\n" + texts.EXAMPLES
DEADLINES_USAGE = (
    "用法：\n"
    "/deadlines 查看截止日期和近期提醒\n"
    "/deadlines 季度 +5 季度总结在季度结束后5天截止（-5 为提前5天，0 为季度最后一天）\n"
    "/deadlines 年度 12-20 年度总结12月20日截止（半年、年度可写日期）\n"
    "/deadlines 半年 off 不设半年截止日期（on 恢复）\n"
    "/deadlines 提前 7,3,1 截止前7天、3天、1天提醒\n"
    "/deadlines 默认 恢复默认设置"
)
DEADLINE_SAVED = "已更新“{org}”的报送截止日期。\n\n"
_SHIFT = re.compile(r"^[+-]?\d{1,3}(?:天)?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/月.](\d{1,2})日?$")


# --- the reminder's button -------------------------------------------------------------------


def is_record_now(ctx: Context) -> bool:
    """Whether the message is a press of a reminder's "现在登记" button (any data that looks
    like one, valid or not), or that label typed outside a conversation step."""
    choice = ctx.inbound.choice
    if choice is not None:
        return parse_button(choice) is not None or choice.startswith("remind:")
    return ctx.state is None and normalize_answer(ctx.inbound.text) == RECORD_NOW_LABEL


async def record_now(ctx: Context, argument: str = "") -> list[Reply]:
    """Answer "现在登记" with a prompt and examples; a forged or foreign press is refused."""
    if ctx.member is None:
        return [reply(texts.STRANGER)]
    choice = ctx.inbound.choice
    if choice is not None:
        parsed = parse_button(choice)
        row = await send_for_button(ctx.session, parsed[0]) if parsed else None
        if (
            parsed is None
            or row is None
            or row.member_id != ctx.member.id
            or not row.button_token
            or not secrets.compare_digest(row.button_token, parsed[1])
        ):
            return [reply(texts.STALE_BUTTON)]
    return [reply(RECORD_PROMPT)]


# --- /remind ---------------------------------------------------------------------------------


async def remind(ctx: Context, argument: str) -> list[Reply]:
    """``/remind``, ``/remind on``, ``/remind off``: the member's own reminder switch."""
    member = ctx.member
    if member is None or ctx.affiliation is None:
        return [reply(texts.STRANGER)]
    word = argument.strip().lower()
    if not word:
        state = "已开启" if member.reminders_enabled else "已关闭"
        return [reply(REMIND_STATUS.format(state=state))]
    if word in ON_WORDS:
        await set_reminders_enabled(ctx.session, member.id, True)
        return [reply(REMIND_ON)]
    if word in OFF_WORDS:
        await set_reminders_enabled(ctx.session, member.id, False)
        return [reply(REMIND_OFF)]
    return [reply(REMIND_USAGE)]


# --- /deadlines ------------------------------------------------------------------------------


async def deadlines(ctx: Context, argument: str) -> list[Reply]:
    """``/deadlines [kind value | 提前 N,N | 默认]`` (see the module docstring), on top of the
    bot-wide defaults (``ctx.reminder_defaults``) and working days (``ctx.calendar``)."""
    defaults, calendar = ctx.reminder_defaults, ctx.calendar
    affiliation = ctx.reporting_affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.ONLY_SECRETARY.format(command="/deadlines"))]
    org = affiliation.organization
    words = argument.split()
    prefix = ""
    if words:
        try:
            changes = _parse_change(words, ctx.today)
        except ValueError as exc:
            return [reply(f"{exc}\n\n{DEADLINES_USAGE}")]
        if changes is None:
            await reset_deadline_setting(ctx.session, org.id)
        else:
            await save_deadline_setting(
                ctx.session, org.id, ctx.now, updated_by_id=ctx.member.id, **changes
            )
        await ctx.audit(
            "deadline.change",
            org.id,
            f"organization:{org.id}",
            {"reset": True} if changes is None else {k: v for k, v in changes.items()},
        )
        prefix = DEADLINE_SAVED.format(org=org.name)
    row = await deadline_setting(ctx.session, org.id)
    rules = apply_overrides(defaults.rules, row)
    lines = [f"“{org.name}”报送截止日期："]
    for kind in DeadlineKind:
        lines.append(f"· {KIND_LABELS[kind]}：{format_shift(kind, rules.shifts.get(kind))}")
    lines.append(f"· 提醒：{format_offsets(rules.offsets)}（遇节假日提前到前一个工作日）")
    if defaults.nudge_day:
        day = defaults.nudge_day
        lines.append(f"· 每月{day}日前后提示书记本月缺项（主题党日、支委会、党小组会）")
    horizon = ctx.today + timedelta(days=200)
    upcoming = due_between(ctx.today, horizon, rules, calendar)[:UPCOMING]
    if upcoming:
        lines.append("\n近期提醒：")
        lines += [
            f"· {describe_day(d.remind_on, calendar)}：{periods_title(d.periods)}，"
            f"{d.deadline.month}月{d.deadline.day}日截止（提前{d.offset_days}天）"
            for d in upcoming
        ]
    years = {d.remind_on.year for d in upcoming if d.estimated}
    lines += [f"\n注意：{calendar.fallback_warning(y)}" for y in calendar.unknown_years(years)]
    lines.append("\n" + DEADLINES_USAGE)
    return [reply(prefix + "\n".join(lines))]


def _parse_change(words: list[str], today: date) -> dict[str, object] | None:
    """The columns to change for ``/deadlines`` arguments; ``None`` means reset.

    Raises:
        ValueError: unknown words or values out of range (Chinese message).
    """
    head = words[0].lower()
    rest = words[1:]
    if head in RESET_WORDS and not rest:
        return None
    if head in OFFSET_WORDS:
        if not rest:
            raise ValueError("请写出截止前几天提醒，例如：/deadlines 提前 7,3,1")
        offsets = parse_offsets(" ".join(rest))
        return {"offsets": ",".join(str(d) for d in offsets)}
    kind = KIND_WORDS.get(head)
    if kind is None:
        raise ValueError(f"无法识别“{words[0]}”，请写季度、半年、年度或提前。")
    if len(rest) != 1:
        raise ValueError(f"请在“{words[0]}”后写一个值，例如 +5、-10、12-20、off。")
    value = rest[0].lower()
    name = kind.value
    if value in OFF_WORDS:
        return {f"{name}_enabled": False}
    if value in ON_WORDS:
        return {f"{name}_enabled": True}
    if _SHIFT.match(value):
        days = check_shift(int(value.removesuffix("天")))
        return {f"{name}_days": days, f"{name}_enabled": True}
    match = _MONTH_DAY.match(value)
    if match and kind is not DeadlineKind.QUARTER:
        period = half(today.year, 1) if kind is DeadlineKind.HALF else year(today.year)
        try:
            target = date(period.end.year, int(match.group(1)), int(match.group(2)))
        except ValueError:
            raise ValueError(f"日期“{rest[0]}”无效。") from None
        days = (target - period.end).days
        if days < -180:  # 1-10 for the year means next January
            days = (target.replace(year=target.year + 1) - period.end).days
        check_shift(days)
        return {f"{name}_days": days, f"{name}_enabled": True}
    raise ValueError(
        f"“{rest[0]}”无效：请写相对报告期最后一天的天数（如 +5、-10），"
        "半年和年度也可写日期（如 12-20），或 off / on。"
    )
