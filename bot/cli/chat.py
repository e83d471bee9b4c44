"""``djbot run`` (serve the configured channels; none: the console) and ``djbot chat`` (talk to
the bot on this terminal)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bot.cli import common

if TYPE_CHECKING:
    from bot.settings import Settings


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

    settings = common.settings()
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
    return asyncio.run(_chat(args))


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import configured_channels, serve

    settings = common.settings()
    if configured_channels(settings):
        return asyncio.run(serve(settings))
    print(
        "未配置任何聊天渠道（未设置 DJBOT_TELEGRAM_TOKEN，企业微信设置也不完整），"
        "改用本地控制台。\n"
        "也可直接运行：djbot chat --user 用户名 --name 姓名",
        file=sys.stderr,
    )
    user = getpass.getuser()
    args.user, args.name, args.today = user, user, None
    return cmd_chat(args)


def register(sub: Any) -> None:
    """Add ``run`` and ``chat``."""
    p = sub.add_parser("run", help="运行机器人（已配置的渠道；未配置时使用控制台）")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("chat", help="在终端中与机器人对话")
    p.add_argument("--user", default=getpass.getuser(), help="用户标识")
    p.add_argument("--name", default="", help="显示名称")
    p.add_argument("--today", help="把今天当作此日期（YYYY-MM-DD），用于演示和测试")
    p.set_defaults(func=cmd_chat)
