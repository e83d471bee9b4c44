"""``djbot reminders plan|run-due`` and ``djbot members import``.

::

    djbot reminders plan --year 2026 [--org ID] [--monthly] [--json]
    djbot reminders run-due [--now 2026-09-23T09:00+08:00]
    djbot members import --org ID FILE              # .csv or .jsonl

``plan`` lists the reminder days of the year's deadlines (with ``--org``, that organization's
own deadlines; ``--monthly`` adds the monthly nudges). ``--json`` prints a JSON list of
``{"period", "deadline", "remind_on", "offset_days"}`` (ISO dates, period keys such as
``2026Q3``). A year the installed chinesecalendar does not know is planned Monday-Friday with a
warning naming the year on standard error.

``run-due`` sends what is due at ``--now`` (default: the current time), exactly once per member
and reminder however often it runs (cron, the scheduler, two processes), and prints a summary.

``members import`` adds a branch roster: columns (CSV header or JSON keys) ``name``,
``telegram_id``, ``wecom_userid``, ``role`` (``member``/党员, ``officer``/党务干部,
``secretary``/书记, ``admin``/管理员; default member). A member is recognised by either account,
so importing the same file twice changes nothing. Any invalid line stops the import before
anything is written, and every problem is listed with its line number.

Exit codes: 0 done; 1 an unknown organization, invalid roster lines or a channel that could not
be reached; 2 bad arguments or no channel configured to send reminders. This is the adapter
layer: it reads the wall clock and passes ``now`` down.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.settings import Settings
    from storage.queries.members import RosterEntry

#: Roster column names, with the Chinese headers an office may use.
_COLUMNS = {
    "name": "name",
    "姓名": "name",
    "telegram_id": "telegram_id",
    "telegram": "telegram_id",
    "wecom_userid": "wecom_userid",
    "wecom": "wecom_userid",
    "企业微信": "wecom_userid",
    "userid": "wecom_userid",
    "role": "role",
    "角色": "role",
}
_ROLES = {
    "": "member",
    "member": "member",
    "党员": "member",
    "officer": "officer",
    "党务干部": "officer",
    "组织委员": "officer",
    "宣传委员": "officer",
    "secretary": "secretary",
    "书记": "secretary",
    "支部书记": "secretary",
    "admin": "admin",
    "管理员": "admin",
}
_TELEGRAM_ID = re.compile(r"^\d{1,20}$")
_WECOM_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def _settings() -> Settings:
    from bot.settings import Settings

    return Settings()


# --- reminders plan --------------------------------------------------------------------------


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
    settings = _settings()
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


# --- reminders run-due -----------------------------------------------------------------------


async def _run_due(args: argparse.Namespace) -> int:
    from bot.app import open_app, open_senders
    from bot.domain.workdays import WorkdayCalendar
    from bot.reminders.config import ReminderConfig
    from bot.reminders.sweep import sweep

    settings = _settings()
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
            )
        finally:
            await opened.close()
    finally:
        await app.close()
    print(summary.text())
    return 0


# --- members import --------------------------------------------------------------------------


def parse_roster(text: str, filename: str) -> tuple[list[RosterEntry], list[str]]:
    """Read a roster file's text: ``.csv`` with a header row, else JSON lines.

    Returns the entries and the problems (``第N行：…``, Chinese); entries are only usable when
    there are no problems. Line numbers count the CSV header as line 1.
    """
    from storage.models import Role
    from storage.queries.members import RosterEntry

    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    if filename.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        for number, raw in enumerate(reader, 2):
            rows.append((number, {k.strip().lower(): v for k, v in raw.items() if k}))
    else:
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"第{number}行：不是有效的 JSON（{exc.msg}）")
                continue
            if not isinstance(item, dict):
                problems.append(f"第{number}行：应为 JSON 对象")
                continue
            rows.append((number, {str(k).strip().lower(): v for k, v in item.items()}))
    entries: list[RosterEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        row = {
            _COLUMNS[k]: ("" if v is None else str(v).strip())
            for k, v in raw.items()
            if k in _COLUMNS
        }
        name = row.get("name", "")
        telegram_id = row.get("telegram_id", "")
        wecom_userid = row.get("wecom_userid", "")
        role = _ROLES.get(row.get("role", "").lower())
        line_problems = []
        if not 1 <= len(name) <= 100:
            line_problems.append("姓名不能为空（最多100字）")
        if not telegram_id and not wecom_userid:
            line_problems.append("至少需要 telegram_id 或 wecom_userid 之一")
        if telegram_id and not _TELEGRAM_ID.match(telegram_id):
            line_problems.append(f"telegram_id“{telegram_id}”应为数字")
        if wecom_userid and not _WECOM_USERID.match(wecom_userid):
            line_problems.append(f"wecom_userid“{wecom_userid}”无效")
        if role is None:
            line_problems.append(
                f"角色“{row.get('role')}”无效，应为 member、officer、secretary 或 admin"
            )
        for channel, external in (("telegram", telegram_id), ("wecom", wecom_userid)):
            if external and (channel, external) in seen:
                line_problems.append(
                    f"{channel} 账号 {external} 与第{seen[(channel, external)]}行重复"
                )
            elif external:
                seen[(channel, external)] = number
        if line_problems:
            problems.append(f"第{number}行：" + "；".join(line_problems))
            continue
        assert role is not None
        entries.append(RosterEntry(name, telegram_id or None, wecom_userid or None, Role(role)))
    if not rows and not problems:
        problems.append("文件中没有党员")
    return entries, problems


async def _members_import(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from storage.models import Organization
    from storage.queries.members import import_member

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取 {path}：{exc}", file=sys.stderr)
        return 1
    entries, problems = parse_roster(text, path.name)
    if problems:
        print(f"{path} 有{len(problems)}处问题，未导入任何党员：", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    app = await open_app(_settings())
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        async with app.db.session() as session:
            if await session.get(Organization, args.org) is None:
                print(f"组织 {args.org} 不存在。", file=sys.stderr)
                return 1
            now = datetime.now(UTC)
            for entry in entries:
                outcomes[await import_member(session, args.org, entry, now)] += 1
    except ValueError as exc:
        print(f"未导入任何党员：{exc}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(
        f"已导入{len(entries)}名党员：新增{outcomes['created']}人，"
        f"更新{outcomes['updated']}人，无变化{outcomes['unchanged']}人。"
    )
    return 0


# --- registration ----------------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add ``reminders`` and ``members`` to ``djbot``'s sub-commands."""
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

    p = sub.add_parser("members", help="党员名册")
    commands = p.add_subparsers(dest="members_command", required=True)
    c = commands.add_parser("import", help="从 CSV 或 JSONL 导入党员名册")
    c.add_argument("--org", type=int, required=True, help="组织编号")
    c.add_argument("file", help="名册文件（.csv 或 .jsonl）")
    c.set_defaults(func=lambda args: asyncio.run(_members_import(args)))


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
