"""Benchmark reminder delivery: N members through the fake Bot API, with faults injected.

Usage (from the repository root)::

    .venv/bin/python bench/bench_reminders.py                      # 10,000 members, SQLite
    .venv/bin/python bench/bench_reminders.py --members 2000 --latency 0.08
    .venv/bin/python bench/bench_reminders.py \
        --database-url postgresql://postgres@127.0.0.1:5432/djbot_bench

What runs: a fresh database (SQLite file in a temporary directory, or the given PostgreSQL
database, which is emptied) with one branch of N members (one secretary), each with a Telegram
account; the fake Bot API server (``tests/fakes/telegram_api.py``) in this process on
127.0.0.1, answering every ``--fault-429``-th ``sendMessage`` with 429 (retry_after 1) and every
``--fault-502``-th with 502, each request after ``--latency`` seconds; and the real
``djbot reminders run-due --now 2026-09-23T09:00+08:00`` as a separate process (as cron would
run it), then once more to check that nothing is sent twice.

Figures (targets from issue 5): sustained delivered messages per second from the first to the
last ``sendMessage`` (>= 27, i.e. 90% of Telegram's 30), the most ``sendMessage`` requests that
reached the server within any one second (<= 30, counting refused ones), duplicates and losses
(both 0). Results go to ``bench/RESULTS.md`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT  # first: puts the repository on sys.path

TOKEN = "424242:BENCH-reminders"
NOW = "2026-09-23T09:00:00+08:00"
FIRST_UID = 100_000


async def seed(url: str, members: int) -> None:
    """Migrate (or empty) the database and add one branch with ``members`` members."""
    from sqlalchemy import insert, text

    from storage import migrate
    from storage.database import Database
    from storage.models import Base, ChatIdentity, Member, Membership, Organization, Role

    db = Database(url)
    await migrate.upgrade(db)
    if db.engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    now = datetime(2026, 7, 1, tzinfo=UTC)
    async with db.session() as session:
        await session.execute(
            insert(Organization).values(id=1, name="第一党支部", kind="branch", created_at=now)
        )
        people = [
            {"id": i + 1, "name": f"党员{i + 1:05d}", "created_at": now} for i in range(members)
        ]
        accounts = [
            {
                "channel": "telegram",
                "external_id": str(FIRST_UID + i),
                "chat_id": str(FIRST_UID + i),
                "member_id": i + 1,
                "created_at": now,
            }
            for i in range(members)
        ]
        roles = [
            {
                "member_id": i + 1,
                "organization_id": 1,
                "role": Role.SECRETARY if i == 0 else Role.MEMBER,
                "created_at": now,
            }
            for i in range(members)
        ]
        for table, rows in ((Member, people), (ChatIdentity, accounts), (Membership, roles)):
            for start in range(0, len(rows), 1000):
                await session.execute(insert(table), rows[start : start + 1000])
    if db.engine.dialect.name == "postgresql":
        async with db.engine.begin() as conn:  # ids were given explicitly: move the sequence
            await conn.execute(
                text("SELECT setval('members_id_seq', (SELECT max(id) FROM members))")
            )
    await db.dispose()


async def run_due(url: str, base_url: str, workdir: Path) -> tuple[float, str]:
    """Run ``djbot reminders run-due`` as a process; returns its wall time and output."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")} | {
        "DJBOT_DATABASE_URL": url,
        "DJBOT_AUTO_MIGRATE": "false",
        "DJBOT_TELEGRAM_TOKEN": TOKEN,
        "DJBOT_TELEGRAM_BASE_URL": base_url,
        "DJBOT_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "reminders",
        "run-due",
        "--now",
        NOW,
        cwd=workdir,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"run-due failed ({process.returncode}): {err.decode()[-2000:]}")
    return time.monotonic() - started, out.decode().strip()


