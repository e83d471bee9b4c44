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
from typing import Protocol

from bot.app import App, open_app
from bot.settings import Settings

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

        self.channel = TelegramChannel(settings, app.dispatcher)

    async def start(self) -> None:
        await self.channel.start()
        log.info("Telegram 已连接：@%s", self.channel.bot_username)

    async def stop(self) -> None:
        await self.channel.stop()


def configured_channels(settings: Settings) -> list[str]:
    """Names of the chat channels the settings enable (empty: console only)."""
    return ["telegram"] if settings.telegram_token else []


def build_services(settings: Settings, app: App) -> list[Service]:
    """The services this process runs, in start order."""
    services: list[Service] = []
    if settings.telegram_token:
        services.append(_TelegramService(settings, app))
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
