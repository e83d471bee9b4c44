"""``djbot backup --out FILE`` and ``djbot restore FILE`` (storage/backup.py), and ``djbot audit
--org ID`` (the audit log, newest first, with local times).

Evidence files (the media store: a directory or an S3 bucket) are backed up beside the database
as ``FILE.media.tar`` (every file an evidence row refers to, taken after the database, so every
row in the backup has its file), and restored from there by ``djbot restore FILE``.
``--no-media`` skips them (for a bucket kept by its own versioning or replication).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def _database() -> Any:
    from bot.settings import Settings
    from storage.database import Database

    return Database(Settings().sqlalchemy_url)


def media_archive(backup_file: Path) -> Path:
    """Where the evidence files of a backup go: ``FILE.media.tar`` beside it."""
    return backup_file.with_name(backup_file.name + ".media.tar")


def cmd_backup(args: argparse.Namespace) -> int:
    """``djbot backup --out FILE [--no-media]``."""
    from bot.app import open_media
    from bot.settings import Settings
    from storage.backup import RestoreError, backup
    from storage.media import MediaStoreError, export_tar
    from storage.queries.evidence import stored_keys

    async def run() -> int:
        db = _database()
        out = Path(args.out)
        try:
            summary = await backup(db, out)
            async with db.session() as session:
                keys = await stored_keys(session)
        except RestoreError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"已备份 {summary.total} 行（版本 {summary.revision}）到 {args.out}")
        if args.no_media:
            print(f"未备份佐证文件（--no-media）：共 {len(keys)} 个，请另行备份文件存储。")
            return 0
        store = open_media(Settings())
        archive = media_archive(out)
        try:
            written, missing = await export_tar(store, archive, keys)
        except (MediaStoreError, OSError) as exc:
            print(f"错误：佐证文件备份失败：{exc}", file=sys.stderr)
            return 1
        finally:
            await store.close()
        print(f"已备份 {written} 个佐证文件（{store.where()}）到 {archive}")
        if missing:
            print(
                f"警告：文件存储中缺少 {len(missing)} 个文件：{', '.join(missing[:5])}",
                file=sys.stderr,
            )
            return 1
        return 0

    return asyncio.run(run())


def cmd_restore(args: argparse.Namespace) -> int:
    """``djbot restore FILE``: the database, then ``FILE.media.tar`` if it is there."""
    import tarfile

    from bot.app import open_media
    from bot.settings import Settings
    from storage.backup import RestoreError, restore
    from storage.media import MediaStoreError, import_tar

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
        archive = media_archive(Path(args.file))
        if not archive.is_file():
            print(f"没有找到佐证文件备份 {archive}，未恢复佐证文件。")
            return 0
        store = open_media(Settings())
        try:
            count = await import_tar(store, archive)
        except (MediaStoreError, OSError, ValueError, tarfile.TarError) as exc:
            print(f"错误：佐证文件恢复失败：{exc}", file=sys.stderr)
            return 1
        finally:
            await store.close()
        print(f"已恢复 {count} 个佐证文件到{store.where()}")
        return 0

    return asyncio.run(run())


def cmd_audit(args: argparse.Namespace) -> int:
    """``djbot audit --org ID``: the organization's and its sub-organizations' audit entries,
    newest first, with local times."""
    import json

    from bot.settings import Settings
    from storage import audit
    from storage.models import Member, Organization
    from storage.queries.organizations import organization_tree_ids

    settings = Settings()

    async def run() -> int:
        db = _database()
        try:
            async with db.session() as session:
                if await session.get(Organization, args.org) is None:
                    print(f"组织 {args.org} 不存在。", file=sys.stderr)
                    return 1
                ids = await organization_tree_ids(session, args.org)
                rows = await audit.entries(session, ids, args.limit)
                names = {m.id: m.name for m in await session.scalars(_members(Member, rows))}
        finally:
            await db.dispose()
        for row in rows:
            when = row.created_at.astimezone(settings.tz)
            actor = names.get(row.actor_id, "系统") if row.actor_id else "系统"
            if args.json:
                item = {
                    "time": when.isoformat(),
                    "organization_id": row.organization_id,
                    "actor": actor,
                    "action": row.action,
                    "target": row.target,
                    "details": row.details,
                    "channel": row.channel,
                }
                print(json.dumps(item, ensure_ascii=False))
            else:
                details = json.dumps(row.details, ensure_ascii=False) if row.details else ""
                stamp = when.strftime("%Y-%m-%d %H:%M:%S")
                print(f"{stamp} {actor} {row.action} {row.target} {details}".rstrip())
        if not rows and not args.json:
            print("（没有审计记录）")
        return 0

    return asyncio.run(run())


def _members(member: Any, rows: Any) -> Any:
    from sqlalchemy import select

    ids = {r.actor_id for r in rows if r.actor_id is not None}
    return select(member).where(member.id.in_(ids))


def register(sub: Any) -> None:
    """Add ``backup``, ``restore`` and ``audit``."""
    p = sub.add_parser("backup", help="备份数据库（SQLite 在线备份；PostgreSQL 可移植导出）")
    p.add_argument("--out", required=True, help="备份文件（佐证文件另存为 FILE.media.tar）")
    p.add_argument(
        "--no-media", action="store_true", help="不备份佐证文件（对象存储另有版本或复制时）"
    )
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="把备份恢复到空数据库")
    p.add_argument("file", help="备份文件（.sqlite3 或 djbot 导出文件）")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("audit", help="查看审计日志（含下级组织）")
    p.add_argument("--org", type=int, required=True, help="组织编号")
    p.add_argument("--limit", type=int, default=200, help="最多显示的条数")
    p.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    p.set_defaults(func=cmd_audit)
