"""The one webhook intake both webhooks use: Telegram's ``setWebhook`` POSTs and WeCom's
encrypted callbacks.

A channel's request handler checks what only it can check (a secret header, a signature), then
hands the rest to its :class:`Inbox`:

1. :meth:`Inbox.read_body`: the body, read in chunks and refused (413) as soon as it passes the
   channel's cap, so a huge or endless body never sits in memory;
2. :meth:`Inbox.check_room`: refused (503: the sender retries later, perhaps at another process)
   while stopping or with ``max_pending`` deliveries waiting;
3. :meth:`Inbox.claim`: the delivery's keys (an update id; a nonce and a message id) claimed in
   ``inbound_receipts`` in one transaction, atomic across processes, so a retried or replayed
   delivery is recognised and not handled again (503 when the database fails);
4. :meth:`Inbox.submit`: the work queued behind the same chat's (or user's) earlier work, in
   arrival order, at most ``max_concurrency`` chats at once; the request is answered at once.

:meth:`Inbox.close` stops accepting, waits up to ``stop_timeout`` seconds for the work in flight,
then cancels (and logs) the rest. While open, receipts older than ``receipt_ttl`` are deleted
every ``prune_every`` seconds: they only need to outlive the sender's retry window.

Refusals are answered with the status and a short Chinese reason, and logged at warning level;
nothing is stored or processed for a refused request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from storage.database import Database
from storage.queries.receipts import claim_receipt, delete_receipts_before

log = logging.getLogger(__name__)


class Refused(Exception):
    """A webhook request refused with an HTTP ``status`` and a Chinese ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def prune_receipts(db: Database, channel: str, ttl: timedelta, every: float = 600.0) -> None:
    """Forever (until cancelled): every ``every`` seconds delete ``channel``'s inbound receipts
    older than ``ttl``. Failures are logged and retried next round."""
    while True:
        try:
            before = datetime.now(UTC) - ttl
            async with db.session() as session:
                deleted = await delete_receipts_before(session, channel, before)
            if deleted:
                log.debug("deleted %d expired %s receipts", deleted, channel)
        except Exception:
            log.exception("pruning %s receipts failed", channel)
        await asyncio.sleep(every)


class Inbox:
    """One channel's intake (see the module docstring).

    Args:
        db: where receipts are claimed; ``None`` for a channel that takes no webhooks (then
            :meth:`claim` must not be called and nothing is pruned).
        channel: the channel name receipts are stored under (``telegram``, ``wecom``).
        label: what a delivery is called in log lines (``Telegram 更新``, ``企业微信消息``).
        max_concurrency: chats (or users) whose work runs at once.
        max_pending: deliveries waiting or running beyond which :meth:`check_room` refuses.
        stop_timeout: seconds :meth:`close` waits for work in flight.
        receipt_ttl: receipts older than this are deleted while the inbox is open.
        prune_every: seconds between two prunings.
    """

    def __init__(
        self,
        db: Database | None,
        channel: str,
        *,
        label: str,
        max_concurrency: int = 8,
        max_pending: int = 1000,
        stop_timeout: float = 20.0,
        receipt_ttl: timedelta = timedelta(days=1),
        prune_every: float = 600.0,
    ) -> None:
        self._db = db
        self.channel = channel
        self.label = label
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._max_pending = max_pending
        self._stop_timeout = stop_timeout
        self._receipt_ttl = receipt_ttl
        self._prune_every = prune_every
        self._accepting = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_of: dict[Hashable, asyncio.Task[None]] = {}
        self._pruner: asyncio.Task[None] | None = None

    @property
    def accepting(self) -> bool:
        """Whether :meth:`open` was called and :meth:`close` not yet."""
        return self._accepting

    @property
    def pending(self) -> int:
        """Deliveries waiting or running."""
        return len(self._tasks)

    def open(self) -> None:
        """Start accepting, and pruning old receipts (with a database). Idempotent."""
        self._accepting = True
        if self._db is not None and self._pruner is None:
            self._pruner = asyncio.create_task(
                prune_receipts(self._db, self.channel, self._receipt_ttl, self._prune_every),
                name=f"{self.channel}-receipts",
            )

    @staticmethod
    async def read_body(request: web.Request, limit: int) -> bytes:
        """The request body, given up as soon as it passes ``limit`` bytes.

        Raises:
            Refused: 413 when the declared or the actual length exceeds ``limit``.
        """
        if request.content_length is not None and request.content_length > limit:
            raise Refused(413, "请求体过大")
        body = bytearray()
        try:
            async for chunk in request.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > limit:
                    raise Refused(413, "请求体过大")
        except web.HTTPRequestEntityTooLarge as exc:  # the server's own client_max_size
            raise Refused(413, "请求体过大") from exc
        return bytes(body)

    def check_room(self) -> None:
        """Refuse a new delivery while stopping or when too many wait.

        Raises:
            Refused: 503 (the sender delivers it again later).
        """
        if not self._accepting:
            raise Refused(503, "正在停止，请稍后重试")
        if len(self._tasks) >= self._max_pending:
            raise Refused(503, "待处理的消息过多")

    async def claim(self, *keys: str, now: datetime) -> str | None:
        """Claim every key in one transaction; returns the first key some process claimed
        before (a retry or a replay: do not handle it), or ``None`` when the delivery is new.

        Raises:
            Refused: 503 when the database fails (the sender delivers it again).
        """
        assert self._db is not None, "an inbox without a database takes no webhooks"
        try:
            async with self._db.session() as session:
                for key in keys:
                    if not await claim_receipt(session, self.channel, key, now):
                        return key
        except Exception as exc:
            log.exception("记录 %s失败", self.label)
            raise Refused(503, "数据库暂时不可用") from exc
        return None

    def submit(self, key: Hashable, work: Callable[[], Awaitable[None]], *, name: str) -> None:
        """Run ``work`` in the background after the earlier work of the same ``key`` (a chat or
        a user), within the concurrency limit. Its exceptions are logged, never raised."""
        previous = self._last_of.get(key)
        task = asyncio.create_task(self._after(previous, work, name), name=name)
        self._tasks.add(task)
        self._last_of[key] = task

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._last_of.get(key) is finished:
                del self._last_of[key]

        task.add_done_callback(done)

    async def _after(
        self, previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]], name: str
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._semaphore:
            try:
                await work()
            except Exception:
                log.exception("处理 %s出错（%s）", self.label, name)

    async def drain(self) -> None:
        """Wait until all work submitted so far has finished (tests)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Stop accepting and pruning, wait up to ``stop_timeout`` seconds for the work in
        flight, then cancel the rest (logged by name: it is lost). Idempotent."""
        self._accepting = False
        if self._pruner is not None:
            self._pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruner
            self._pruner = None
        if not self._tasks:
            return
        log.info("等待 %d 条 %s处理完毕……", len(self._tasks), self.label)
        _, pending = await asyncio.wait(set(self._tasks), timeout=self._stop_timeout)
        if pending:
            log.error(
                "停止时仍有 %d 条 %s未处理完（%s 秒超时），已放弃：%s",
                len(pending),
                self.label,
                self._stop_timeout,
                ", ".join(sorted(task.get_name() for task in pending)),
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)

    def refuse(self, request: web.Request, refused: Refused) -> web.Response:
        """The answer to a refused request, logged at warning level."""
        log.warning(
            "拒绝 %s %s %s：%s（来自 %s）",
            self.label,
            request.method,
            request.path,
            refused.reason,
            request.remote,
        )
        return web.Response(status=refused.status, text=refused.reason)
