"""Telegram webhook mode: real python-telegram-bot, the bot's real HTTP server, the fake Bot API
server posting updates to it as Telegram does (secret header, re-delivery on non-2xx), and the
test database (SQLite and PostgreSQL). Several "processes" share one database; ``djbot run``
drains in-flight updates on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fakes.telegram_api import FakeTelegram
from pydantic import ValidationError
from sqlalchemy import func, select
from support import REPO

from bot.app import build_services, configured_channels, open_app
from bot.channels.telegram import SECRET_HEADER, TelegramChannel
from bot.domain.taxonomy import load_taxonomy
from bot.http import WebServer
from bot.reports.rendering import ReportTemplates
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import InboundReceipt

TOKEN = "515151:WEBHOOK-test"
SECRET = "Webhook_secret-0123456789abcdef"
URL = "https://bot.example.org/telegram/webhook"
PATH = "/telegram/webhook"
FOUNDER, MEMBER, OTHER = 601, 602, 603

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


def webhook_settings(tg: FakeTelegram, **extra: Any) -> Settings:
    return Settings(
        telegram_token=TOKEN,
        telegram_base_url=tg.base_url,
        telegram_webhook_url=URL,
        telegram_webhook_secret=SECRET,
        _env_file=None,
        **extra,
    )


def new_dispatcher(db: Database) -> ConversationDispatcher:
    return ConversationDispatcher(
        db, tz=ZoneInfo("Asia/Shanghai"), taxonomy=load_taxonomy(), templates=ReportTemplates()
    )


class BotProcess:
    """One bot process in webhook mode: its own database engine, dispatcher, PTB application
    and HTTP server; only the database is shared with other processes."""

    def __init__(self, tg: FakeTelegram, url: str, **channel_options: Any) -> None:
        self.db = Database(url)
        self.channel = TelegramChannel(
            webhook_settings(tg),
            new_dispatcher(self.db),
            db=self.db,
            **channel_options,
        )
        self.server = WebServer("127.0.0.1", 0, db=self.db)
        self.server.add_routes(self.channel.routes())

    @property
    def url(self) -> str:
        return self.server.base_url + PATH

    async def start(self) -> None:
        await self.channel.start()
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()  # as djbot run: the listener closes first
        await self.channel.stop()
        await self.db.dispose()


@contextlib.asynccontextmanager
async def processes(
    tg: FakeTelegram, db: Database, count: int = 1, **options: Any
) -> AsyncIterator[list[BotProcess]]:
    """``count`` bot processes on the test database; the fake delivers to them in turn."""
    bots = [BotProcess(tg, db.url, **options) for _ in range(count)]
    started: list[BotProcess] = []
    try:
        for bot in bots:
            await bot.start()
            started.append(bot)
        tg.webhook_targets = [bot.server.base_url for bot in bots]
        yield bots
    finally:
        for bot in reversed(started):
            await bot.stop()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="djtest_bot") as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram, db: Database) -> AsyncIterator[BotProcess]:
    async with processes(tg, db) as (single,):
        yield single


async def say(tg: FakeTelegram, user: int, text: str, name: str = "") -> str:
    """Send a message and wait for the bot's next message in that chat; returns its text."""
    before = len(tg.messages(user))
    tg.push_text(user, text, first_name=name or None)
    await tg.wait_until(lambda: len(tg.messages(user)) > before, timeout=15, what=text)
    return tg.messages(user)[-1].body


