"""Log output an operator's collector can read."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("bot.test").info("已发送提醒 %d 条", 3)
    logging.getLogger("alembic.runtime").info("quiet library")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["message"] == "已发送提醒 3 条"
    assert entry["level"] == "INFO" and entry["logger"] == "bot.test"
    assert entry["time"].endswith("Z")


def test_text_logs_and_levels(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "text")
    logging.getLogger("bot.test").info("hidden")
    logging.getLogger("bot.test").warning("2027年的节假日安排未知")
    err = capsys.readouterr().err
    assert "hidden" not in err and "WARNING bot.test: 2027年的节假日安排未知" in err
    with pytest.raises(ValueError, match="日志级别"):
        configure_logging("LOUD")