def crowded(times: list[float]) -> dict[int, int]:
    """How many one-second windows starting at a request held 30, 31... requests."""
    counts: Counter[int] = Counter()
    last = 0
    for first, moment in enumerate(times):
        last = max(last, first)
        while last + 1 < len(times) and times[last + 1] - moment < 1.0:
            last += 1
        if last - first + 1 > 29:
            counts[last - first + 1] += 1
    return dict(sorted(counts.items()))


def slowest(times: list[float], span: float) -> float:
    """The lowest request rate over any ``span`` seconds between the first and last request."""
    if not times or times[-1] - times[0] < span:
        return len(times) / max(times[-1] - times[0], 1e-9) if times else 0.0
    worst = float("inf")
    first = 0
    for last, moment in enumerate(times):
        while moment - times[first] > span:
            first += 1
        if moment - times[0] >= span:
            worst = min(worst, (last - first) / span)
    return worst


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    parser.add_argument("--fault-429", type=int, default=1000, help="every Nth sendMessage")
    parser.add_argument("--fault-502", type=int, default=150, help="every Nth sendMessage")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    args = parser.parse_args()

    from fakes.telegram_api import FakeTelegram

    from bot.settings import async_database_url

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = async_database_url(args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}")
        t0 = time.monotonic()
        await seed(url, args.members)
        seeded = time.monotonic() - t0
        async with FakeTelegram(token=TOKEN) as tg:
            for i in range(args.members):
                tg.add_user(FIRST_UID + i)
            if args.fault_429:
                tg.fail_every("sendMessage", args.fault_429, 429, retry_after=1)
            if args.fault_502:
                tg.fail_every("sendMessage", args.fault_502, 502)
            if args.latency:
                tg.slow("sendMessage", args.latency)
            # the fake server is the measuring instrument: keep the garbage collector's pauses
            # (tens of ms with 10,000 users and growing call logs) from bunching its timestamps
            gc.collect()
            gc.freeze()
            gc.disable()
            wall, summary = await run_due(url, tg.base_url, workdir)
            gc.enable()
            calls = len(tg.calls_of("sendMessage"))
            times = [
                t for (m, _), t in zip(tg.calls, tg.call_times, strict=True) if m == "sendMessage"
            ]
            per_chat = Counter({chat: len(msgs) for chat, msgs in tg.sent.items()})
            delivered = sum(per_chat.values())
            tg.fail_every("sendMessage", 0)
            wall2, summary2 = await run_due(url, tg.base_url, workdir)
            calls_after = len(tg.calls_of("sendMessage"))
            duration = times[-1] - times[0]
            expected = {FIRST_UID + i for i in range(args.members)}
            losses = len(expected - set(per_chat))
            duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
            python = platform.python_version()
            print(f"machine: {os.cpu_count()} CPUs, Python {python}, {platform.platform()}")
            print(
                f"database: {url.split('://')[0]}; seeded {args.members} members in {seeded:.1f} s"
            )
            print(
                f"faults: 429 every {args.fault_429}, 502 every {args.fault_502}, "
                f"latency {args.latency * 1000:.0f} ms"
            )
            print(f"run-due wall time {wall:.1f} s (process start to exit)")
            print(
                f"sendMessage requests {calls} (refused {calls - delivered}), delivered {delivered}"
            )
            print(
                f"first to last request {duration:.1f} s: {delivered / duration:.2f} delivered/s, "
                f"{calls / duration:.2f} requests/s; slowest 30 s: {slowest(times, 30):.2f} "
                "requests/s"
            )
            print(f"busiest second: {tg.busiest_second('sendMessage')} requests")
            print(f"windows over 29 (start at each request): {crowded(times)}")
            if os.environ.get("BENCH_DUMP"):
                Path(os.environ["BENCH_DUMP"]).write_text("\n".join(f"{t:.6f}" for t in times))
            print(f"duplicates {duplicates}, losses {losses}")
            print(f"second run: {calls_after - calls} requests in {wall2:.1f} s")
            print("summary 1:", summary)
            print("summary 2:", summary2)


if __name__ == "__main__":
    asyncio.run(main())
