"""Operator commands: ``djbot backup --out FILE`` and ``djbot restore FILE``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``djbot`` sub-commands."""
    p = sub.add_parser("backup", help="备份数据库（SQLite 在线备份；PostgreSQL 可移植导出）")
    p.add_argument("--out", required=True, help="备份文件")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="把备份恢复到空数据库")
    p.add_argument("file", help="备份文件（.sqlite3 或 djbot 导出文件）")
    p.set_defaults(func=cmd_restore)


def _database() -> Any:
    from bot.settings import Settings
    from storage.database import Database

    return Database(Settings().sqlalchemy_url)


def cmd_backup(args: argparse.Namespace) -> int:
    """``djbot backup --out FILE``."""
    from bot.backup import RestoreError, backup

    async def run() -> int:
        db = _database()
        try:
            summary = await backup(db, Path(args.out))
        except RestoreError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"已备份 {summary.total} 行（版本 {summary.revision}）到 {args.out}")
        return 0

    return asyncio.run(run())


def cmd_restore(args: argparse.Namespace) -> int:
    """``djbot restore FILE``."""
    from bot.backup import RestoreError, restore

    async def run() -> int:
        db = _database()
        try:
            summary = await restore(db, Path(args.file))
        except RestoreError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"已恢复 {summary.total} 行，数据库版本 {summary.revision}")
        return 0

    return asyncio.run(run())
