"""The reminder sweep. The database decides what is due and records every send.

One :func:`sweep` at instant ``now`` (aware; local date and time in the configured zone):

1. **Drop the old.** Rows of earlier days still unsent become ``expired``; reminders of the
   last :attr:`ReminderConfig.lookback_days` days that were never queued (the bot was down) are
   written as ``expired`` too. Each group is logged once, with its count: missed reminders of
   an earlier day are not sent late.
2. **Queue today's.** After the send time (default 09:00) and outside quiet hours (default
   21:00-08:00), every reminder of each organization's plan for today gets a ``pending`` row per
   recipient (``INSERT ... ON CONFLICT DO NOTHING`` on the key member, organization, kind,
   deadline, offset). Missed reminders of *today* are therefore sent by any later sweep of the
   same day (the scheduler sweeps hourly).
3. **Claim, send, record.** Workers take rows one by one with an atomic ``UPDATE`` (pending, or
   claimed longer than the lease ago), build the message from the current records, send it
   through the member's channel (a :class:`~bot.messages.Sender` per channel name), and mark
   the row ``sent``, ``failed`` (permanent error, no chat account, no sender for the channel,
   :attr:`ReminderConfig.max_attempts` reached) or ``pending`` again (transient failures after
   :attr:`ReminderConfig.max_tries` tries: the next sweep retries).

Guarantees:

* Nobody gets a reminder twice from two sweeps or two processes: a row is sent only by the sweep
  whose claim changed it, and a sent row is never claimed again.
* Nobody is lost when a sweep is killed (SIGKILL, power loss): its claimed rows become claimable
  again once the lease (default 10 minutes, longer than any retry chain) has run out, and the
  hourly sweep sends them. Only the messages in flight at the kill (at most
  :attr:`ReminderConfig.concurrency`) may arrive twice: Telegram offers no idempotency key, so a
  message delivered just before the kill and not yet marked ``sent`` is sent again.

Pacing (:class:`Pacer`, one per channel): Telegram allows about 30 messages per second overall
and one per second per chat (https://core.telegram.org/bots/faq, "My bot is hitting limits, how
do I avoid this?"); the Telegram pacer (:func:`telegram_pacer`) spaces messages evenly at 28.5
a second, never more than 29 in any sliding second, and one per chat per second. A 429 answer
(``SendError.retry_after``) pauses the whole channel for that long and the message is retried;
5xx and network errors are retried with exponential backoff (1, 2, 4, 8 s, capped at 30 s).
Other channels bring their own pacing through ``pacers`` (WeCom: see its adapter);
:func:`default_pacer` applies otherwise."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time as monotonic_time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadlines import (
    apply_overrides,
)
from bot.domain.gaps import find_gaps
from bot.domain.periods import Period, parse_period
from bot.domain.taxonomy import Taxonomy
from bot.domain.workdays import WorkdayCalendar
from bot.messages import Address, GroupSender, Reply, Sender, SendError
from bot.reminders import texts
from bot.reminders.config import ReminderConfig
from bot.reminders.pacing import Pacer, Sleep, default_pacer, default_pacers
from bot.reminders.plan import DueReminder, due_between
from storage.database import Database
from storage.locks import try_lock
from storage.models import (
    GroupReminderSend,
    Member,
    Organization,
    OrganizationKind,
    ReminderKind,
    ReminderSend,
    ReminderStatus,
)
from storage.queries.deadlines import deadline_settings
from storage.queries.members import chat_identities
from storage.queries.organizations import organization_tree_ids, organizations_with_members
from storage.queries.reminders import (
    LEADING_ROLES,
    SendKey,
    SendLog,
    claim,
    expire_before,
    finish,
    insert_rows,
    leading_member_ids,
    members_with_row,
    members_without_records,
    queue_group_reminder,
    recipients,
    record_count,
    records_of,
    sendable_ids,
    silent_wecom_userids,
)
from storage.queries.reporting import monthly_counts

log = logging.getLogger(__name__)

#: The advisory lock name that keeps reminder sweeps of several processes apart.
SWEEP_LOCK = "djbot:reminder-sweep"

Clock = Callable[[], datetime]


@dataclass(slots=True)
class SweepSummary:
    """What one sweep did. Counts are reminders (one per member and reminder)."""

    now: datetime
    today: date
    tz: ZoneInfo
    queued: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retry_later: int = 0
    group_sent: int = 0
    expired: int = 0
    taken_elsewhere: int = 0
    quiet: bool = False
    before_send_time: bool = False
    stopped: bool = False
    locked_elsewhere: bool = False
    warnings: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def text(self) -> str:
        """A Chinese summary for the command line and the log."""
        local = self.now.astimezone(self.tz)
        head = f"{local:%Y-%m-%d %H:%M}（{self.tz.key}）提醒检查："
        if self.quiet:
            head += "当前为免打扰时段，未发送。"
        elif self.before_send_time:
            head += "未到今天的发送时间，未发送。"
        counts = (
            f"新排队{self.queued}条，发送{self.sent}条，失败{self.failed}条，"
            f"跳过{self.skipped}条，稍后重试{self.retry_later}条，过期未发{self.expired}条。"
        )
        if self.locked_elsewhere:
            return head + "另一个进程正在检查提醒，本次跳过（不会重复发送）。"
        lines = [head + counts]
        if self.group_sent:
            lines.append(f"另向党支部群发送群机器人提醒{self.group_sent}条。")
        if self.taken_elsewhere:
            lines.append(f"另有{self.taken_elsewhere}条正由其他进程发送。")
        if self.stopped:
            lines.append("发送中途停止，剩余提醒留待下次检查。")
        lines += [f"失败原因：{reason}（{n}条）" for reason, n in self.failures.most_common(5)]
        lines += [f"警告：{w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass(slots=True)
class _Prepared:
    address: Address | None = None
    reply: Reply | None = None
    attempts: int = 0
    skip: str | None = None
    fail: str | None = None


@dataclass(slots=True)
class _OrgCache:
    org: Organization
    tree: list[int]
    leading: set[int]
    branches: list[Organization]


class Sweep:
    """One sweep (see the module docstring); use :func:`sweep`."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        now: datetime,
        config: ReminderConfig,
        *,
        taxonomy: Taxonomy,
        calendar: WorkdayCalendar,
        pacers: dict[str, Pacer] | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        stop: asyncio.Event | None = None,
        group_sender: GroupSender | None = None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.db = db
        self.senders = senders
        self.group_sender = group_sender
        self.now = now.astimezone(UTC)
        self.config = config
        self.taxonomy = taxonomy
        self.calendar = calendar
        self.pacers = pacers if pacers is not None else default_pacers()
        started = monotonic_time.monotonic()
        self.clock: Clock = clock or (
            lambda: self.now + timedelta(seconds=monotonic_time.monotonic() - started)
        )
        self.sleep = sleep
        self.stop = stop or asyncio.Event()
        self.local = self.now.astimezone(config.tz)
        self.today = self.local.date()
        self.summary = SweepSummary(self.now, self.today, config.tz)
        self._orgs: dict[int, _OrgCache] = {}
        self._secretary: dict[
            tuple[int, str, date, int], tuple[int, int, list[str], list[str]]
        ] = {}
        self._halted: set[str] = set()

    # --- 1 and 2: drop the old, queue today's --------------------------------------------------

    async def run(self) -> SweepSummary:
        """Run the sweep; returns its summary. Never raises for a failed send."""
        await self._expire_old()
        config = self.config
        if config.quiet.contains(self.local.time()):
            self.summary.quiet = True
            return self.summary
        if self.local.time() < config.send_time:
            self.summary.before_send_time = True
            return self.summary
        await self._queue_today()
        await self._deliver()
        return self.summary

    async def _expire_old(self) -> None:
        async with self.db.session() as session:
            stale = await expire_before(session, self.today, self.now)
            stale += await expire_before(session, self.today, self.now, log=GroupReminderSend)
        groups = Counter((r.organization_id, r.kind, r.deadline, r.remind_on) for r in stale)
        for (org_id, kind, deadline, remind_on), n in groups.items():
            log.warning(
                "丢弃%d条过期未发的提醒（组织%d，%s，截止%s，提醒日%s）",
                n,
                org_id,
                kind,
                deadline,
                remind_on,
            )
        self.summary.expired += len(stale)

    async def _queue_today(self) -> None:
        first = self.today - timedelta(days=self.config.lookback_days)
        async with self.db.session() as session:
            organizations = await organizations_with_members(session)
            overrides = await deadline_settings(session)
            unknown = set()
            for org in organizations:
                rules = apply_overrides(self.config.rules, overrides.get(org.id))
                nudge = self.config.nudge_day if org.kind is OrganizationKind.BRANCH else 0
                for due in due_between(first, self.today, rules, self.calendar, nudge_day=nudge):
                    if due.estimated:
                        unknown.update({due.remind_on.year, due.deadline.year})
                    if due.remind_on == self.today:
                        await self._queue(session, org, due)
                    else:
                        await self._drop_missed(session, org, due)
        self.summary.warnings += [
            self.calendar.fallback_warning(y) for y in self.calendar.unknown_years(unknown)
        ]

    @staticmethod
    def _key(due: DueReminder) -> SendKey:
        kind = ReminderKind.MONTHLY if due.kind == "monthly" else ReminderKind.DEADLINE
        return SendKey(kind, due.deadline, due.offset_days, due.remind_on, due.period_keys)

    async def _queue(self, session: AsyncSession, org: Organization, due: DueReminder) -> None:
        key = self._key(due)
        if due.kind == "monthly":
            if not await self._monthly_gaps(session, org, due.main_period):
                return
            wanted = await recipients(session, org.id, roles=LEADING_ROLES)
        else:
            wanted = await recipients(session, org.id)
        have = await members_with_row(session, org.id, key)
        new = [m for m in wanted if m not in have]
        tokens = [secrets.token_hex(4) for _ in new]
        self.summary.queued += await insert_rows(
            session, org.id, key, new, ReminderStatus.PENDING, self.now, button_tokens=tokens
        )
        if due.kind == "deadline" and org.wecom_webhook_url and self.group_sender is not None:
            self.summary.queued += await queue_group_reminder(session, org.id, key, self.now)

    async def _drop_missed(
        self, session: AsyncSession, org: Organization, due: DueReminder
    ) -> None:
        key = self._key(due)
        day_end = datetime.combine(due.remind_on + timedelta(days=1), time(0), self.config.tz)
        roles = LEADING_ROLES if due.kind == "monthly" else None
        wanted = await recipients(session, org.id, roles=roles, joined_before=day_end)
        have = await members_with_row(session, org.id, key)
        new = [m for m in wanted if m not in have]
        dropped = await insert_rows(
            session,
            org.id,
            key,
            new,
            ReminderStatus.EXPIRED,
            self.now,
            error="提醒日机器人未运行，未补发",
        )
        if dropped:
            log.warning(
                "错过的提醒不再补发：%s %s（截止%s，提前%d天）原定%s发送，%d人",
                org.name,
                due.period_keys,
                due.deadline,
                due.offset_days,
                due.remind_on,
                dropped,
            )
            self.summary.expired += dropped

    async def _monthly_gaps(
        self, session: AsyncSession, org: Organization, month: Period
    ) -> list[Any]:
        counts = await monthly_counts(session, [org.id], month.start, month.end)
        gaps = find_gaps(month, self.today, counts, self.taxonomy)
        monthly = {
            t.name for t in self.taxonomy.types if t.frequency and t.frequency.per == "month"
        }
        return [g for g in gaps if g.activity_type in monthly]

    # --- 3: claim, send, record ----------------------------------------------------------------

    async def _deliver(self) -> None:
        stale_before = self.now - self.config.lease
        async with self.db.session() as session:
            ids = await sendable_ids(session, self.today, stale_before)
            group_ids = await sendable_ids(session, self.today, stale_before, log=GroupReminderSend)
        for group_id in group_ids:
            if self._should_stop():
                break
            try:
                await self._one_group(group_id)
            except Exception:  # a bug or the database: the members' reminders still go out
                log.exception("群机器人提醒 %d 处理出错", group_id)
        if not ids:
            return
        work: asyncio.Queue[int] = asyncio.Queue()
        for send_id in ids:
            work.put_nowait(send_id)

        async def worker() -> None:
            while not work.empty():
                if self._should_stop():
                    return
                send_id = work.get_nowait()
                try:
                    await self._one(send_id)
                except Exception:  # a bug or the database: keep the other workers going
                    log.exception("提醒 %d 处理出错", send_id)

        workers = [asyncio.create_task(worker()) for _ in range(max(1, self.config.concurrency))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()

    def _should_stop(self) -> bool:
        if self.stop.is_set():
            self.summary.stopped = True
            return True
        local = self.clock().astimezone(self.config.tz)
        if local.date() != self.today or self.config.quiet.contains(local.time()):
            self.summary.stopped = True
            return True
        return False

    async def _one(self, send_id: int) -> None:
        token = secrets.token_hex(8)
        now = self.clock()
        async with self.db.session() as session:
            won = await claim(session, send_id, token, self.today, now, now - self.config.lease)
        if not won:
            self.summary.taken_elsewhere += 1
            return
        try:
            async with self.db.session() as session:
                prepared = await self._prepare(session, send_id)
        except Exception as exc:
            log.exception("生成提醒 %d 的内容出错", send_id)
            await self._finish(send_id, token, ReminderStatus.PENDING, error=f"生成内容出错：{exc}")
            self.summary.retry_later += 1
            return
        if prepared.skip is not None:
            await self._finish(send_id, token, ReminderStatus.SKIPPED, error=prepared.skip)
            self.summary.skipped += 1
            return
        if prepared.fail is not None or prepared.address is None or prepared.reply is None:
            reason = prepared.fail or "无法生成提醒"
            await self._finish(send_id, token, ReminderStatus.FAILED, error=reason)
            self._failed(reason, send_id)
            return
        address = prepared.address
        sender = self.senders.get(address.channel)
        if sender is None:
            reason = f"渠道 {address.channel} 没有可用的发送通道"
            await self._finish(send_id, token, ReminderStatus.FAILED, error=reason, address=address)
            self._failed(reason, send_id)
            return
        await self._send(send_id, token, sender, address, prepared)

    async def _one_group(self, send_id: int) -> None:
        """Claim, write and post one group-robot reminder (a branch's WeCom group)."""
        if self.group_sender is None:
            return  # queued by a process that had one: this one leaves it to the others
        token = secrets.token_hex(8)
        now = self.clock()
        async with self.db.session() as session:
            won = await claim(
                session,
                send_id,
                token,
                self.today,
                now,
                now - self.config.lease,
                log=GroupReminderSend,
            )
        if not won:
            self.summary.taken_elsewhere += 1
            return
        async with self.db.session() as session:
            row = await session.get(GroupReminderSend, send_id)
            assert row is not None
            cache = await self._org(session, row.organization_id)
            url = cache.org.wecom_webhook_url
            due = self._due(row)
            main = due.main_period
            members, silent = await members_without_records(
                session, cache.tree, main.start, main.end
            )
            mention = await silent_wecom_userids(session, cache.tree, main.start, main.end)
        if not url:
            await self._finish(
                send_id,
                token,
                ReminderStatus.SKIPPED,
                error="群机器人已取消",
                log=GroupReminderSend,
            )
            self.summary.skipped += 1
            return
        text = texts.group_reminder(due, self.today, cache.org.name, members=members, silent=silent)
        try:
            await self.group_sender.post(url, text, mention)
        except SendError as error:
            status = ReminderStatus.FAILED if error.permanent else ReminderStatus.PENDING
            await self._finish(
                send_id, token, status, tries=1, error=str(error), log=GroupReminderSend
            )
            if error.permanent:
                self._failed(f"群机器人：{_reason(str(error))}", send_id)
            else:
                self.summary.retry_later += 1
            return
        await self._finish(send_id, token, ReminderStatus.SENT, tries=1, log=GroupReminderSend)
        self.summary.group_sent += 1

    def _failed(self, reason: str, send_id: int) -> None:
        log.warning("提醒 %d 发送失败：%s", send_id, reason)
        self.summary.failed += 1
        self.summary.failures[reason] += 1

    def _pacer(self, channel: str) -> Pacer:
        if channel not in self.pacers:
            self.pacers[channel] = default_pacer()
        return self.pacers[channel]

    async def _send(
        self, send_id: int, token: str, sender: Sender, address: Address, prepared: _Prepared
    ) -> None:
        assert prepared.reply is not None
        pacer = self._pacer(address.channel)
        tries = 0
        last_error = ""
        while True:
            if address.channel in self._halted or self.stop.is_set():
                await self._finish(
                    send_id, token, ReminderStatus.PENDING, tries=tries, error=last_error or None
                )
                self.summary.retry_later += 1
                return
            await pacer.wait_turn(address.chat_id)
            tries += 1
            try:
                await sender.send(address, prepared.reply)
            except SendError as error:
                last_error = str(error) or type(error).__name__
                if error.permanent:
                    await self._finish(
                        send_id,
                        token,
                        ReminderStatus.FAILED,
                        tries=tries,
                        error=last_error,
                        address=address,
                    )
                    self._failed(_reason(last_error), send_id)
                    return
                if error.retry_after is not None:
                    wait = max(error.retry_after, 0.0)
                    pacer.hold(wait, address.chat_id)
                    log.warning("%s 限流，暂停 %.1f 秒", address.channel, wait)
                    if wait > self.config.max_wait:
                        self._halted.add(address.channel)
                    delay = 0.0
                else:
                    delay = min(
                        self.config.backoff_cap, self.config.backoff_base * 2 ** (tries - 1)
                    )
            except Exception as error:  # an adapter bug or an unexpected network error
                last_error = f"{type(error).__name__}: {error}"
                log.warning("提醒 %d 发送出错（将重试）：%s", send_id, last_error)
                delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (tries - 1))
            else:
                if not await self._finish(
                    send_id, token, ReminderStatus.SENT, tries=tries, address=address
                ):
                    log.warning("提醒 %d 已发送，但其认领已被其他进程接管（可能重复）", send_id)
                self.summary.sent += 1
                return
            if tries >= self.config.max_tries:
                if prepared.attempts + tries >= self.config.max_attempts:
                    reason = f"多次重试仍失败：{last_error}"
                    await self._finish(
                        send_id,
                        token,
                        ReminderStatus.FAILED,
                        tries=tries,
                        error=reason,
                        address=address,
                    )
                    self._failed(_reason(last_error), send_id)
                else:
                    await self._finish(
                        send_id, token, ReminderStatus.PENDING, tries=tries, error=last_error
                    )
                    self.summary.retry_later += 1
                return
            if delay > 0:
                await self.sleep(delay)

    async def _finish(
        self,
        send_id: int,
        token: str,
        status: ReminderStatus,
        *,
        tries: int = 0,
        error: str | None = None,
        address: Address | None = None,
        log: SendLog = ReminderSend,
    ) -> bool:
        async with self.db.session() as session:
            return await finish(
                session,
                send_id,
                token,
                status,
                self.clock(),
                tries=tries,
                error=error,
                channel=address.channel if address else None,
                chat_id=address.chat_id if address else None,
                log=log,
            )

    # --- what to send --------------------------------------------------------------------------

    async def _org(self, session: AsyncSession, org_id: int) -> _OrgCache:
        cached = self._orgs.get(org_id)
        if cached is None:
            org = await session.get(Organization, org_id)
            assert org is not None
            tree = await organization_tree_ids(session, org_id)
            branches = [
                o
                for o in [await session.get(Organization, i) for i in tree]
                if o is not None and o.kind is OrganizationKind.BRANCH
            ]
            cached = _OrgCache(org, tree, await leading_member_ids(session, org_id), branches)
            self._orgs[org_id] = cached
        return cached

    def _due(self, row: ReminderSend | GroupReminderSend) -> DueReminder:
        periods = tuple(parse_period(key, self.today) for key in row.periods.split(",") if key)
        if not periods:
            periods = (parse_period("", row.deadline),)
        return DueReminder(
            kind="monthly" if row.kind is ReminderKind.MONTHLY else "deadline",
            deadline=row.deadline,
            offset_days=row.offset_days,
            remind_on=row.remind_on,
            periods=periods,
            estimated=False,
        )

    async def _prepare(self, session: AsyncSession, send_id: int) -> _Prepared:
        row = await session.get(ReminderSend, send_id)
        if row is None:
            return _Prepared(fail="提醒记录已删除")
        prepared = _Prepared(attempts=row.attempts)
        member = await session.get(Member, row.member_id)
        if member is None:
            prepared.fail = "党员已删除"
            return prepared
        if not member.reminders_enabled:
            prepared.skip = "党员已关闭提醒（/remind off）"
            return prepared
        identities = await chat_identities(session, member.id)
        if not identities:
            prepared.fail = "没有聊天账号"
            return prepared
        usable = [i for i in identities if i.channel in self.senders] or identities
        identity = usable[0]
        prepared.address = Address(identity.channel, identity.chat_id, identity.external_id)
        cache = await self._org(session, row.organization_id)
        due = self._due(row)
        button = texts.record_now_choice(row.id, row.button_token)
        if due.kind == "monthly":
            gaps = await self._monthly_gaps(session, cache.org, due.main_period)
            if not gaps:
                prepared.skip = "本月缺项已补登，无需提示"
                return prepared
            prepared.reply = texts.monthly_nudge(due, self.today, cache.org.name, gaps, button)
        elif member.id in cache.leading:
            records, members, silent, gaps = await self._secretary_facts(session, cache, due)
            prepared.reply = texts.secretary_reminder(
                due,
                self.today,
                cache.org.name,
                button,
                records=records,
                members=members,
                silent=silent,
                gaps=gaps,
            )
        else:
            main, summary = due.main_period, due.summary_period
            records_main = await records_of(session, member.id, cache.tree, main.start, main.end)
            summary_count = None
            if summary != main:
                summary_count = len(
                    await records_of(session, member.id, cache.tree, summary.start, summary.end)
                )
            prepared.reply = texts.member_reminder(
                due, self.today, records_main, button, summary_count=summary_count
            )
        return prepared

    async def _secretary_facts(
        self, session: AsyncSession, cache: _OrgCache, due: DueReminder
    ) -> tuple[int, int, list[str], list[str]]:
        key = (cache.org.id, due.period_keys, due.deadline, due.offset_days)
        if key not in self._secretary:
            main, summary = due.main_period, due.summary_period
            records = await record_count(session, cache.tree, main.start, main.end)
            members, silent = await members_without_records(
                session, cache.tree, main.start, main.end
            )
            lines: list[str] = []
            for branch in cache.branches:
                counts = await monthly_counts(session, [branch.id], summary.start, summary.end)
                label = branch.name if branch.id != cache.org.id else None
                lines += [
                    texts.gap_line(g, label)
                    for g in find_gaps(summary, self.today, counts, self.taxonomy)
                ]
            self._secretary[key] = (records, members, silent, lines)
        return self._secretary[key]


