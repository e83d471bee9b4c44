"""Logging set-up for the command line: readable lines by default, or one JSON object per line
(``DJBOT_LOG_FORMAT=json``) for journald, Loki or an ELK stack. Times are ISO 8601 in UTC."""

from __future__ import annotations

import logging
import sys
import time

from pythonjsonlogger.json import JsonFormatter

#: Libraries that are chatty at INFO.
QUIET_LOGGERS = ("alembic", "httpx", "httpcore", "apscheduler.executors", "aiohttp.access")


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send log records to stderr at ``level`` as ``text`` lines or ``json`` objects.

    Raises:
        ValueError: for an unknown level name.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"未知的日志级别：{level}")
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%SZ",
            json_ensure_ascii=False,
        )
    else:
        formatter = logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ"
        )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
