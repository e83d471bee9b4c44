"""Reminder delivery end to end: the real sweep, the real Telegram adapter (python-telegram-bot)
and the fake Bot API server, on SQLite and PostgreSQL, with a fixed clock.

What a branch would check: everyone gets exactly one reminder however often the sweep runs,
even with 429 (retry_after) and 502 answers in between; the secretary's reminder names who has
recorded nothing and which required meetings are missing; quiet hours and missed days are
respected; nobody is silently lost.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.telegram_api import FakeTelegram
from sqlalchemy import select, update
from support import wecom_settings

from bot.channels.telegram import TelegramChannel
from bot.domain.taxonomy import load_taxonomy
from bot.domain.workdays import WorkdayCalendar
from bot.messages import Address, Reply, Sender
from bot.reminders.config import ReminderConfig
from bot.reminders.pacing import Pacer
from bot.reminders.sweep import SWEEP_LOCK, SweepSummary, sweep
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.locks import try_lock
from storage.models import ReminderSend, ReminderStatus, Role
from storage.queries.members import add_member
from storage.queries.organizations import create_organization
from storage.queries.records import add_record

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)

TOKEN = "777001:REMINDER-test"
SHANGHAI = ZoneInfo("Asia/Shanghai")
JOINED = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
SECRETARY = 9000
FIRST_MEMBER = 9001
TAXONOMY = load_taxonomy()
CALENDAR = WorkdayCalendar()
#: Fast backoff so 502 retries take milliseconds; everything else as configured by default.
CONFIG = ReminderConfig(backoff_base=0.01, backoff_cap=0.05)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Shanghai wall-clock time as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


SEP23 = date(2026, 9, 23)  # 7 days before the Q3 deadline (30 September)


@dataclass
class Branch:
    """A seeded branch: its id, the secretary's and members' Telegram ids and member ids."""

    org_id: int
    secretary: int
    members: list[int]
    member_ids: dict[int, int] = field(default_factory=dict)

    @property
    def everyone(self) -> list[int]:
        return [self.secretary, *self.members]


async def seed(
    db: Database, members: int, tg: FakeTelegram | None = None, *, first: int = FIRST_MEMBER
) -> Branch:
    """A branch with a secretary (张书记, admin + secretary) and ``members`` members, each with a
    Telegram account (registered with the fake server when given); the secretary recorded a
    主题党日 and the first member a 党课 in the third quarter."""
    async with db.session() as session:
        org = await create_organization(session, "第一党支部", JOINED)
        branch = Branch(org.id, SECRETARY, list(range(first, first + members)))
        for uid in branch.everyone:
            roles = [Role.ADMIN, Role.SECRETARY] if uid == SECRETARY else [Role.MEMBER]
            name = "张书记" if uid == SECRETARY else f"党员{uid - first + 1:03d}"
            member = await add_member(
                session,
                name=name,
                channel="telegram",
                external_id=str(uid),
                chat_id=str(uid),
                organization_id=org.id,
                roles=roles,
                now=JOINED,
            )
            branch.member_ids[uid] = member.id
            if tg is not None:
                tg.add_user(uid, name)
        for uid, kind, category, day in (
            (SECRETARY, "主题党日", "组织建设", date(2026, 7, 5)),
            (first, "党课", "思想建设", date(2026, 8, 12)),
        ):
            if uid not in branch.member_ids:
                continue
            await add_record(
                session,
                organization_id=org.id,
                reporter_id=branch.member_ids[uid],
                activity_type=kind,
                category=category,
                occurred_on=day,
                count=1,
                unit="次",
                participants=20,
                title="",
                raw_text="",
                source_channel="telegram",
                created_at=JOINED,
                updated_at=JOINED,
            )
    return branch


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="djtest_bot") as fake:
        yield fake


@pytest.fixture
async def telegram_sender(
    tg: FakeTelegram, dispatcher: ConversationDispatcher
) -> AsyncIterator[TelegramChannel]:
    """A sending-only Telegram channel as ``djbot reminders run-due`` opens it."""
    settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, _env_file=None)
    channel = TelegramChannel(settings, dispatcher, commands=(), max_retry_after=0)
    await channel.open()
    try:
        yield channel
    finally:
        await channel.close()


async def run(
    db: Database,
    senders: dict[str, Sender],
    now: datetime,
    config: ReminderConfig = CONFIG,
    *,
    stop: asyncio.Event | None = None,
) -> SweepSummary:
    """One sweep at ``now`` with the shipped taxonomy and the installed calendar."""
    return await sweep(db, senders, now, config, taxonomy=TAXONOMY, calendar=CALENDAR, stop=stop)


def bodies(tg: FakeTelegram, uid: int) -> list[str]:
    return [m.body for m in tg.messages(uid)]


async def statuses(db: Database) -> dict[ReminderStatus, int]:
    async with db.session() as session:
        rows = await session.scalars(select(ReminderSend.status))
        out: dict[ReminderStatus, int] = {}
        for status in rows:
            out[status] = out.get(status, 0) + 1
        return out


# --- exactly once --------------------------------------------------------------------------


async def test_everyone_gets_exactly_one_reminder_despite_429_and_502(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 12, tg)
    tg.fail_next("sendMessage", 429, retry_after=1)
    tg.fail_next("sendMessage", 502, times=2)
    started = asyncio.get_running_loop().time()
    summary = await run(db, {"telegram": telegram_sender}, at(SEP23, 9))
    assert asyncio.get_running_loop().time() - started >= 1.0  # retry_after was waited out
    assert summary.sent == 13 and summary.failed == 0 and summary.queued == 13, summary.text()
    for uid in branch.everyone:
        assert len(tg.messages(uid)) == 1, uid
    # 13 delivered + 3 refused attempts that were retried
    assert len(tg.calls_of("sendMessage")) == 16

    # a second sweep at the same instant, and one later that day, send nothing
    again = await run(db, {"telegram": telegram_sender}, at(SEP23, 9))
    later = await run(db, {"telegram": telegram_sender}, at(SEP23, 15))
    assert (again.sent, again.queued, later.sent, later.queued) == (0, 0, 0, 0)
    assert len(tg.calls_of("sendMessage")) == 16
    assert await statuses(db) == {ReminderStatus.SENT: 13}


async def test_what_a_member_and_the_secretary_read(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 3, tg)
    await run(db, {"telegram": telegram_sender}, at(SEP23, 9))

    [with_record] = tg.messages(branch.members[0])
    assert "2026年第三季度党建工作总结将于9月30日（周三）截止，还有7天" in with_record.body
    assert "您已登记1条活动记录" in with_record.body and "8月12日 党课 1次 20人" in with_record.body
    assert "/remind off" in with_record.body and "/remind on" in with_record.body
    assert with_record.buttons == ["现在登记"]
    [without] = tg.messages(branch.members[1])
    assert "您还没有登记活动记录" in without.body

    [secretary] = tg.messages(branch.secretary)
    text = secretary.body
    assert "第一党支部2026年第三季度党建工作总结将于9月30日" in text
    assert "4名党员中有2人尚未登记：党员002、党员003" in text
    assert "截至目前，第三季度尚未召开支部党员大会" in text  # 一般每季度召开1次
    assert "7月未召开支委会" in text and "《中国共产党支部工作条例（试行）》" in text
    assert "/report" in text and secretary.buttons == ["现在登记"]


async def test_the_button_prompts_and_a_forged_one_is_refused(
    db: Database,
    tg: FakeTelegram,
    telegram_sender: TelegramChannel,
    dispatcher: ConversationDispatcher,
) -> None:
    branch = await seed(db, 2, tg)
    await run(db, {"telegram": telegram_sender}, at(SEP23, 9))
    member = branch.members[0]
    [reminder] = tg.messages(member)
    data = reminder.data_for("现在登记")
    settings = Settings(telegram_token=TOKEN, telegram_base_url=tg.base_url, _env_file=None)
    polling = TelegramChannel(settings, dispatcher, commands=(), poll_timeout=1.0)
    await polling.start()
    try:
        tg.push_callback(member, reminder.message_id, data)
        await tg.wait_until(lambda: len(tg.messages(member)) == 2, timeout=10)
        assert "请直接发送您开展的活动" in tg.messages(member)[-1].body
        # the other member presses a copy of it; then a forged token
        other = branch.members[1]
        tg.push_callback(other, tg.messages(other)[0].message_id, data, strict=False)
        await tg.wait_until(lambda: len(tg.messages(other)) == 2, timeout=10)
        assert "已失效" in tg.messages(other)[-1].body
        forged = data.rsplit(":", 1)[0] + ":00000000"
        tg.push_callback(member, reminder.message_id, forged, strict=False)
        await tg.wait_until(lambda: len(tg.messages(member)) == 3, timeout=10)
        assert "已失效" in tg.messages(member)[-1].body
    finally:
        await polling.stop()


async def test_two_sweeps_at_once_send_each_reminder_once(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 20, tg)
    tg.slow("sendMessage", 0.02)
    other = Database(db.url)  # a second process's connection pool
    try:
        first, second = await asyncio.gather(
            run(db, {"telegram": telegram_sender}, at(SEP23, 9)),
            run(other, {"telegram": telegram_sender}, at(SEP23, 9)),
        )
    finally:
        await other.dispose()
    assert first.sent + second.sent == 21
    for uid in branch.everyone:
        assert len(tg.messages(uid)) == 1, uid


# --- when -----------------------------------------------------------------------------------


async def test_quiet_hours_and_the_send_time_hold_reminders_back(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 2, tg)
    senders: dict[str, Sender] = {"telegram": telegram_sender}
    early = await run(db, senders, at(SEP23, 7, 30))  # quiet until 08:00
    before = await run(db, senders, at(SEP23, 8, 30))  # not yet 09:00
    assert early.quiet and before.before_send_time and not tg.calls_of("sendMessage")
    assert "免打扰" in early.text()
    # the bot was down at 09:00: the hourly catch-up at 14:00 sends the day's reminders
    catch_up = await run(db, senders, at(SEP23, 14))
    assert catch_up.sent == 3
    night = await run(db, senders, at(SEP23, 21, 30))
    assert night.quiet and night.sent == 0
    assert all(len(tg.messages(uid)) == 1 for uid in branch.everyone)


async def test_a_missed_day_is_dropped_with_a_log_line_and_the_next_is_sent(
    db: Database,
    tg: FakeTelegram,
    telegram_sender: TelegramChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    branch = await seed(db, 2, tg)
    # down all of 23 September; back on the 24th: the 7-day reminder is not sent late, the
    # 3-day one (27 September is a Sunday in the 中秋 holiday, so it moves to Thursday the 24th)
    # goes out
    with caplog.at_level(logging.WARNING, logger="bot.reminders.sweep"):
        summary = await run(db, {"telegram": telegram_sender}, at(date(2026, 9, 24), 10))
    # 3 deadline reminders, and the secretary's monthly nudge: 25 September is in the holiday
    assert summary.sent == 4 and summary.expired == 3
    dropped = [r.message for r in caplog.records if "错过的提醒不再补发" in r.message]
    assert len(dropped) == 1 and "2026-09-23" in dropped[0]
    member = tg.messages(branch.members[1])
    assert len(member) == 1 and "还有6天" in member[0].body
    assert sorted(m.body[:6] for m in tg.messages(SECRETARY)) == ["【报送提醒】", "【每月提示】"]
    # the drop is logged once, not on every hourly sweep
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.reminders.sweep"):
        await run(db, {"telegram": telegram_sender}, at(date(2026, 9, 24), 11))
    assert not [r for r in caplog.records if "错过的提醒" in r.message]


async def test_queued_but_unsent_reminders_expire_the_next_day(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    await seed(db, 2, tg)
    # the 23rd's sweep queued the rows but every send failed for the day (Telegram down)
    tg.fail_every("sendMessage", 1, 502)
    config = ReminderConfig(backoff_base=0.001, backoff_cap=0.001, max_tries=2)
    first = await run(db, {"telegram": telegram_sender}, at(SEP23, 9), config)
    assert first.retry_later == 3 and first.sent == 0
    tg.fail_every("sendMessage", 0)
    second = await run(db, {"telegram": telegram_sender}, at(SEP23, 10), config)
    assert second.sent == 3  # the hourly sweep retried them
    assert await statuses(db) == {ReminderStatus.SENT: 3}


# --- who ------------------------------------------------------------------------------------


async def test_switched_off_blocked_and_unreachable_members(
    db: Database,
    tg: FakeTelegram,
    telegram_sender: TelegramChannel,
    dispatcher: ConversationDispatcher,
) -> None:
    branch = await seed(db, 3, tg)
    quiet_one, blocked, wecom_only = branch.members
    from bot.channels.harness import Harness

    harness = Harness(dispatcher, str(quiet_one), channel="telegram", now=at(SEP23, 8))
    assert "已关闭报送提醒" in Harness.text(await harness.say("/remind off"))
    tg.block(blocked)
    async with db.session() as session:  # this member only has a WeCom account
        from storage.models import ChatIdentity

        await session.execute(
            update(ChatIdentity)
            .where(ChatIdentity.external_id == str(wecom_only))
            .values(channel="wecom", external_id="lisi", chat_id="lisi")
        )
    summary = await run(db, {"telegram": telegram_sender}, at(SEP23, 9))
    assert tg.messages(quiet_one) == [] and tg.messages(blocked) == []
    assert summary.sent == 1 and summary.failed == 2  # the secretary got hers
    assert "渠道 wecom 没有可用的发送通道" in summary.text()
    blocked_calls = [c for c in tg.calls_of("sendMessage") if c["chat_id"] == blocked]
    assert len(blocked_calls) == 1  # a permanent error is not retried
    # a later sweep retries nothing that failed permanently
    await run(db, {"telegram": telegram_sender}, at(SEP23, 10))
    assert len([c for c in tg.calls_of("sendMessage") if c["chat_id"] == blocked]) == 1
    assert await statuses(db) == {ReminderStatus.SENT: 1, ReminderStatus.FAILED: 2}


async def test_a_claim_left_by_a_dead_sweep_is_taken_over_after_the_lease(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    await seed(db, 1, tg)
    senders: dict[str, Sender] = {"telegram": telegram_sender}
    # a sweep queued and claimed everything at 09:00, then died before sending
    await run(db, senders, at(SEP23, 9), stop=_set())
    async with db.session() as session:
        await session.execute(
            update(ReminderSend).values(
                status=ReminderStatus.CLAIMED, claimed_at=at(SEP23, 9), claim_token="dead"
            )
        )
    held = await run(db, senders, at(SEP23, 9, 5))  # 5 minutes later: still leased
    assert held.sent == 0 and held.taken_elsewhere == 0 and not tg.calls_of("sendMessage")
    taken_over = await run(db, senders, at(SEP23, 9, 11))  # lease of 10 minutes ran out
    assert taken_over.sent == 2
    assert await statuses(db) == {ReminderStatus.SENT: 2}


def _set() -> asyncio.Event:
    event = asyncio.Event()
    event.set()
    return event


async def test_the_monthly_nudge_goes_to_the_secretary_of_a_branch_with_gaps(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 2, tg)
    nov25 = date(2026, 11, 25)
    async with db.session() as session:
        await add_record(
            session,
            organization_id=branch.org_id,
            reporter_id=branch.member_ids[SECRETARY],
            activity_type="主题党日",
            category="组织建设",
            occurred_on=date(2026, 11, 6),
            count=1,
            unit="次",
            created_at=JOINED,
            updated_at=JOINED,
        )
    summary = await run(db, {"telegram": telegram_sender}, at(nov25, 9))
    assert summary.sent == 1
    [nudge] = tg.messages(SECRETARY)
    assert "【每月提示】第一党支部2026年11月尚未登记：支委会、党小组会。" in nudge.body
    assert "主题党日" not in nudge.body.split("\n")[0]
    assert "本月还剩5天" in nudge.body and nudge.buttons == ["现在登记"]
    assert all(tg.messages(uid) == [] for uid in branch.members)


# --- pacing ---------------------------------------------------------------------------------


class VirtualTime:
    """Simulated time for the pacer: ``sleep`` parks the caller until the clock reaches its
    wake-up time; :meth:`run` advances the clock to the earliest sleeper whenever every task is
    parked, so concurrent waits overlap as they would in real time (and take no real time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, *coroutines: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task run until it parks
                await asyncio.sleep(0)
            if self._sleepers:
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        await asyncio.gather(*tasks)


async def test_the_pacer_keeps_telegram_limits() -> None:
    time = VirtualTime()
    pacer = Pacer(29, 1.0, 1.0, clock=time.clock, sleep=time.sleep)
    starts: list[tuple[float, str]] = []

    async def send(chat: str) -> None:
        await pacer.wait_turn(chat)
        starts.append((time.now, chat))

    # one message to each of 200 chats: 29 a second, evenly spaced, and no slower than that
    await time.run(*(send(f"c{i}") for i in range(200)))
    moments = sorted(t for t, _ in starts)
    assert max(sum(1 for u in moments if t <= u < t + 1.0) for t in moments) <= 29
    assert moments[-1] == pytest.approx(199 / 29, abs=0.01)
    # five messages to each of 40 chats: never two to one chat within a second
    starts.clear()
    await time.run(*(send(f"c{i % 40}") for i in range(200)))
    moments = sorted(t for t, _ in starts)
    assert max(sum(1 for u in moments if t <= u < t + 1.0) for t in moments) <= 29
    by_chat: dict[str, list[float]] = {}
    for t, chat in starts:
        by_chat.setdefault(chat, []).append(t)
    for chat_moments in by_chat.values():
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(chat_moments))
    # one chat's messages go out one per second
    starts.clear()
    await time.run(*(send("same") for _ in range(3)))
    assert [t - starts[0][0] for t, _ in starts] == pytest.approx([0.0, 1.0, 2.0])
    # a 429 holds everything for retry_after
    pacer.hold(3.0)
    before = time.now
    await time.run(send("other"))
    assert time.now - before == pytest.approx(3.0)


