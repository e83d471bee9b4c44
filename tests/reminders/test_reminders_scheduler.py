"""The scheduler inside ``djbot run``: which jobs it sets, the catch-up sweep at start-up, the
calendar warning at start-up, and ``build_services`` adding it next to the Telegram channel."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fakes.telegram_api import FakeTelegram
from test_delivery import SECRETARY, SEP23, at, seed

from bot.app import build_services, open_app, open_senders
from bot.domain.taxonomy import load_taxonomy
from bot.reminders.config import ReminderConfig
from bot.reminders.service import ReminderService
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database

TOKEN = "777003:REMINDER-scheduler"

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


async def test_the_service_sweeps_at_start_up_and_schedules_daily_and_hourly(
    db: Database, dispatcher: ConversationDispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        branch = await seed(db, 3, tg)
        settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, _env_file=None)
        # the process (re)starts at 14:00 on a reminder day: the start-up sweep catches up
        service = ReminderService(
            ReminderConfig.from_settings(settings),
            db,
            load_taxonomy(),
            open_senders=lambda: open_senders(settings, dispatcher),
            clock=lambda: at(SEP23, 14),
            startup_delay=0.05,
        )
        with caplog.at_level(logging.INFO, logger="bot.reminders.service"):
            await service.start()
        try:
            jobs = {job.id: str(job.trigger) for job in service._scheduler.get_jobs()}
            assert "hour='9', minute='0'" in jobs["reminders-daily"]
            daily = service._scheduler.get_job("reminders-daily").trigger
            assert str(daily.timezone) == "Asia/Shanghai"
            assert "interval[1:00:00]" in jobs["reminders-hourly"]
            assert "reminders-startup" in jobs
            for _ in range(150):  # the start-up sweep finishes (its summary is kept)
                if service.last is not None:
                    break
                await asyncio.sleep(0.1)
            assert service.last is not None and service.last.sent == 4
            assert "每天 09:00 及每小时检查一次" in caplog.text
            # a second sweep by hand (another hourly run) sends nothing more
            summary = await service.run_sweep()
            assert summary is not None and summary.sent == 0
        finally:
            await service.stop()
            await service.stop()  # idempotent
        assert all(len(tg.messages(uid)) == 1 for uid in branch.everyone)
        assert "还有7天" in tg.messages(SECRETARY)[0].body


async def test_start_up_warns_about_a_year_the_calendar_does_not_know(
    db: Database, dispatcher: ConversationDispatcher
) -> None:
    if dispatcher.calendar.knows(2027):  # pragma: no cover - a newer chinesecalendar
        pytest.skip("the installed chinesecalendar already knows 2027")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    service = ReminderService(
        ReminderConfig.from_settings(settings),
        db,
        load_taxonomy(),
        open_senders=lambda: open_senders(settings, dispatcher),
    )
    november = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    [warning] = service.calendar_warnings(november)
    assert "2027年" in warning and "周一至周五" in warning
    assert service.calendar_warnings(datetime(2026, 6, 1, tzinfo=UTC)) == []
    assert date(2026, 11, 21) == november.date()


async def test_djbot_run_adds_the_scheduler_with_a_chat_channel(tmp_path: Path) -> None:
    base = Settings(
        database_url=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        deadlines="quarter=+5",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await open_app(base)
    try:
        assert [s.name for s in build_services(base, app)] == []  # console only: no reminders
        with_telegram = base.model_copy(update={"telegram_token": TOKEN})
        names = [s.name for s in build_services(with_telegram, app)]
        assert names == ["telegram", "reminders"]
        assert app.dispatcher.reminder_defaults.rules.shifts == {"quarter": 5}
        off = with_telegram.model_copy(update={"reminders_enabled": False})
        assert [s.name for s in build_services(off, app)] == ["telegram"]
    finally:
        await app.close()
