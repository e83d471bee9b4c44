"""Benchmark: ``djbot import`` throughput on SQLite (target: >= 20,000 records/s).

Usage (from the repository root)::

    .venv/bin/python bench/bench_import.py                 # 100,000 rows; CSV, JSONL, XLSX
    .venv/bin/python bench/bench_import.py -n 20000 --formats csv

For each format a seeded file of ``n`` rows is written (every taxonomy type, dates of 2026,
head counts, titles, 50 reporters), then imported into a fresh, migrated SQLite database:
(a) in process, ``bot.reports.importing.import_file`` (read, validate, create reporters, insert
with executemany in one transaction), (b) the whole command ``djbot import --org 1 FILE`` as a
new process. Records/s = n / wall time. Results go to ``bench/RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import DJBOT, djbot_env, machine  # first: puts the repository on sys.path

from bot.domain.taxonomy import load_taxonomy
from bot.reports.importing import import_file
from bot.settings import async_database_url
from storage import migrate
from storage.database import Database
from storage.queries.organizations import create_organization

NOW = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
HEADER = ["occurred_on", "activity_type", "count", "participants", "title", "reporter"]


def rows(n: int, seed: int = 7) -> list[list[object]]:
    rng = random.Random(seed)
    types = [t.name for t in load_taxonomy().types]
    out: list[list[object]] = []
    for i in range(n):
        name = types[rng.randrange(len(types))]
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        people = rng.choice(("", rng.randrange(3, 80)))
        out.append(
            [
                day.isoformat(),
                name,
                rng.choice((1, 1, 2)),
                people,
                f"{name}第{i}次",
                f"党员{i % 50}",
            ]
        )
    return out


def write(path: Path, data: list[list[object]]) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            writer.writerows(data)
    elif path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as f:
            for row in data:
                item = dict(zip(HEADER, row, strict=True))
                item["participants"] = item["participants"] or None
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("台账")
        sheet.append(HEADER)
        for row in data:
            sheet.append(row)
        book.save(path)


async def in_process(url: str, path: Path) -> float:
    db = Database(url)
    await migrate.upgrade(db)
    async with db.session() as session:
        org = await create_organization(session, "基准测试党支部", NOW)
    t0 = time.perf_counter()
    async with db.session() as session:
        result = await import_file(session, org, path, load_taxonomy(), date(2026, 12, 31), NOW)
    seconds = time.perf_counter() - t0
    await db.dispose()
    assert result.imported > 0
    return seconds


def command(url: str, path: Path) -> float:
    env = djbot_env(url)
    cli = DJBOT
    subprocess.run(
        [*cli, "org", "create", "基准测试党支部"], env=env, check=True, capture_output=True
    )
    t0 = time.perf_counter()
    subprocess.run(
        [*cli, "import", "--org", "1", str(path)], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "jsonl", "xlsx"])
    args = parser.parse_args()
    print(machine())
    data = rows(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            path = Path(tmp) / f"records.{fmt}"
            write(path, data)
            a = asyncio.run(
                in_process(async_database_url(f"sqlite:///{tmp}/a_{fmt}.sqlite3"), path)
            )
            b = command(async_database_url(f"sqlite:///{tmp}/b_{fmt}.sqlite3"), path)
            print(
                f"{fmt:>5}: {args.n:,} rows ({path.stat().st_size / 1e6:.1f} MB) | in process "
                f"{a:.2f} s = {args.n / a:,.0f} records/s | djbot import {b:.2f} s = "
                f"{args.n / b:,.0f} records/s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
