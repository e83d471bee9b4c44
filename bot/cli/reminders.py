"""``djbot reminders plan|run-due``.

::

    djbot reminders plan --year 2026 [--org ID] [--monthly] [--json]
    djbot reminders run-due [--now 2026-09-23T09:00+08:00]

``plan`` lists the reminder days of the year's deadlines (with ``--org``, that organization's
own deadlines; ``--monthly`` adds the monthly nudges). ``--json`` prints a JSON list of
``{"period", "deadline", "remind_on", "offset_days"}`` (ISO dates, period keys such as
``2026Q3``). A year the installed chinesecalendar does not know is planned Monday-Friday with a
warning naming the year on standard error.

``run-due`` sends what is due at ``--now`` (default: the current time), exactly once per member
and reminder however often it runs (cron, the scheduler, two processes), and prints a summary.

Exit codes: 0 done; 1 an unknown organization or a channel that could not be reached; 2 bad
arguments or no channel configured to send reminders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli import common


async def _plan(args: argparse.Namespace) -> int:
    from bot.domain.deadlines import (
        PlanDefaults,
        apply_overrides,
        monthly_plan,
        plan,
        plan_warnings,
    )
    from bot.domain.workdays import WorkdayCalendar, describe_day
    from bot.reminders.texts import periods_title

    if not 1900 <= args.year <= 2200:
        print(f"年份 {args.year} 无效。", file=sys.stderr)
        return 2
    settings = common.settings()
    defaults = PlanDefaults.from_settings(settings)
    rules = defaults.rules
    nudge_day = defaults.nudge_day
    if args.org is not None:
        from bot.app import open_app
        from storage.models import Organization, OrganizationKind
        from storage.queries.deadlines import deadline_setting

        app = await open_app(settings)
        try:
            async with app.db.session() as session:
                org = await session.get(Organization, args.org)
                if org is None:
                    print(f"组织 {args.org} 不存在。", file=sys.stderr)
                    return 1
                row = await deadline_setting(session, org.id)
                rules = apply_overrides(rules, row)
                if org.kind is not OrganizationKind.BRANCH:
                    nudge_day = 0
        finally:
            await app.close()
    calendar = WorkdayCalendar()
    items = plan(args.year, rules, calendar)
    if args.monthly:
        items = sorted(
            items + monthly_plan(args.year, nudge_day, calendar),
            key=lambda i: (i.remind_on, i.deadline, i.kind),
        )
    for warning in plan_warnings(items, calendar):
        print(f"警告：{warning}", file=sys.stderr)
    if args.json:
        print(json.dumps([item.to_json() for item in items], ensure_ascii=False, indent=2))
        return 0
    if not items:
        print(f"{args.year}年没有设置截止日期，不发提醒。")
        return 0
    for item in items:
        if item.kind == "monthly":
            what = f"每月提示（每月{item.nominal.day}日前后）"
        else:
            what = f"截止{item.deadline.isoformat()}  提前{item.offset_days}天"
        moved = f"，原定{describe_day(item.nominal, calendar)}" if item.moved else ""
        estimated = "，按周一至周五估算" if item.estimated else ""
        print(
            f"{describe_day(item.remind_on, calendar)}  {periods_title([item.period])}  {what}"
            f"{moved}{estimated}"
        )
    return 0


async def _run_due(args: argparse.Namespace) -> int:
    from bot.app import open_app, open_senders
    from bot.domain.workdays import WorkdayCalendar
    from bot.reminders.config import ReminderConfig
    from bot.reminders.sweep import sweep

    settings = common.settings()
    config = ReminderConfig.from_settings(settings)
    try:
        now = parse_instant(args.now, config.tz) if args.now else datetime.now(UTC)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    app = await open_app(settings)
    try:
        try:
            opened = await open_senders(settings, app.dispatcher)
        except Exception as exc:  # a rejected token or an unreachable Bot API
            print(f"无法连接聊天渠道：{exc}", file=sys.stderr)
            return 1
        try:
            if not opened.senders:
                print(
                    "未配置可发送提醒的聊天渠道（DJBOT_TELEGRAM_TOKEN），未发送。", file=sys.stderr
                )
                return 2
            summary = await sweep(
                app.db,
                opened.senders,
                now,
                config,
                taxonomy=app.taxonomy,
                calendar=WorkdayCalendar(),
                group_sender=opened.group,
            )
        finally:
            await opened.close()
    finally:
        await app.close()
    print(summary.text())
    return 0


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An ISO-8601 instant for ``run-due --now``: ``2026-09-23T09:00+08:00``, or without an
    offset in the local zone ``tz``.

    Raises:
        ValueError: not ISO-8601 (Chinese message).
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"时间“{text}”无效，应为 ISO-8601，例如 2026-09-23T09:00+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def register(sub: Any) -> None:
    """Add ``reminders``."""
    p = sub.add_parser("reminders", help="报送提醒：提醒计划、发送到期提醒")
    commands = p.add_subparsers(dest="reminders_command", required=True)
    c = commands.add_parser("plan", help="列出某年的提醒日期（遇节假日提前到前一个工作日）")
    c.add_argument("--year", type=int, required=True, help="年份，如 2026")
    c.add_argument("--org", type=int, help="组织编号（使用该组织自己的截止日期）")
    c.add_argument("--monthly", action="store_true", help="同时列出每月提示")
    c.add_argument("--json", action="store_true", help="输出 JSON")
    c.set_defaults(func=lambda args: asyncio.run(_plan(args)))
    c = commands.add_parser("run-due", help="发送此刻到期的提醒（可重复运行，不会重复发送）")
    c.add_argument("--now", help="把此刻当作该时间（ISO-8601，如 2026-09-23T09:00+08:00）")
    c.set_defaults(func=lambda args: asyncio.run(_run_due(args)))