async def post(url: str, body: bytes | object, secret: str | None = SECRET) -> httpx.Response:
    """POST like Telegram does: a JSON body and the secret header (``None``: no header)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(url, content=content, headers=headers)


async def receipts(db: Database) -> int:
    async with db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboundReceipt)
            .where(InboundReceipt.channel == "telegram")
        )
    return int(count or 0)


# --- settings ---------------------------------------------------------------------------------


def test_webhook_settings_are_checked() -> None:
    base = {"telegram_token": TOKEN, "_env_file": None}
    ok = Settings(**base, telegram_webhook_url=URL, telegram_webhook_secret=SECRET)  # type: ignore[arg-type]
    assert ok.telegram_webhook_url == URL
    assert Settings(**base).telegram_webhook_url == ""  # type: ignore[arg-type]  # polling

    def refused(**values: str) -> str:
        with pytest.raises(ValidationError) as info:
            Settings(**base, **values)  # type: ignore[arg-type]
        return str(info.value)

    assert "必须同时设置 DJBOT_TELEGRAM_WEBHOOK_SECRET" in refused(telegram_webhook_url=URL)
    assert "1-256 个英文字母" in refused(
        telegram_webhook_url=URL, telegram_webhook_secret="含有中文"
    )
    assert "1-256 个英文字母" in refused(telegram_webhook_secret="a" * 257)
    assert "1-256 个英文字母" in refused(telegram_webhook_secret="with space")
    assert "HTTPS" in refused(
        telegram_webhook_url="http://bot.example.org/tg", telegram_webhook_secret=SECRET
    )
    assert "443、80、88、8443" in refused(
        telegram_webhook_url="https://bot.example.org:8080/tg", telegram_webhook_secret=SECRET
    )
    assert "已被占用" in refused(
        telegram_webhook_url="https://bot.example.org/healthz", telegram_webhook_secret=SECRET
    )
    # a self-hosted Bot API server (--local) may post over plain HTTP to any port
    local = Settings(
        **base,  # type: ignore[arg-type]
        telegram_base_url="http://127.0.0.1:8081/bot",
        telegram_webhook_url="http://10.0.0.5:8080/tg",
        telegram_webhook_secret="x" * 256,
    )
    assert local.telegram_webhook_url.startswith("http://")
    # a copy that skipped validation cannot start an unprotected webhook either
    unprotected = ok.model_copy(update={"telegram_webhook_secret": ""})
    with pytest.raises(ValueError, match="DJBOT_TELEGRAM_WEBHOOK_SECRET"):
        TelegramChannel(unprotected, dispatcher=None)  # type: ignore[arg-type]


# --- registration and routing -----------------------------------------------------------------


async def test_start_registers_the_webhook_with_the_secret(
    tg: FakeTelegram, bot: BotProcess
) -> None:
    [registered] = tg.calls_of("setWebhook")
    assert registered["url"] == URL
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ["message", "callback_query"]
    assert registered.get("drop_pending_updates") is False
    assert tg.webhook is not None and tg.webhook["url"] == URL
    assert tg.calls_of("getUpdates") == [] and tg.calls_of("deleteWebhook") == []
    assert ("report", "生成党建工作总结草稿") in tg.commands
    info = await bot.channel.application.bot.get_webhook_info()
    assert info.url == URL and info.pending_update_count == 0
    assert tg.calls_of("getWebhookInfo")


async def test_stop_keeps_the_webhook_unless_asked(tg: FakeTelegram, db: Database) -> None:
    async with processes(tg, db):
        pass
    assert tg.webhook is not None  # another process may still serve it
    assert tg.calls_of("deleteWebhook") == []

    async with processes(tg, db, delete_webhook_on_stop=True):
        pass
    assert tg.webhook is None
    assert tg.calls_of("deleteWebhook") == [{"drop_pending_updates": False}]


async def test_an_update_with_the_secret_gets_the_reply(tg: FakeTelegram, bot: BotProcess) -> None:
    assert "党支部的全称" in await say(tg, FOUNDER, "/start", "张书记")
    [(target, _, status)] = tg.deliveries
    assert target == bot.url and status == 200
    assert tg.pending_updates == 0


async def test_wrong_or_missing_secret_is_refused_and_nothing_happens(
    tg: FakeTelegram, bot: BotProcess, db: Database
) -> None:
    tg.push_text(FOUNDER, "/start")
    [update] = tg.take_updates()
    for secret in ("wrong-secret", None, SECRET[:-1], SECRET + "x", ""):
        answer = await post(bot.url, update, secret)
        assert answer.status_code == 403, secret
    await bot.channel.drain()
    assert tg.messages(FOUNDER) == []
    assert await receipts(db) == 0  # not even claimed: the real delivery still works
    assert (await post(bot.url, update)).status_code == 200
    await tg.wait_until(lambda: bool(tg.messages(FOUNDER)))
    assert "党支部的全称" in tg.messages(FOUNDER)[0].body


async def test_telegram_retries_until_the_secret_matches(tg: FakeTelegram, bot: BotProcess) -> None:
    """Telegram set with another secret (say, the old one during a rotation) is answered 403
    and retries; once the webhook carries the right secret the update is handled once."""
    assert tg.webhook is not None
    tg.webhook["secret_token"] = "the-old-secret"
    tg.push_text(FOUNDER, "/start")
    await tg.wait_until(lambda: len(tg.deliveries) >= 2, what="two refused deliveries")
    assert {status for _, _, status in tg.deliveries} == {403}
    assert tg.messages(FOUNDER) == []
    info = await bot.channel.application.bot.get_webhook_info()
    assert info.pending_update_count == 1 and "403" in (info.last_error_message or "")
    tg.webhook["secret_token"] = SECRET
    await tg.wait_until(lambda: bool(tg.messages(FOUNDER)), what="the reply")
    assert tg.deliveries[-1][2] == 200
    assert len(tg.messages(FOUNDER)) == 1


async def test_the_same_update_is_handled_once(tg: FakeTelegram, db: Database) -> None:
    async with processes(tg, db, count=2) as (first, second):
        tg.push_text(FOUNDER, "/start")
        [update] = tg.take_updates()
        # Telegram re-delivers (no 2xx seen), to this process or to another one; both at once
        answers = await asyncio.gather(
            post(first.url, update), post(second.url, update), post(first.url, update)
        )
        assert [a.status_code for a in answers] == [200, 200, 200]
        await first.channel.drain()
        await second.channel.drain()
        assert len(tg.messages(FOUNDER)) == 1
        assert "党支部的全称" in tg.messages(FOUNDER)[0].body
        assert (await post(second.url, update)).status_code == 200  # later still: ignored
        await second.channel.drain()
        assert len(tg.messages(FOUNDER)) == 1
        assert await receipts(db) == 1


async def test_garbage_is_refused(tg: FakeTelegram, bot: BotProcess, db: Database) -> None:
    for body in (
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"message": {"text": "no update_id"}}',
        b'{"update_id": "17"}',
        b'{"update_id": -1}',
        b'{"update_id": 17, "message": "not an object"}',
    ):
        answer = await post(bot.url, body)
        assert answer.status_code == 400, body
    await bot.channel.drain()
    assert await receipts(db) == 0 and not tg.sent


async def test_oversized_bodies_are_refused(
    tg: FakeTelegram, bot: BotProcess, db: Database
) -> None:
    big = b'{"update_id": 1, "message": {"text": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    assert (await post(bot.url, big)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(32):
            yield b" " * 65536

    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(bot.url, content=chunks(), headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 413
    assert await receipts(db) == 0 and not tg.sent
    # a wrong secret is refused before the body is even looked at
    assert (await post(bot.url, big, "wrong")).status_code == 403
    # (aiohttp reads and discards the rest of a refused body before it ends the connection;
    # give it that moment, or stopping the server waits its shutdown timeout for it)
    await asyncio.sleep(0.3)


async def test_only_post_is_served(bot: BotProcess) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(bot.url, headers={SECRET_HEADER: SECRET})).status_code == 405


# --- conversations -----------------------------------------------------------------------------


async def record_and_report(tg: FakeTelegram) -> str:
    """The founder founds a branch, records an activity through its card and asks for the
    draft; returns the draft's text."""
    assert "党支部的全称" in await say(tg, FOUNDER, "/start", "张书记")
    assert "管理员和书记" in await say(tg, FOUNDER, "第一党支部")
    card_text = await say(tg, FOUNDER, "今天下午组织党员开展主题党日活动，参加21人")
    assert "主题党日" in card_text and "参加人数：21人" in card_text
    card = tg.messages(FOUNDER)[-1]
    assert card.buttons == ["保存", "修改", "取消"]
    answered = len(tg.calls_of("answerCallbackQuery"))
    tg.push_callback(FOUNDER, card.message_id, card.data_for("保存"))
    await tg.wait_until(
        lambda: "已保存" in tg.find_message(FOUNDER, card.message_id).body, timeout=15
    )
    assert len(tg.calls_of("answerCallbackQuery")) == answered + 1
    assert tg.find_message(FOUNDER, card.message_id).buttons == []
    report = await say(tg, FOUNDER, "/report")
    assert "党建工作总结" in report
    return report


