"""The one place that wires everything.

:func:`open_app` builds what every command shares from the settings: the database (migrated
unless disabled), the taxonomy, the report templates and the dispatcher every channel talks to.
``djbot run`` (:func:`serve`) then starts the configured services -- chat channels, the HTTP
server, the reminder scheduler --, waits for SIGINT/SIGTERM and stops them in reverse order.

A service is anything with ``name``, ``async start()`` and ``async stop()`` (:class:`Service`);
channel services say so with ``is_channel = True``. With no channel configured, ``djbot run``
falls back to the console (``bot.cli``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.domain.deadlines import PlanDefaults
from bot.domain.taxonomy import Taxonomy, load_taxonomy
from bot.evidence import Limits
from bot.messages import CHANNEL_TELEGRAM, CHANNEL_WECOM, Dispatcher
from bot.reminders.service import OpenSenders
from bot.reports.rendering import ReportTemplates
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage import migrate
from storage.database import Database
from storage.media import DirectoryMediaStore, MediaStore, S3MediaStore

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

#: Channels :func:`open_senders` can open a sender for. ``djbot run`` starts the reminder
#: scheduler only when one of them is configured.
SENDING_CHANNELS = frozenset({CHANNEL_TELEGRAM, CHANNEL_WECOM})


@dataclass(slots=True)
class App:
    """What a running bot process holds."""

    settings: Settings
    db: Database
    taxonomy: Taxonomy
    templates: ReportTemplates
    dispatcher: ConversationDispatcher
    media: MediaStore | None = None

    async def close(self) -> None:
        """Release the database connections and the media store's."""
        if self.media is not None:
            await self.media.close()
        await self.db.dispose()


def open_media(settings: Settings) -> MediaStore:
    """The media store the settings name: S3 when ``DJBOT_MEDIA_S3_BUCKET`` is set, else the
    directory ``DJBOT_MEDIA_DIR`` (default ``<data_dir>/media``)."""
    if settings.media_s3_bucket:
        return S3MediaStore(
            bucket=settings.media_s3_bucket,
            endpoint_url=settings.media_s3_endpoint,
            key_id=settings.media_s3_key_id,
            secret=settings.media_s3_secret,
            region=settings.media_s3_region,
            prefix=settings.media_s3_prefix,
        )
    return DirectoryMediaStore(settings.media_path)


def evidence_limits(settings: Settings) -> Limits:
    """The evidence limits the settings give (``DJBOT_MEDIA_MAX_*``, ``..._KEEP_METADATA``)."""
    mb = 1024 * 1024
    return Limits(
        max_file_bytes=settings.media_max_file_mb * mb,
        max_record_bytes=settings.media_max_record_mb * mb,
        max_record_files=settings.media_max_files,
        keep_metadata=settings.media_keep_metadata,
    )


async def open_app(settings: Settings, *, migrate_now: bool | None = None) -> App:
    """Connect, migrate (when ``settings.auto_migrate`` or ``migrate_now``), load the taxonomy
    and templates, and build the dispatcher.

    Raises:
        ValueError: for a malformed taxonomy override or database URL (Chinese message).
    """
    db = Database(settings.sqlalchemy_url)
    if settings.auto_migrate if migrate_now is None else migrate_now:
        await migrate.upgrade(db)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    templates = ReportTemplates(settings.templates_dir)
    media = open_media(settings)
    dispatcher = ConversationDispatcher(
        db,
        tz=settings.tz,
        taxonomy=taxonomy,
        templates=templates,
        reminder_defaults=PlanDefaults.from_settings(settings),  # what /deadlines shows
        media=media,
        evidence_limits=evidence_limits(settings),
    )
    return App(settings, db, taxonomy, templates, dispatcher, media)


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
    from bot.reminders.config import ReminderConfig
    from bot.reminders.service import ReminderService

    # reminders run when a configured chat channel can send them (bot/scheduler.py)
    if settings.reminders_enabled and SENDING_CHANNELS & set(configured_channels(settings)):
        services.append(
            ReminderService(
                ReminderConfig.from_settings(settings),
                app.db,
                app.taxonomy,
                open_senders=lambda: open_senders(settings, app.dispatcher),
            )
        )
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


async def open_senders(settings: Settings, dispatcher: Dispatcher) -> OpenSenders:
    """Open a sender for each configured channel that can message a stored address.

    Telegram: a :class:`~bot.channels.telegram.TelegramChannel` opened without polling and with
    ``max_retry_after=0``, so a 429 reaches :mod:`bot.reminders.sweep` (which pauses the whole
    channel) instead of being waited out inside one send. WeCom: a send-only
    :class:`~bot.channels.wecom.channel.WeComChannel` (no callback routes), which paces itself
    to 30 messages a minute per member and reports 45009 as a ``SendError`` with
    ``retry_after``. A member whose channel has no sender is marked failed with the reason, not
    silently lost. And a WeCom group robot (no credentials needed: the webhook URL is the
    secret), for the branches whose group robot is set (``djbot org robot``).

    Raises:
        telegram.error.TelegramError: Telegram rejected the token or could not be reached.
    """
    opened = OpenSenders()
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channel = TelegramChannel(settings, dispatcher, commands=(), max_retry_after=0)
        await channel.open()
        opened.add(CHANNEL_TELEGRAM, channel, channel.close)
    from bot.channels.wecom import wecom_configured

    if wecom_configured(settings):
        from bot.channels.wecom.channel import WeComChannel

        wecom = WeComChannel(settings, dispatcher, None)
        opened.add(CHANNEL_WECOM, wecom, wecom.stop)
    from bot.channels.wecom.group_robot import GroupRobot

    robot = GroupRobot()  # branch groups with a robot webhook get deadline reminders too
    opened.add_group(robot, robot.aclose)
    return opened
