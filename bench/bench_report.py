"""Benchmark: a year report over 1,000 vs 100,000 records (target: the large one within 1.5x
the wall time of the small one), on SQLite and optionally PostgreSQL.

Usage (from the repository root)::

    .venv/bin/python bench/bench_report.py                     # SQLite, 1,000 and 100,000
    .venv/bin/python bench/bench_report.py --sizes 1000 100000 --runs 7
    .venv/bin/python bench/bench_report.py --postgres postgresql://postgres@127.0.0.1:5432/test

Each size gets a fresh database (migrated), one branch and ``n`` seeded records spread over
2026 (every type of the taxonomy, head counts, titles, 2% planned). Timed, after one warm-up:
(a) in process, ``assemble_report`` + text render (what ``/report`` does before the Word file),
(b) the Word file (``render_docx``), (c) the whole command ``djbot report --org 1 --period 2026``
as a new process (start-up, settings, migration check, report). Medians of ``--runs``. Results
go to ``bench/RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from common import djbot_env, machine  # first: puts the repository on sys.path

from bot.domain.periods import year
from bot.domain.taxonomy import load_taxonomy
from bot.reports.assembly import assemble_report
from bot.reports.rendering import ReportTemplates
from bot.settings import async_database_url
from storage import migrate
from storage.database import Database
from storage.models import Organization
from storage.queries.organizations import create_organization
from storage.queries.records import insert_records

NOW = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
TODAY = date(2026, 12, 31)


def records(n: int, org_id: int, seed: int = 4) -> list[dict[str, object]]:
    """``n`` seeded records of 2026 for one organization, as insert rows."""
    rng = random.Random(seed)
    types = load_taxonomy().types
    out: list[dict[str, object]] = []
    for i in range(n):
        t = types[rng.randrange(len(types))]
        out.append(
            {
                "organization_id": org_id,
                "reporter_id": None,
                "activity_type": t.name,
                "category": t.category,
                "unit": t.unit,
                "occurred_on": date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
                "count": rng.choice((1, 1, 1, 2)),
                "approximate": False,
                "participants": rng.choice((None, rng.randrange(3, 80))),
                "title": f"{t.name}活动第{i}次",
                "raw_text": "",
                "status": "planned" if rng.random() < 0.02 else "done",
                "source_channel": "bench",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    return out


async def prepare(url: str, n: int) -> Database:
    db = Database(url)
    await migrate.upgrade(db)
    async with db.session() as session:
        org = await create_organization(session, "基准测试党支部", NOW)
        await insert_records(session, records(n, org.id))
    return db


async def in_process(db: Database, runs: int) -> tuple[float, float]:
    """Median seconds of (assemble + text render), and of the Word file."""
    taxonomy = load_taxonomy()
    templates = ReportTemplates()
    report_times: list[float] = []
    docx_times: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        async with db.session() as session:
            org = await session.get(Organization, 1)
            assert org is not None
            draft = await assemble_report(session, org, year(2026), TODAY, taxonomy)
        templates.render(draft, "text")
        t1 = time.perf_counter()
        templates.render_docx(draft)
        t2 = time.perf_counter()
        if i:  # the first run warms caches and compiles templates
            report_times.append(t1 - t0)
            docx_times.append(t2 - t1)
    return statistics.median(report_times), statistics.median(docx_times)


def command(url: str, runs: int) -> float:
    """Median seconds of ``djbot report --org 1 --period 2026`` as a new process."""
    env = djbot_env(url)
    args = [sys.executable, "-m", "bot.cli", "report", "--org", "1", "--period", "2026"]
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(
            [*args, "--today", TODAY.isoformat()], env=env, check=True, capture_output=True
        )
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def bench(url_for: dict[int, str], runs: int) -> dict[int, tuple[float, float, float]]:
    out = {}
    for n, url in url_for.items():
        t0 = time.perf_counter()
        db = await prepare(url, n)
        setup = time.perf_counter() - t0
        report, word = await in_process(db, runs)
        await db.dispose()
        cli = command(url, runs)
        out[n] = (report, word, cli)
        print(
            f"n={n:>7,}: setup {setup:6.2f} s | report (assemble+text) {report * 1000:7.1f} ms"
            f" | docx {word * 1000:6.1f} ms | djbot report {cli * 1000:6.0f} ms",
            flush=True,
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="a server URL; each size gets a new database there")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            import asyncpg

            async def create(name: str) -> None:
                dsn = args.postgres.replace("postgresql+asyncpg://", "postgresql://")
                conn = await asyncpg.connect(dsn)
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'CREATE DATABASE "{name}"')
                await conn.close()

            base = args.postgres.rpartition("/")[0]
            urls = {}
            for n in args.sizes:
                asyncio.run(create(f"djbot_bench_{n}"))
                urls[n] = async_database_url(f"{base}/djbot_bench_{n}")
        else:
            urls = {n: async_database_url(f"sqlite:///{tmp}/bench_{n}.sqlite3") for n in args.sizes}
        results = asyncio.run(bench(urls, args.runs))
    small, large = min(results), max(results)
    for i, what in enumerate(("report (assemble+text)", "docx", "djbot report")):
        ratio = results[large][i] / results[small][i]
        print(f"{what}: {large:,} / {small:,} records = {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
