"""The bot's one HTTP server (aiohttp), run by ``djbot run`` as a service.

Routes:

* ``GET /healthz`` -> 200 ``{"status": "ok"}`` while the process serves (liveness);
* ``GET /readyz`` -> 200 ``{"status": "ready"}`` when the database answers ``SELECT 1`` within
  ``ready_timeout`` seconds, else 503 ``{"status": "unavailable"}`` (readiness);
* whatever channels register with :meth:`WebServer.add_routes` before :meth:`start` (the WeCom
  callback ``/wecom/callback``; in Telegram webhook mode ``POST`` at the path of
  ``DJBOT_TELEGRAM_WEBHOOK_URL``, see :mod:`bot.channels.telegram`).

Request bodies are capped at ``max_body`` bytes (64 KB): aiohttp answers 413 beyond that, and
handlers that read the body themselves get the same cap (the Telegram webhook streams its body
and applies its own 1 MB cap, ``WEBHOOK_MAX_BODY``). Stopping closes the listening socket
first, then waits up to ``shutdown_timeout`` seconds for requests in flight; work a handler
left running in the background (queued updates) is the channel's to finish in its ``stop()``,
which ``djbot run`` calls after this server's (:mod:`bot.app`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from aiohttp import web
from sqlalchemy import text

from storage.database import Database

__all__ = ["MAX_BODY", "BodyTooLarge", "WebServer", "prune_receipts", "read_body"]

log = logging.getLogger(__name__)

#: Largest request body accepted (WeCom callbacks are a few KB).
MAX_BODY: Final[int] = 64 * 1024


class BodyTooLarge(Exception):
    """A request body longer than the caller's limit (answer 413)."""


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, read in chunks and given up as soon as it passes ``limit`` bytes, so
    a huge or endless body never sits in memory.

    Raises:
        BodyTooLarge: the declared or the actual length exceeds ``limit``.
    """
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(request.content_length)
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge(len(body))
    except web.HTTPRequestEntityTooLarge as exc:
        raise BodyTooLarge(limit) from exc
    return bytes(body)


async def prune_receipts(db: Database, channel: str, ttl: timedelta, every: float = 600.0) -> None:
    """Forever (until cancelled): every ``every`` seconds delete ``channel``'s inbound receipts
    older than ``ttl``; they only need to outlive the channel's retry window. Failures are
    logged and retried next round."""
    from storage.queries.receipts import delete_receipts_before

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


class WebServer:
    """A runtime service: an aiohttp server on ``host:port``.

    Args:
        host, port: where to listen; port 0 picks a free port (see :attr:`port`).
        db: checked by ``/readyz``; ``None`` makes ``/readyz`` answer like ``/healthz``.
        max_body: request body cap in bytes.
        ready_timeout: seconds ``/readyz`` waits for the database.
        shutdown_timeout: seconds :meth:`stop` waits for requests in flight.
    """

    name = "http"
    is_channel = False

    def __init__(
        self,
        host: str,
        port: int,
        *,
        db: Database | None = None,
        max_body: int = MAX_BODY,
        ready_timeout: float = 3.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._db = db
        self._ready_timeout = ready_timeout
        self._shutdown_timeout = shutdown_timeout
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Register routes (before :meth:`start`; the router is frozen afterwards).

        Raises:
            RuntimeError: the server already started.
        """
        if self._runner is not None:
            raise RuntimeError("routes must be added before the HTTP server starts")
        self.app.router.add_routes(list(routes))

    @property
    def port(self) -> int:
        """The port actually bound (after :meth:`start`).

        Raises:
            RuntimeError: not started.
        """
        if self._port is None:
            raise RuntimeError("the HTTP server has not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (for tests and log lines)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and serve.

        Raises:
            OSError: the address is in use or not available.
        """
        runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=self._shutdown_timeout, handle_signals=False
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        self._port = int(addresses[0][1]) if addresses else self._requested_port
        log.info("HTTP 服务已启动：%s:%s", self.host, self._port)

    async def stop(self) -> None:
        """Stop listening and finish requests in flight; idempotent."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("HTTP 服务已停止")

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        if self._db is None:
            return web.json_response({"status": "ready"})
        try:
            async with asyncio.timeout(self._ready_timeout):
                async with self._db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("就绪检查失败：数据库不可用（%s）", type(exc).__name__)
            return web.json_response({"status": "unavailable"}, status=503)
        return web.json_response({"status": "ready"})