class RecordingSender:
    """A sender that records what it is asked to deliver."""

    def __init__(self) -> None:
        self.sent: list[tuple[Address, Reply]] = []

    async def send(self, address: Address, reply: Reply) -> None:
        self.sent.append((address, reply))


async def test_reminders_of_the_second_quarter_and_the_half_year_come_as_one(
    db: Database,
) -> None:
    await seed(db, 1)
    sender = RecordingSender()
    summary = await run(db, {"telegram": sender}, at(date(2026, 6, 23), 9))
    assert summary.sent == 2
    texts = {address.chat_id: reply.text for address, reply in sender.sent}
    assert "2026年第二季度和上半年党建工作总结将于6月30日（周二）截止" in texts[str(FIRST_MEMBER)]
    assert "2026年第二季度，您还没有登记活动记录（2026年上半年共0条）" in texts[str(FIRST_MEMBER)]


# --- several processes on PostgreSQL --------------------------------------------------------


async def test_a_sweep_skips_while_another_process_holds_the_lock(
    db: Database, tg: FakeTelegram, telegram_sender: TelegramChannel
) -> None:
    branch = await seed(db, 3, tg)
    other_process = Database(db.url)
    try:
        async with try_lock(other_process, SWEEP_LOCK) as taken:
            assert taken
            summary = await run(db, {"telegram": telegram_sender}, at(SEP23, 9))
            if db.engine.dialect.name == "postgresql":
                assert summary.locked_elsewhere and summary.sent == 0
                assert "本次跳过" in summary.text()
                assert not tg.calls_of("sendMessage") and await statuses(db) == {}
            else:  # one process per SQLite database: the lock is always granted
                assert not summary.locked_elsewhere and summary.sent == 4
    finally:
        await other_process.dispose()
    # once the other process lets go, the next sweep sends everything, once
    await run(db, {"telegram": telegram_sender}, at(SEP23, 10))
    for uid in branch.everyone:
        assert len(tg.messages(uid)) == 1, uid
    assert await statuses(db) == {ReminderStatus.SENT: 4}
    async with try_lock(db, SWEEP_LOCK) as free_again:
        assert free_again


# --- WeCom ----------------------------------------------------------------------------------


async def test_a_wecom_member_is_reminded_through_wecom(
    db: Database, dispatcher: ConversationDispatcher
) -> None:
    from fakes.wecom_api import FakeWeCom

    from bot.app import open_senders

    async with db.session() as session:
        org = await create_organization(session, "第二党支部", JOINED)
        await add_member(
            session,
            name="李四",
            channel="wecom",
            external_id="lisi",
            chat_id="lisi",
            organization_id=org.id,
            roles=[Role.MEMBER],
            now=JOINED,
        )
    async with FakeWeCom() as wecom:
        settings = wecom_settings(wecom)
        opened = await open_senders(settings, dispatcher)
        try:
            assert set(opened.senders) == {"wecom"}
            summary = await run(db, opened.senders, at(SEP23, 9))
        finally:
            await opened.close()
        assert summary.sent == 1 and summary.failed == 0, summary.text()
        [message] = wecom.texts("lisi")
        assert "9月30日" in message or "2026年第三季度" in message
    assert await statuses(db) == {ReminderStatus.SENT: 1}
