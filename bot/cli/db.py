"""``djbot db upgrade|downgrade REV|current``: the schema migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli import common


async def _db(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.database import Database

    settings = common.settings()
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
    return asyncio.run(_db(args))


def register(sub: Any) -> None:
    """Add ``db``."""
    p = sub.add_parser("db", help="数据库迁移")
    p.add_argument("action", choices=["upgrade", "downgrade", "current"])
    p.add_argument("revision", nargs="?", help="版本（downgrade 必填，如 base）")
    p.set_defaults(func=cmd_db)
