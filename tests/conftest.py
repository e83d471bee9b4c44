"""Shared fixtures: databases built by the real migrations, on SQLite and on PostgreSQL.

PostgreSQL is the machine's server (``DJBOT_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``). Each test session creates a fresh database
there and drops it at the end. Without a reachable server those tests are skipped with the
reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy import text

from bot.domain.taxonomy import load_taxonomy
from bot.reports.rendering import ReportTemplates
from bot.settings import async_database_url
from handlers.dispatcher import ConversationDispatcher
from storage import migrate
from storage.database import Database
from storage.models import Base

POSTGRES_URL = os.environ.get(
    "DJBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHANGHAI_NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 2026-11-20 12:00 in Shanghai


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _postgres_reachable() -> str | None:
    try:
        conn = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
    await conn.close()
    return None


def _run_in_thread(coro_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on its own loop in a worker thread (usable from sync
    fixtures even while a test's event loop is running)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coro_fn())).result()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head; yields its URL."""
    problem = _run_in_thread(_postgres_reachable)
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {problem}")
        pytest.skip(problem)
    name = f"djbot_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_dsn(POSTGRES_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _run_in_thread(lambda: admin(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    url = async_database_url(f"{base}/{name}")

    async def migrate_once() -> None:
        db = Database(url)
        await migrate.upgrade(db)
        await db.dispose()

    _run_in_thread(migrate_once)
    yield url
    _run_in_thread(lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: a new SQLite file, or the session's PostgreSQL database
    with every table emptied."""
    if request.param == "sqlite":
        database = Database(async_database_url(f"sqlite:///{tmp_path / 'djbot.sqlite3'}"))
        await migrate.upgrade(database)
    else:
        database = Database(request.getfixturevalue("postgres_database"))
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def dispatcher(db: Database) -> ConversationDispatcher:
    """The real dispatcher on the test database, Shanghai time, the shipped taxonomy."""
    from zoneinfo import ZoneInfo

    return ConversationDispatcher(
        db, tz=ZoneInfo("Asia/Shanghai"), taxonomy=load_taxonomy(), templates=ReportTemplates()
    )


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API server on 127.0.0.1: moto in server mode (``python -m moto.server``) in its
    own process, for the whole test session; yields its endpoint URL."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto S3 server did not start (is moto[server] installed?)")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


S3_KEY_ID, S3_SECRET, S3_REGION = "testing-key", "testing-secret", "us-east-1"


@pytest.fixture
async def s3_store(s3_endpoint: str) -> AsyncIterator[Any]:
    """A new, empty bucket on the local S3 server and an :class:`S3MediaStore` on it."""
    import boto3

    from storage.media import S3MediaStore

    bucket = f"djbot-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=S3_KEY_ID,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )
    client.create_bucket(Bucket=bucket)
    store = S3MediaStore(
        bucket=bucket,
        endpoint_url=s3_endpoint,
        key_id=S3_KEY_ID,
        secret=S3_SECRET,
        region=S3_REGION,
        prefix="evidence",
    )
    store.client = client  # type: ignore[attr-defined]  # for tests to look into the bucket
    yield store
    await store.close()