async def test_the_whole_conversation_over_webhooks(tg: FakeTelegram, bot: BotProcess) -> None:
    report = await record_and_report(tg)
    assert "主题党日1次，参与党员累计21人次" in report
    assert all(status == 200 for _, _, status in tg.deliveries)


async def test_two_processes_share_one_conversation(tg: FakeTelegram, db: Database) -> None:
    """Updates of one conversation alternate between two processes (a round-robin load
    balancer): the card sent by one process is saved by a press the other one handles."""
    async with processes(tg, db, count=2) as (first, second):
        report = await record_and_report(tg)
        assert "主题党日1次，参与党员累计21人次" in report
        targets = [target for target, _, _ in tg.deliveries]
        assert len(targets) == 5  # /start, name, record, 保存, /report
        assert targets == [first.url, second.url, first.url, second.url, first.url]
        # the card came from the first process, the press went to the second
        assert [status for _, _, status in tg.deliveries] == [200] * 5


async def test_each_chat_keeps_its_order(tg: FakeTelegram, bot: BotProcess) -> None:
    """Messages sent in a burst, replies slowed down: each chat is answered in order (founding
    needs /start before the name), other chats are served meanwhile."""
    tg.slow("sendMessage", 0.3)
    for text in ("/start", "第一党支部", "/invite"):
        tg.push_text(FOUNDER, text, first_name="张书记")
    tg.push_text(OTHER, "/help")
    await tg.wait_until(lambda: tg.pending_updates == 0, what="all updates acknowledged")
    await tg.wait_until(lambda: len(tg.messages(FOUNDER)) == 3, timeout=15)
    founder = [m.body for m in tg.messages(FOUNDER)]
    assert "党支部的全称" in founder[0]
    assert "管理员和书记" in founder[1]
    assert "邀请码：" in founder[2]
    [other] = tg.messages(OTHER)  # usage, or "not a member" once the branch exists
    assert "使用说明" in other.body or "还不是任何党支部的成员" in other.body
    # the other chat did not wait for the founder's three replies
    chats = [params["chat_id"] for params in tg.calls_of("sendMessage")]
    assert chats.index(OTHER) < len(chats) - 1 - chats[::-1].index(FOUNDER)


