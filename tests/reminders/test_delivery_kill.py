"""A reminder sweep killed with SIGKILL loses nobody: ``djbot reminders run-due`` runs as a real
process against the fake Bot API server (in this test process, on 127.0.0.1) and the test
database, is killed mid-way, and is run again.

What may repeat (documented in ``bot.reminders.sweep``): only messages in flight at the kill, that
Telegram delivered but the dead process could not mark as sent; at most the sweep's
concurrency.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from fakes.telegram_api import FakeTelegram
from sqlalchemy import select
from support import REPO
from test_delivery import seed

from storage.database import Database
from storage.models import ReminderSend, ReminderStatus

TOKEN = "777002:REMINDER-kill"
MEMBERS = 59
CONCURRENCY = 4


async def djbot(
    tg: FakeTelegram, db: Database, tmp_path: Path, *args: str
) -> asyncio.subprocess.Process:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")} | {
        "DJBOT_DATABASE_URL": db.url,
        "DJBOT_AUTO_MIGRATE": "false",
        "DJBOT_TELEGRAM_TOKEN": TOKEN,
        "DJBOT_TELEGRAM_BASE_URL": tg.base_url,
        "DJBOT_REMINDER_CONCURRENCY": str(CONCURRENCY),
        "PYTHONPATH": str(REPO),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finished(process: asyncio.subprocess.Process) -> str:
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode()


def delivered(tg: FakeTelegram) -> Counter[int]:
    return Counter({chat: len(messages) for chat, messages in tg.sent.items() if messages})


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_a_killed_sweep_run_again_loses_nobody(db: Database, tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        branch = await seed(db, MEMBERS, tg)
        everyone = set(branch.everyone)
        tg.slow("sendMessage", 0.1)  # so the kill lands mid-sweep, with messages in flight
        tg.fail_next("sendMessage", 502)
        now = "2026-09-23T09:00:00+08:00"

        first = await djbot(tg, db, tmp_path, "reminders", "run-due", "--now", now)
        await tg.wait_until(lambda: sum(delivered(tg).values()) >= 15, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        await asyncio.sleep(0.3)  # requests the dead process had in flight complete
        before = delivered(tg)
        assert 15 <= sum(before.values()) < len(everyone)
        async with db.session() as session:
            claimed = list(
                await session.scalars(
                    select(ReminderSend.member_id).where(
                        ReminderSend.status == ReminderStatus.CLAIMED
                    )
                )
            )
        assert len(claimed) <= CONCURRENCY  # the messages in flight at the kill

        # run again at the same instant: everyone not in flight gets theirs now
        tg.slow("sendMessage", 0)
        out = await finished(await djbot(tg, db, tmp_path, "reminders", "run-due", "--now", now))
        assert "发送" in out
        # and once the lease of the dead sweep has run out (10 minutes), the rest
        later = "2026-09-23T09:11:00+08:00"
        await finished(await djbot(tg, db, tmp_path, "reminders", "run-due", "--now", later))

        counts = delivered(tg)
        assert set(counts) == everyone  # nobody lost
        repeats = {chat: n for chat, n in counts.items() if n > 1}
        assert all(n == 2 for n in repeats.values())
        assert len(repeats) <= CONCURRENCY  # only in-flight messages may repeat
        print(f"killed after {sum(before.values())}, in flight {len(claimed)}, repeats {repeats}")
        async with db.session() as session:
            rows = list(await session.scalars(select(ReminderSend.status)))
        assert Counter(rows) == {ReminderStatus.SENT: len(everyone)}

        # a further sweep sends nothing
        calls = len(tg.calls_of("sendMessage"))
        again = await finished(
            await djbot(tg, db, tmp_path, "reminders", "run-due", "--now", later)
        )
        assert "发送0条" in again and len(tg.calls_of("sendMessage")) == calls