def _reason(error: str) -> str:
    """A failure reason short enough to group in the summary."""
    return error.split("\n", 1)[0][:80]


async def sweep(
    db: Database,
    senders: Mapping[str, Sender],
    now: datetime,
    config: ReminderConfig,
    *,
    taxonomy: Taxonomy,
    calendar: WorkdayCalendar,
    pacers: dict[str, Pacer] | None = None,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    stop: asyncio.Event | None = None,
    group_sender: GroupSender | None = None,
) -> SweepSummary:
    """Send the reminders due at ``now`` (aware), exactly once per member and reminder; see the
    module docstring. Safe to run again, at the same instant or concurrently (in this or
    another process): nothing already sent or being sent is sent again.

    Args:
        db: the database (the send log lives there).
        senders: channel name -> sender; a member whose channel has none is marked failed.
        now: the sweep's instant; what is due is decided from its local date and time.
        config: plan and delivery settings.
        taxonomy: for the gap checks.
        calendar: working days.
        pacers: channel name -> pacer (shared across sweeps of one process); default: one
            Telegram pacer for this sweep.
        clock: the current instant while sending (claims, the lease); default ``now`` plus the
            elapsed monotonic time, so ``run-due --now`` stays consistent.
        sleep: the backoff sleep (tests pass a fast one).
        stop: when set, workers stop taking new rows (the scheduler's shutdown).
        group_sender: posts a deadline reminder into each branch group whose WeCom group
            robot is set (``Organization.wecom_webhook_url``; once per group and reminder,
            @-mentioning the members who have recorded nothing); ``None``: no group posts.

    On PostgreSQL one sweep runs at a time across all processes (an advisory lock named
    :data:`SWEEP_LOCK`); a sweep that finds the lock taken returns at once with
    ``locked_elsewhere`` set. The send log still prevents duplicates if two run anyway.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("sweep instant must be timezone-aware")
    async with try_lock(db, SWEEP_LOCK) as taken:
        if not taken:
            log.info("another process holds the reminder sweep lock; skipping this sweep")
            local = now.astimezone(config.tz)
            return SweepSummary(now, local.date(), config.tz, locked_elsewhere=True)
        return await Sweep(
            db,
            senders,
            now,
            config,
            taxonomy=taxonomy,
            calendar=calendar,
            pacers=pacers,
            clock=clock,
            sleep=sleep,
            stop=stop,
            group_sender=group_sender,
        ).run()