async def test_stop_waits_for_updates_in_flight(tg: FakeTelegram, db: Database) -> None:
    bot = BotProcess(tg, db.url)
    await bot.start()
    tg.webhook_targets = [bot.server.base_url]
    tg.slow("sendMessage", 0.3)
    for user in (FOUNDER, MEMBER, OTHER):
        tg.push_text(user, "/help")
    tg.push_text(MEMBER, "/cancel")
    await tg.wait_until(lambda: tg.pending_updates == 0, what="all updates acknowledged")
    assert sum(len(tg.messages(user)) for user in (FOUNDER, MEMBER, OTHER)) < 4
    await bot.stop()
    assert [len(tg.messages(user)) for user in (FOUNDER, MEMBER, OTHER)] == [1, 2, 1]
    # stopped: Telegram's next delivery finds nobody and is retried later
    tg.push_text(FOUNDER, "/help")
    await tg.wait_until(lambda: tg.deliveries[-1][2] == 0, what="a failed delivery")
    assert tg.pending_updates == 1


async def test_stop_gives_up_after_its_timeout(
    tg: FakeTelegram, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    bot = BotProcess(tg, db.url, stop_timeout=0.5)
    await bot.start()
    tg.webhook_targets = [bot.server.base_url]
    tg.slow("sendMessage", 3)
    tg.push_text(FOUNDER, "/help")
    await tg.wait_for("sendMessage")
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        await bot.stop()
    assert loop.time() - began < 3
    assert "1 条 Telegram 更新未处理完" in caplog.text


async def test_a_stopping_channel_answers_503(tg: FakeTelegram, db: Database) -> None:
    """A request reaching a channel that is not (or no longer) taking updates gets 503, so
    Telegram delivers it again (to another process)."""
    bot = BotProcess(tg, db.url)
    await bot.server.start()  # the channel has not started
    try:
        tg.push_text(FOUNDER, "/start")
        [update] = tg.take_updates()
        assert (await post(bot.url, update)).status_code == 503
        assert await receipts(db) == 0
    finally:
        await bot.server.stop()
        await bot.channel.stop()
        await bot.db.dispose()


# --- djbot run ---------------------------------------------------------------------------------


async def test_runtime_serves_the_webhook_on_the_http_server(
    tg: FakeTelegram, db: Database
) -> None:
    settings = webhook_settings(
        tg, database_url=db.url, auto_migrate=False, http_port=0, reminders_enabled=False
    )
    assert configured_channels(settings) == ["telegram"]
    polling = settings.model_copy(update={"telegram_webhook_url": ""})
    app = await open_app(settings)
    try:
        assert [s.name for s in build_services(polling, app)] == ["telegram"]  # no HTTP server
        services = build_services(settings, app)
        assert [(s.name, s.is_channel) for s in services] == [("telegram", True), ("http", False)]
        for service in services:
            await service.start()
        try:
            server = services[1]
            assert isinstance(server, WebServer)
            tg.webhook_targets = [server.base_url]
            assert "党支部的全称" in await say(tg, FOUNDER, "/start")
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                assert (await http.get("/readyz")).json() == {"status": "ready"}
        finally:
            for service in reversed(services):
                await service.stop()
    finally:
        await app.close()


def _environment(tg: FakeTelegram, db: Database, mode: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")} | {
        "DJBOT_DATABASE_URL": db.url,
        "DJBOT_AUTO_MIGRATE": "false",
        "DJBOT_TELEGRAM_TOKEN": TOKEN,
        "DJBOT_TELEGRAM_BASE_URL": tg.base_url,
        "DJBOT_REMINDERS_ENABLED": "false",
        "DJBOT_HTTP_HOST": "127.0.0.1",
        "DJBOT_HTTP_PORT": "0",
        "PYTHONPATH": str(REPO),
    }
    if mode == "webhook":
        environment |= {"DJBOT_TELEGRAM_WEBHOOK_URL": URL, "DJBOT_TELEGRAM_WEBHOOK_SECRET": SECRET}
    return environment


class _Log:
    """The child's stderr, read as it comes (so its pipe never fills)."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self._task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self.lines.append(line.decode(errors="replace").rstrip())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.lines))

    async def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        async with asyncio.timeout(timeout):
            while True:
                for line in self:
                    if match := re.search(pattern, line):
                        return match
                if self._task.done():
                    raise AssertionError("djbot exited:\n" + "\n".join(self))
                await asyncio.sleep(0.05)

    async def close(self) -> str:
        await self._task
        return "\n".join(self.lines)


@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_sigterm_drains_updates_in_flight(
    tg: FakeTelegram, db: Database, tmp_path: Path, mode: str
) -> None:
    """A real ``djbot run``: a burst of updates is taken in, replies are slow, SIGTERM
    arrives. The listener closes at once (webhook), every update still gets its replies in
    order, and the process exits 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=_environment(tg, db, mode),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    log = _Log(process.stderr)
    try:
        await log.wait_for("已连接")  # Telegram started: setWebhook, or polling
        port = 0
        if mode == "webhook":
            started = await log.wait_for(r"HTTP 服务已启动：127\.0\.0\.1:(\d+)")
            port = int(started.group(1))
            tg.webhook_targets = [f"http://127.0.0.1:{port}"]
            assert tg.calls_of("setWebhook")[0]["secret_token"] == SECRET
        else:
            await tg.wait_for("getUpdates", timeout=30)
        tg.slow("sendMessage", 0.4)
        for text in ("/start", "第一党支部", "/invite"):
            tg.push_text(FOUNDER, text, first_name="张书记")
        tg.push_text(MEMBER, "/help")
        tg.push_text(OTHER, "/help")
        if mode == "webhook":  # every update acknowledged (200) by the bot
            await tg.wait_until(lambda: tg.pending_updates == 0, timeout=15, what="acks")
        else:  # fetched by getUpdates and being processed
            await tg.wait_for("sendMessage", timeout=15)
        replied_before = sum(len(m) for m in tg.sent.values())
        process.send_signal(signal.SIGTERM)
        if mode == "webhook":  # the listener closes first, while replies are still going out
            async with asyncio.timeout(5):
                while True:
                    try:
                        _, writer = await asyncio.open_connection("127.0.0.1", port)
                    except OSError:
                        break
                    writer.close()
                    await asyncio.sleep(0.05)
            assert sum(len(m) for m in tg.sent.values()) < 5
        async with asyncio.timeout(60):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = await log.close()
    assert process.returncode == 0, output
    assert replied_before < 5
    founder = [m.body for m in tg.messages(FOUNDER)]
    assert len(founder) == 3, output
    assert (
        "党支部的全称" in founder[0] and "管理员和书记" in founder[1] and "邀请码：" in founder[2]
    )
    for user in (MEMBER, OTHER):  # usage, or "not a member" once the branch exists
        [answer] = tg.messages(user)
        assert "使用说明" in answer.body or "还不是任何党支部的成员" in answer.body
    assert "正在停止" in output
    if mode == "webhook":
        assert tg.calls_of("deleteWebhook") == []  # other processes may serve the webhook
        assert tg.webhook is not None
    else:
        assert tg.pending_updates == 0  # confirmed: the next process does not handle them again
