"""What a reminder says. Pure functions: dates and data in, neutral :class:`~bot.messages.Reply`
objects out; no clock, no database, no channel.

Three messages (all Chinese, all with a "现在登记" button and how to stop them):

* :func:`member_reminder`: to every member before a deadline: the period and deadline, how many
  days are left, and what the member recorded so far in the period.
* :func:`secretary_reminder`: to secretaries and admins instead: how much the organization
  recorded, who has recorded nothing this period, and the gaps against the required
  frequencies (``bot.domain.gaps``, rules from 《中国共产党支部工作条例（试行）》, see
  ``shared/docs/taxonomy.md``).
* :func:`monthly_nudge`: around the 25th, to secretaries of a branch that has not recorded a
  monthly activity (主题党日, 支委会, 党小组会: the taxonomy's rules with ``per = "month"``).

The button's data is ``remind:<send id>:<token>``; the token is stored with the send-log row,
so a forged or guessed press is refused (``handlers.reminder_settings``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.domain.gaps import Gap, activity_verb
from bot.domain.periods import Period, PeriodKind
from bot.domain.workdays import WEEKDAY_NAMES
from bot.messages import Choice, Reply
from bot.reminders.plan import DueReminder

RECORD_NOW_LABEL = "现在登记"
BUTTON_PREFIX = "remind"
STOP_HINT = "不想再收到提醒，请发送 /remind off；恢复请发送 /remind on。"
#: At most this many records, names or gaps are listed in one reminder (then "等N条").
MAX_LINES = 10
MAX_NAMES = 20

_BUTTON = re.compile(rf"^{BUTTON_PREFIX}:(\d{{1,12}}):([0-9a-f]{{8,16}})$")


class RecordLike(Protocol):
    """What a reminder shows of an activity record (``storage.models.ActivityRecord``)."""

    @property
    def occurred_on(self) -> date: ...
    @property
    def activity_type(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def participants(self) -> int | None: ...
    @property
    def status(self) -> str: ...


def record_now_choice(send_id: int, token: str) -> Choice:
    """The "现在登记" button of a reminder (data ``remind:<send id>:<token>``, under 64 bytes)."""
    return Choice(RECORD_NOW_LABEL, f"{BUTTON_PREFIX}:{send_id}:{token}")


def parse_button(data: str) -> tuple[int, str] | None:
    """``(send id, token)`` from a reminder button's data; ``None`` if it is not one."""
    match = _BUTTON.match(data)
    return (int(match.group(1)), match.group(2)) if match else None


def day_text(day: date) -> str:
    """``9月30日（周三）``."""
    return f"{day.month}月{day.day}日（{WEEKDAY_NAMES[day.weekday()]}）"


def periods_title(periods: Sequence[Period]) -> str:
    """``2026年第三季度`` / ``2026年第二季度和上半年`` / ``2026年第四季度和2026年度``."""
    words: list[str] = []
    for period in periods:
        label = f"{period.start.year}年度" if period.kind is PeriodKind.YEAR else period.label
        if words and period.kind is not PeriodKind.YEAR:
            label = label.removeprefix(f"{period.start.year}年")
        words.append(label)
    return "和".join(words)


def _left(deadline: date, today: date) -> str:
    days = (deadline - today).days
    if days <= 0:
        return "今天截止"
    return f"还有{days}天"


def _header(due: DueReminder, today: date, organization: str | None = None) -> str:
    who = organization or ""
    return (
        f"【报送提醒】{who}{periods_title(due.periods)}党建工作总结将于{day_text(due.deadline)}"
        f"截止，{_left(due.deadline, today)}。"
    )


def record_line(record: RecordLike) -> str:
    """``7月5日 主题党日 1次 23人（计划）``."""
    day = record.occurred_on
    parts = [f"{day.month}月{day.day}日", record.activity_type, f"{record.count}{record.unit}"]
    if record.participants is not None:
        parts.append(f"{record.participants}人")
    return " ".join(parts) + ("（计划）" if str(record.status) == "planned" else "")


def _capped(lines: Sequence[str], limit: int, unit: str) -> list[str]:
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"……等共{len(lines)}{unit}"]


