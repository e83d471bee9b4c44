"""The ``djbot`` command line.

::

    djbot run                      serve the configured channels (Telegram); none -> console
    djbot chat --user ID --name N  talk to the bot on this terminal (stdin/stdout)
    djbot db upgrade|downgrade REV|current
    djbot org create NAME          prints the new organization's id
    djbot parse [--today D] [--json] TEXT     read one message
    djbot parse --batch            JSON lines {"text", "today"} in, {"records": [...]} out
    djbot report|import|export ...   drafts, ledgers, data in and out (bot/cli_reports.py)

Settings come from the environment (``DJBOT_*``) and ``.env``. Heavy modules are imported
inside the commands, so ``djbot parse --batch`` starts fast. This is the adapter layer: it may
read the wall clock and passes ``now``/``today`` down.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings


def _settings() -> Settings:
    from bot.settings import Settings

    return Settings()


def _local_today(settings: Settings, given: str | None) -> date:
    if given:
        return date.fromisoformat(given)
    return datetime.now(settings.tz).date()


def _run(coro: Coroutine[Any, Any, int]) -> int:
    return asyncio.run(coro)


# --- parse ---------------------------------------------------------------------------------


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.domain.reader import read_message
    from bot.domain.taxonomy import load_taxonomy

    settings = _settings()
    taxonomy = load_taxonomy(settings.taxonomy_file)
    if args.batch:
        default_today = _local_today(settings, args.today)
        out = sys.stdout
        for line_no, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = str(item["text"])
                today = date.fromisoformat(item["today"]) if item.get("today") else default_today
            except (ValueError, KeyError, TypeError) as exc:
                out.write(
                    json.dumps(
                        {"records": [], "error": f"第{line_no}行无效：{exc}"}, ensure_ascii=False
                    )
                    + "\n"
                )
                continue
            reading = read_message(text, today, taxonomy)
            out.write(
                json.dumps({"records": [r.to_dict() for r in reading.records]}, ensure_ascii=False)
                + "\n"
            )
        return 0
    if not args.text:
        print("请提供要识别的文字，或使用 --batch 从标准输入读取。", file=sys.stderr)
        return 2
    reading = read_message(" ".join(args.text), _local_today(settings, args.today), taxonomy)
    if args.json:
        print(json.dumps(reading.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if not reading.records:
        print(f"未识别出活动记录（{reading.intent}）。")
    for i, r in enumerate(reading.records, 1):
        day = r.occurred_on.isoformat() if r.occurred_on else "未注明"
        people = f"{r.participants}人" if r.participants is not None else "未注明"
        more = "余" if r.approximate else ""
        status = "计划" if r.status == "planned" else "已开展"
        print(
            f"{i}. {r.activity_type}（{r.category}） 日期：{day} "
            f"次数：{r.count}{more}{r.unit} 人数：{people} 状态：{status} 标题：{r.title}"
        )
        if r.alternatives:
            print(f"   也可能是：{'、'.join(r.alternatives)}")
    return 0


# --- database --------------------------------------------------------------------------------


async def _db(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.database import Database

    settings = _settings()
    db = Database(settings.sqlalchemy_url)
    try:
        if args.action == "upgrade":
            await migrate.upgrade(db, args.revision or "head")
            print(f"数据库已升级到 {await migrate.current(db)}")
        elif args.action == "downgrade":
            await migrate.downgrade(db, args.revision)
            print(f"数据库已降级到 {await migrate.current(db) or 'base'}")
        else:
            rev = await migrate.current(db)
            head = migrate.head()
            print(f"{rev or '（未初始化）'}{'（最新）' if rev == head else f'（最新为 {head}）'}")
    finally:
        await db.dispose()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    if args.action == "downgrade" and not args.revision:
        print("请指定要降级到的版本，例如：djbot db downgrade base", file=sys.stderr)
        return 2
    return _run(_db(args))


# --- org -------------------------------------------------------------------------------------


async def _org_create(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from storage.models import Organization, OrganizationKind
    from storage.queries.organizations import create_organization

    app = await open_app(_settings())
    try:
        async with app.db.session() as session:
            if args.parent is not None and await session.get(Organization, args.parent) is None:
                print(f"上级组织 {args.parent} 不存在。", file=sys.stderr)
                return 1
            org = await create_organization(
                session,
                args.name,
                datetime.now(UTC),
                kind=OrganizationKind(args.kind),
                parent_id=args.parent,
            )
            print(org.id)
    finally:
        await app.close()
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    return _run(_org_create(args))


# --- chat and run ----------------------------------------------------------------------------


def _clock(settings: Settings, today: str | None) -> Any:
    if not today:
        return lambda: datetime.now(UTC)
    day = date.fromisoformat(today)

    def clock() -> datetime:
        now_local = datetime.now(settings.tz)
        return datetime.combine(day, now_local.time(), settings.tz).astimezone(UTC)

    return clock


async def _chat(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from bot.channels.console import ConsoleChannel

    settings = _settings()
    app = await open_app(settings)
    try:
        console = ConsoleChannel(
            app.dispatcher,
            user_id=args.user,
            name=args.name or args.user,
            files_dir=settings.data_dir / "files",
            clock=_clock(settings, args.today),
        )
        await console.run()
    finally:
        await app.close()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    return _run(_chat(args))


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import configured_channels, serve

    settings = _settings()
    if configured_channels(settings):
        return _run(serve(settings))
    print(
        "未配置任何聊天渠道（未设置 DJBOT_TELEGRAM_TOKEN，企业微信设置也不完整），"
        "改用本地控制台。\n"
        "也可直接运行：djbot chat --user 用户名 --name 姓名",
        file=sys.stderr,
    )
    user = getpass.getuser()
    args.user, args.name, args.today = user, user, None
    return cmd_chat(args)


# --- entry -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``djbot`` (sub-commands as in the module docstring)."""
    parser = argparse.ArgumentParser(prog="djbot", description="党建工作助手")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="运行机器人（已配置的渠道；未配置时使用控制台）")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="在终端中与机器人对话")
    p.add_argument("--user", default=getpass.getuser(), help="用户标识")
    p.add_argument("--name", default="", help="显示名称")
    p.add_argument("--today", help="把今天当作此日期（YYYY-MM-DD），用于演示和测试")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("db", help="数据库迁移")
    p.add_argument("action", choices=["upgrade", "downgrade", "current"])
    p.add_argument("revision", nargs="?", help="版本（downgrade 必填，如 base）")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("org", help="党组织管理")
    org_sub = p.add_subparsers(dest="org_command", required=True)
    c = org_sub.add_parser("create", help="创建党组织，输出其编号")
    c.add_argument("name")
    c.add_argument("--kind", default="branch", choices=["branch", "general_branch", "committee"])
    c.add_argument("--parent", type=int, help="上级组织编号")
    c.set_defaults(func=cmd_org)

    p = sub.add_parser("parse", help="识别一条消息中的活动记录")
    p.add_argument("text", nargs="*")
    p.add_argument("--today", help="今天的日期（YYYY-MM-DD）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--batch", action="store_true", help="从标准输入逐行读取 JSON")
    p.set_defaults(func=cmd_parse)
    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """``register(subparsers)`` functions of feature modules that add their own sub-commands
    (each module keeps its commands next to its code; this list is the only shared line)."""
    import importlib

    modules: list[str] = [
        "bot.cli_admin",
        "bot.cli_reports",
        "bot.cli_reminders",
    ]
    return [importlib.import_module(name).register for name in modules]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``djbot`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        from bot.logs import configure_logging

        settings = _settings()
        configure_logging(settings.log_level, settings.log_format)
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # bad settings or input files: a message, not a traceback
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
