"""Settings from the environment (prefix ``DJBOT_``) and an optional ``.env`` file.

Read once by the command line and passed down; nothing below the command line reads the
environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


def async_database_url(url: str) -> str:
    """Map a plain SQLAlchemy URL onto the async driver this project uses.

    ``sqlite:///path`` becomes ``sqlite+aiosqlite:///path``; ``postgresql://`` and
    ``postgres://`` become ``postgresql+asyncpg://``; ``postgresql+psycopg2://`` too. A URL that
    already names an async driver is returned unchanged.

    Raises:
        ValueError: for a database this project does not support.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"数据库地址无效：{url!r}")
    backend = scheme.split("+", 1)[0]
    if backend == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if backend in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"不支持的数据库：{scheme}（请使用 SQLite 或 PostgreSQL）")


class Settings(BaseSettings):
    """All settings of a bot process. Environment variables are ``DJBOT_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="DJBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR, description="Where the default SQLite file lives."
    )
    database_url: str = Field(
        default="", description="Any SQLAlchemy URL; default SQLite in data_dir."
    )
    timezone: str = Field(default="Asia/Shanghai", description="Local time zone of users.")
    auto_migrate: bool = Field(
        default=True, description="Upgrade the database on `run` and `chat`."
    )
    telegram_token: str = Field(default="", description="Bot token from @BotFather.")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base; the token is appended. Self-hosted Bot API servers need it.",
    )
    taxonomy_file: Path | None = Field(
        default=None, description="A TOML file that extends or overrides the activity taxonomy."
    )
    templates_dir: Path | None = Field(
        default=None, description="A directory of report templates that override the shipped ones."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json`: one JSON object per line, for log collectors."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises ZoneInfoNotFoundError (a KeyError) for an unknown zone
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The configured local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL, defaulting to ``<data_dir>/djbot.sqlite3``."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'djbot.sqlite3'}"
        return async_database_url(url)
