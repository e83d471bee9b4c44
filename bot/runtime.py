"""``djbot run``: the long-running process. It opens the application, starts every configured
service (chat channels, the HTTP server, the reminder scheduler), waits for SIGINT/SIGTERM,
and stops them in reverse order.

A service is anything with ``name``, ``async start()`` and ``async stop()``. Channel services
say so with ``is_channel = True``; with no channel configured, ``djbot run`` falls back to
the console.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Protocol

from bot.app import App, open_app
from bot.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)


class Service(Protocol):
    """A part of the running bot that starts and stops with the process."""

    name: str
    is_channel: bool

    async def start(self) -> None:
        """Start serving; returns once the service is up (raises if it cannot start)."""
        ...

    async def stop(self) -> None:
        """Stop serving; safe to call twice."""
        ...


class _TelegramService:
    name = "telegram"
    is_channel = True

    def __init__(self, settings: Settings, app: App) -> None:
        from bot.channels.telegram import TelegramChannel

        # the database de-duplicates webhook deliveries (unused when polling)
        self.channel = TelegramChannel(settings, app.dispatcher, db=app.db)

    async def start(self) -> None:
        await self.channel.start()
        log.info("Telegram 已连接：@%s", self.channel.bot_username)

    async def stop(self) -> None:
        await self.channel.stop()


def configured_channels(settings: Settings) -> list[str]:
    """Names of the chat channels the settings enable (empty: console only). WeCom needs its
    CorpID, AgentId, Secret, Token and EncodingAESKey."""
    from bot.channels.wecom import wecom_configured

    channels = ["telegram"] if settings.telegram_token else []
    if wecom_configured(settings):
        channels.append("wecom")
    return channels


def build_services(settings: Settings, app: App) -> list[Service]:
    """The services this process runs, in start order.

    The HTTP server (``DJBOT_HTTP_HOST``/``PORT``) runs when WeCom or the Telegram webhook
    (``DJBOT_TELEGRAM_WEBHOOK_URL``) needs it, and starts after the channels whose routes it
    serves. Services stop in reverse order, so on SIGTERM the server closes its listener first
    (and finishes the requests in flight), then each channel finishes the updates it already
    took in, then the process exits.
    """
    services: list[Service] = []
    routes: list[web.RouteDef] = []
    if settings.telegram_token:
        telegram = _TelegramService(settings, app)
        services.append(telegram)
        if telegram.channel.webhook_mode:
            routes += telegram.channel.routes()
    if "wecom" in configured_channels(settings):
        from bot.channels.wecom.channel import WeComChannel

        wecom = WeComChannel(settings, app.dispatcher, app.db)
        routes += wecom.routes()
        services.append(wecom)
    if routes:
        from bot.http import WebServer

        web_server = WebServer(settings.http_host, settings.http_port, db=app.db)
        web_server.add_routes(routes)
        services.append(web_server)
    from bot.reminders.service import SENDING_CHANNELS, ReminderService

    # reminders run when a configured chat channel can send them (bot/scheduler.py)
    if settings.reminders_enabled and SENDING_CHANNELS & set(configured_channels(settings)):
        services.append(ReminderService(settings, app.db, app.taxonomy, app.dispatcher))
    return services


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); returns the exit code."""
    app = await open_app(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started: list[Service] = []
    try:
        for service in build_services(settings, app):
            await service.start()
            started.append(service)
        await stop.wait()
        log.info("正在停止……")
    finally:
        for service in reversed(started):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        await app.close()
    return 0
