"""Backups and restores, so a branch's data is never locked in one server.

- ``backup(db, out)``: on SQLite, SQLite's online backup API (a consistent copy while the bot
  runs; sqlite.org/backup.html), written as a plain ``.sqlite3`` file. On PostgreSQL, a portable
  dump: gzip-compressed JSON lines, a header with the schema revision, then every row of every
  table in foreign-key order.
- ``restore(db, source)``: reads either kind of file into an *empty* database of either kind
  (SQLite <-> PostgreSQL both work): the target is migrated to the backup's revision, rows are
  copied, PostgreSQL id sequences are moved past the copied ids, and the schema is upgraded to
  the newest revision.

Times stay as stored (naive UTC); dates and times are ISO 8601 in the dump.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import Date, DateTime

from storage import migrate
from storage.database import Database

DUMP_FORMAT = "djbot-dump"
DUMP_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 1000


class RestoreError(Exception):
    """The backup cannot be restored here (unknown file, newer schema, target not empty)."""


@dataclass(slots=True)
class Summary:
    """What a backup or restore moved: rows per table and the schema revision."""

    revision: str | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All rows."""
        return sum(self.rows.values())


def _sqlite_path(db: Database) -> Path | None:
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise RestoreError("内存数据库无法备份")
    return Path(url.database)


def _reflect(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def _ordered(table: Table) -> Any:
    """All rows of ``table`` by primary key, so a parent organization precedes its children."""
    return select(table).order_by(*(list(table.primary_key.columns) or list(table.c)))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name not in table.c:
            continue  # a column a later revision dropped
        column_type = table.c[name].type
        if isinstance(value, str) and isinstance(column_type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column_type, Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


async def backup(db: Database, out: Path) -> Summary:
    """Write a backup of ``db`` to ``out`` (see the module docstring for the two formats).

    Raises:
        RestoreError: for an in-memory database.
    """
    revision = await migrate.current(db)
    source = _sqlite_path(db)
    if source is not None:
        await asyncio.to_thread(_sqlite_online_backup, source, out)
        counts = await _count_rows(db)
        return Summary(revision, counts)
    summary = Summary(revision)

    def dump(connection: Connection) -> None:
        with gzip.open(out, "wt", encoding="utf-8") as fh:
            header = {"format": DUMP_FORMAT, "version": DUMP_VERSION, "revision": revision}
            fh.write(json.dumps(header) + "\n")
            for table in _reflect(connection):
                n = 0
                # a server-side cursor: rows stream in batches instead of the whole table at once
                streamed = connection.execution_options(stream_results=True, yield_per=BATCH)
                for row in streamed.execute(_ordered(table)).mappings():
                    record = {k: _encode(v) for k, v in row.items()}
                    fh.write(json.dumps({"t": table.name, "r": record}, ensure_ascii=False) + "\n")
                    n += 1
                summary.rows[table.name] = n

    async with db.engine.connect() as connection:
        await connection.run_sync(dump)
    return summary


def _sqlite_online_backup(source: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
        src.backup(dst)
    # a backup file is self-contained: no WAL sidecar needed to read it
    with sqlite3.connect(out) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")


async def _count_rows(db: Database) -> dict[str, int]:
    def count(connection: Connection) -> dict[str, int]:
        return {
            t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in _reflect(connection)
        }

    async with db.engine.connect() as connection:
        return await connection.run_sync(count)


def _dump_revision(path: Path) -> str | None:
    """The schema revision in a dump's header.

    Raises:
        RestoreError: the file is not a dump of this format.
    """
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
    except (OSError, ValueError) as exc:
        raise RestoreError(f"无法识别的备份文件：{path}") from exc
    if (
        not isinstance(header, dict)
        or header.get("format") != DUMP_FORMAT
        or header.get("version") != DUMP_VERSION
    ):
        raise RestoreError(f"无法识别的备份文件：{path}")
    revision = header.get("revision")
    return str(revision) if revision else None


async def _dump_rows(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        fh.readline()
        for line_no, line in enumerate(fh, 2):
            try:
                item = json.loads(line)
                name, row = str(item["t"]), dict(item["r"])
            except (ValueError, KeyError, TypeError) as exc:
                raise RestoreError(f"备份文件第{line_no}行损坏") from exc
            yield name, row


async def restore(db: Database, source: Path) -> Summary:
    """Restore the backup file ``source`` into ``db``, which must hold no data.

    Raises:
        RestoreError: the file is neither kind of backup, its revision is unknown to this
            version, or ``db`` already holds rows.
    """
    if not source.is_file():
        raise RestoreError(f"找不到备份文件：{source}")
    with source.open("rb") as fh:
        is_sqlite = fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    if is_sqlite:
        source_db = Database(f"sqlite+aiosqlite:///{source}")
        try:
            revision = await migrate.current(source_db)
            return await _copy_in(db, revision, _rows_of(source_db))
        finally:
            await source_db.dispose()
    return await _copy_in(db, _dump_revision(source), _dump_rows(source))


async def _rows_of(source: Database) -> Any:
    def read(connection: Connection) -> list[tuple[str, list[dict[str, Any]]]]:
        return [
            (t.name, [dict(r) for r in connection.execute(_ordered(t)).mappings()])
            for t in _reflect(connection)
        ]

    async with source.engine.connect() as connection:
        for name, rows in await connection.run_sync(read):
            for row in rows:
                yield name, {k: _encode(v) for k, v in row.items()}


async def _copy_in(db: Database, revision: str | None, rows: Any) -> Summary:
    if revision is None:
        raise RestoreError("备份中没有数据库版本信息")
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config(db.url))
    if revision not in {s.revision for s in scripts.walk_revisions()}:
        raise RestoreError(f"备份的数据库版本 {revision} 不为本程序所知，请先升级程序")
    at = await migrate.current(db)
    if at is not None and any((await _count_rows(db)).values()):
        raise RestoreError("目标数据库不是空的，恢复只能写入空数据库")
    if at not in (None, revision):
        await migrate.downgrade(db, "base")  # empty anyway: rebuild at the backup's revision
    await migrate.upgrade(db, revision)
    summary = Summary(revision)
    async with db.engine.begin() as connection:
        tables = {t.name: t for t in await connection.run_sync(_reflect)}
        batch: list[dict[str, Any]] = []
        current: str | None = None

        async def flush() -> None:
            if batch and current is not None:
                await connection.execute(insert(tables[current]), batch)
                summary.rows[current] = summary.rows.get(current, 0) + len(batch)
                batch.clear()

        async for name, row in rows:
            if name not in tables:
                raise RestoreError(f"备份中的表 {name} 不存在于版本 {revision}")
            if name != current or len(batch) >= BATCH:
                await flush()
                current = name
            batch.append(_decode(tables[name], row))
        await flush()
        if connection.dialect.name == "postgresql":
            for table in tables.values():
                if "id" in table.c:
                    await connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                        )
                    )
    await migrate.upgrade(db)
    summary.revision = await migrate.current(db)
    return summary