def member_reminder(
    due: DueReminder,
    today: date,
    records: Sequence[RecordLike],
    button: Choice,
    *,
    summary_count: int | None = None,
) -> Reply:
    """The reminder to a member.

    Args:
        due: the reminder (periods, deadline).
        today: the local date it is sent on (for "还有N天").
        records: the member's records in ``due.main_period``, oldest first.
        button: :func:`record_now_choice` of the send-log row.
        summary_count: the member's records in ``due.summary_period`` when it is longer than
            the main period (shown as "上半年共N条").
    """
    lines = [_header(due, today)]
    main = due.main_period
    extra = ""
    if summary_count is not None and len(due.periods) > 1:
        extra = f"（{periods_title([due.summary_period])}共{summary_count}条）"
    if records:
        lines.append(f"{main.label}，您已登记{len(records)}条活动记录{extra}：")
        numbered = [f"{i}. {record_line(r)}" for i, r in enumerate(records, 1)]
        lines += _capped(numbered, MAX_LINES, "条")
        lines.append("还有未登记的活动？点“现在登记”或直接发消息告诉我。")
    else:
        lines.append(f"{main.label}，您还没有登记活动记录{extra}。")
        lines.append(
            "开展过哪些活动？点“现在登记”或直接发消息告诉我，例如：今天上午开展主题党日活动，到场23人。"
        )
    lines.append(STOP_HINT)
    return Reply("\n".join(lines), [[button]])


def gap_line(gap: Gap, branch: str | None = None) -> str:
    """``· 截至目前，第三季度尚未召开支部党员大会（一般每季度召开1次，《…》第十一条）``."""
    where = f"{branch}：" if branch else ""
    return f"· {where}{gap.text}（{gap.rule}，{gap.source}）"


def secretary_reminder(
    due: DueReminder,
    today: date,
    organization: str,
    button: Choice,
    *,
    records: int,
    members: int,
    silent: Sequence[str],
    gaps: Sequence[str],
) -> Reply:
    """The reminder to a secretary or admin of ``organization``.

    Args:
        records: the organization's live records in ``due.main_period``.
        members: its members; ``silent``: names of those with no record in the main period.
        gaps: lines from :func:`gap_line` over ``due.summary_period`` (already judged as of
            ``today``).
    """
    main = due.main_period
    lines = [_header(due, today, organization)]
    if silent:
        names = "、".join(silent[:MAX_NAMES]) + (
            f"等{len(silent)}人" if len(silent) > MAX_NAMES else ""
        )
        lines.append(
            f"{main.label}，已登记活动记录{records}条；{members}名党员中有{len(silent)}人"
            f"尚未登记：{names}。"
        )
    else:
        lines.append(f"{main.label}，已登记活动记录{records}条，{members}名党员都已登记。")
    if gaps:
        lines.append(f"对照组织生活制度，{periods_title([due.summary_period])}还有以下缺项：")
        lines += _capped(gaps, MAX_LINES, "项")
    else:
        lines.append("对照组织生活制度，暂未发现缺项。")
    lines.append("请督促党员及时登记；发送 /report 可生成总结草稿。")
    lines.append(STOP_HINT)
    return Reply("\n".join(lines), [[button]])


def group_reminder(
    due: DueReminder, today: date, organization: str, *, members: int, silent: Sequence[str]
) -> str:
    """The reminder posted to a branch's WeCom group (群机器人): the deadline, how many members
    have recorded, and a call to those who have not (the robot @-mentions them by userid).

    Args:
        members: the organization's members; ``silent``: names of those with no record in
            ``due.main_period``.
    """
    main = due.main_period
    lines = [_header(due, today, organization)]
    if silent:
        lines.append(
            f"{main.label}{members}名党员中还有{len(silent)}人尚未登记活动，"
            "请大家在截止前把开展的活动发给党建工作助手登记。"
        )
    else:
        lines.append(f"{main.label}{members}名党员都已登记活动，谢谢大家。有新的活动请继续登记。")
    return "\n".join(lines)


def monthly_nudge(
    due: DueReminder, today: date, organization: str, gaps: Sequence[Gap], button: Choice
) -> Reply:
    """The monthly nudge to a secretary whose branch has not recorded the monthly activities
    in ``gaps`` (from :func:`bot.domain.gaps.find_gaps` over the month)."""
    month = due.main_period
    names = "、".join(g.activity_type for g in gaps)
    days_left = (month.end - today).days
    lines = [f"【每月提示】{organization}{month.label}尚未登记：{names}。"]
    lines += [f"· {g.activity_type}：{g.rule}（{g.source}）" for g in gaps]
    todo = "、".join(f"{activity_verb(g.activity_type)}{g.activity_type}" for g in gaps)
    lines.append(
        f"如已开展，请点“现在登记”或直接发消息补登；如尚未开展，请抓紧安排{todo}"
        f"（本月还剩{days_left}天）。"
    )
    lines.append(STOP_HINT)
    return Reply("\n".join(lines), [[button]])
