"""The HTTP server service: /healthz, /readyz, body cap, registered routes, stopping."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from aiohttp import web
from fakes.wecom_api import TEST_AES_KEY, TEST_TOKEN, CallbackPlayer, FakeWeCom
from support import wecom_settings

from bot.app import build_services, configured_channels, open_app
from bot.http import WebServer
from storage.database import Database


async def test_health_and_readiness(db: Database) -> None:
    server = WebServer("127.0.0.1", 0, db=db)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and ready.json() == {"status": "ready"}
            assert (await http.get("/nothing")).status_code == 404
    finally:
        await server.stop()
        await server.stop()  # idempotent


async def test_not_ready_without_database() -> None:
    broken = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    server = WebServer("127.0.0.1", 0, db=broken, ready_timeout=2.0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
    finally:
        await server.stop()
        await broken.dispose()


async def test_routes_and_body_cap() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    server = WebServer("127.0.0.1", 0, max_body=1024)
    server.add_routes([web.post("/echo", echo)])
    await server.start()
    try:
        with pytest.raises(RuntimeError):
            server.add_routes([web.post("/late", echo)])
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.post("/echo", content=b"x" * 100)).content == b"x" * 100
            assert (await http.post("/echo", content=b"x" * 5000)).status_code == 413
            assert (await http.get("/readyz")).json() == {"status": "ready"}
    finally:
        await server.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{server.port}/healthz")


async def test_djbot_run_serves_wecom(tmp_path: Path) -> None:
    """``build_services`` with the WeCom settings: the channel and the HTTP server, which
    answers the admin console's URL check and /healthz."""
    async with FakeWeCom() as api:
        settings = wecom_settings(
            api, database_url=f"sqlite:///{tmp_path / 'run.sqlite3'}", http_port=0
        )
        assert configured_channels(settings) == ["wecom"]
        assert configured_channels(settings.model_copy(update={"wecom_secret": ""})) == []
        app = await open_app(settings)
        services = build_services(settings, app)
        assert [(s.name, s.is_channel) for s in services] == [
            ("wecom", True),
            ("http", False),
            ("reminders", False),  # WeCom members get reminders too
        ]
        quiet = settings.model_copy(update={"reminders_enabled": False})
        services = build_services(quiet, app)
        assert [(s.name, s.is_channel) for s in services] == [("wecom", True), ("http", False)]
        for service in services:
            await service.start()
        try:
            server = services[1]
            assert isinstance(server, WebServer)
            player = CallbackPlayer(
                f"{server.base_url}/wecom/callback",
                token=TEST_TOKEN,
                aes_key=TEST_AES_KEY,
                corp_id=api.corp_id,
                agent_id=api.agent_id,
            )
            try:
                assert (await player.verify_url("42")).text == "42"
                assert (await player.say("zhangsan", "/start")).status_code == 200
                await api.wait_until(lambda: bool(api.texts("zhangsan")), what="a reply")
                assert "党支部的全称" in api.texts("zhangsan")[0]
            finally:
                await player.aclose()
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                assert (await http.get("/readyz")).json() == {"status": "ready"}
        finally:
            for service in reversed(services):
                await service.stop()
            await app.close()
