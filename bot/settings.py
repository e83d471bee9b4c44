"""Settings from the environment (prefix ``DJBOT_``) and an optional ``.env`` file.

Read once by the command line and passed down; nothing below the command line reads the
environment itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")

#: Bot API ``setWebhook.secret_token``: "1-256 characters. Only characters A-Z, a-z, 0-9, _ and
#: - are allowed" (https://core.telegram.org/bots/api#setwebhook).
TELEGRAM_WEBHOOK_SECRET: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: "Ports currently supported for webhooks: 443, 80, 88, 8443" (Bot API ``setWebhook``); a
#: self-hosted Bot API server (``--local``) takes any port and plain HTTP.
TELEGRAM_WEBHOOK_PORTS: Final = frozenset({443, 80, 88, 8443})
#: Paths the HTTP server already serves (bot/http.py, the WeCom callback).
_RESERVED_PATHS: Final = frozenset({"/healthz", "/readyz", "/wecom/callback"})


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
    telegram_webhook_url: str = Field(
        default="",
        description="Public HTTPS URL Telegram posts updates to (webhook mode; its path is "
        "served by the HTTP server); empty = long polling.",
    )
    telegram_webhook_secret: str = Field(
        default="",
        description="setWebhook secret_token, checked on every webhook request: 1-256 of "
        "A-Z a-z 0-9 _ -; required with telegram_webhook_url.",
    )
    wecom_corp_id: str = Field(default="", description="WeCom CorpID (企业ID).")
    wecom_agent_id: int | None = Field(default=None, description="The self-built app's AgentId.")
    wecom_secret: str = Field(default="", description="The self-built app's Secret.")
    wecom_token: str = Field(default="", description="Callback Token (接收消息 settings).")
    wecom_aes_key: str = Field(
        default="", description="Callback EncodingAESKey, 43 letters and digits."
    )
    wecom_api_base_url: str = Field(
        default="https://qyapi.weixin.qq.com", description="WeCom server API root."
    )
    http_host: str = Field(default="127.0.0.1", description="Where the HTTP server listens.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP server port.")
    taxonomy_file: Path | None = Field(
        default=None, description="A TOML file that extends or overrides the activity taxonomy."
    )
    templates_dir: Path | None = Field(
        default=None, description="A directory of report templates that override the shipped ones."
    )
    # --- evidence files (storage/media.py, bot/evidence) ---
    media_dir: Path | None = Field(
        default=None, description="Directory for evidence files; default <data_dir>/media."
    )
    media_s3_endpoint: str = Field(
        default="", description="S3-compatible endpoint URL (MinIO, OSS, COS...); empty = AWS."
    )
    media_s3_bucket: str = Field(
        default="", description="Bucket for evidence files; set = S3 instead of the directory."
    )
    media_s3_key_id: str = Field(default="", description="S3 access key id.")
    media_s3_secret: str = Field(default="", description="S3 secret access key.")
    media_s3_region: str = Field(default="", description="S3 region, e.g. us-east-1.")
    media_s3_prefix: str = Field(default="", description="Key prefix inside the bucket.")
    media_max_file_mb: int = Field(default=20, ge=1, le=2000, description="Largest file, MB.")
    media_max_record_mb: int = Field(
        default=100, ge=1, le=20000, description="Evidence per record, MB in all."
    )
    media_max_files: int = Field(default=30, ge=1, le=1000, description="Files per record.")
    media_keep_metadata: bool = Field(
        default=False, description="Keep photos' EXIF metadata (GPS position...); off = removed."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json`: one JSON object per line, for log collectors."
    )
    # --- reminders (bot/deadlines.py, bot/delivery.py, bot/scheduler.py) ---
    reminders_enabled: bool = Field(
        default=True, description="Run the reminder scheduler inside `djbot run`."
    )
    deadlines: str = Field(
        default="quarter=0,half=0,year=0",
        description="Default deadlines: kind=days after the period's last day; omitted = none.",
    )
    reminder_offsets: str = Field(
        default="7,3,1", description="Days before a deadline that reminders go out."
    )
    reminder_time: str = Field(default="09:00", description="Local time the daily sweep sends.")
    quiet_hours: str = Field(
        default="21:00-08:00", description="Local hours without reminders; `off` for none."
    )
    monthly_nudge_day: int = Field(
        default=25, ge=0, le=31, description="Day of the monthly nudge to secretaries; 0 = off."
    )
    reminder_lease_seconds: int = Field(
        default=600, ge=60, description="A claimed reminder is taken over after this long."
    )
    reminder_concurrency: int = Field(
        default=16, ge=1, le=64, description="Reminders in flight at once (pacing still applies)."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises ZoneInfoNotFoundError (a KeyError) for an unknown zone
        return value

    @field_validator("deadlines")
    @classmethod
    def _valid_deadlines(cls, value: str) -> str:
        from bot.domain.deadlines import parse_deadline_spec

        parse_deadline_spec(value)  # raises ValueError with a Chinese message
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _valid_offsets(cls, value: str) -> str:
        from bot.domain.deadlines import parse_offsets

        parse_offsets(value)
        return value

    @field_validator("reminder_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        from bot.domain.deadlines import parse_hhmm

        parse_hhmm(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        from bot.domain.deadlines import QuietHours

        QuietHours.parse(value)
        return value

    @model_validator(mode="after")
    def _send_time_not_quiet(self) -> Settings:
        from bot.domain.deadlines import QuietHours, parse_hhmm

        if QuietHours.parse(self.quiet_hours).contains(parse_hhmm(self.reminder_time)):
            raise ValueError(
                f"提醒发送时间 {self.reminder_time} 落在免打扰时段 {self.quiet_hours} 内，"
                "提醒将永远不会发送"
            )
        return self

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _valid_webhook_secret(cls, value: str) -> str:
        if value and not TELEGRAM_WEBHOOK_SECRET.fullmatch(value):
            raise ValueError(
                "DJBOT_TELEGRAM_WEBHOOK_SECRET 只能由 1-256 个英文字母、数字、下划线（_）或"
                "连字符（-）组成（Bot API setWebhook 的 secret_token）"
            )
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        """Webhook mode needs a usable URL and a secret (else anyone could post updates)."""
        url = self.telegram_webhook_url
        if not url:
            return self
        parts = urlsplit(url)
        official = urlsplit(self.telegram_base_url).hostname == "api.telegram.org"
        schemes = ("https",) if official else ("https", "http")
        if parts.scheme not in schemes or not parts.hostname or parts.fragment:
            raise ValueError(
                f"DJBOT_TELEGRAM_WEBHOOK_URL 无效：{url!r}，应为 Telegram 能访问的 HTTPS 地址，"
                "例如 https://bot.example.org/telegram/webhook"
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ValueError(f"DJBOT_TELEGRAM_WEBHOOK_URL 的端口无效：{url!r}") from None
        if official and port not in TELEGRAM_WEBHOOK_PORTS:
            raise ValueError(
                f"DJBOT_TELEGRAM_WEBHOOK_URL 的端口 {port} 不受支持："
                "Telegram 只向 443、80、88、8443 端口推送"
            )
        if (parts.path or "/") in _RESERVED_PATHS:
            raise ValueError(f"DJBOT_TELEGRAM_WEBHOOK_URL 的路径 {parts.path} 已被占用，请换一个")
        if not self.telegram_webhook_secret:
            raise ValueError(
                "设置了 DJBOT_TELEGRAM_WEBHOOK_URL 时必须同时设置 DJBOT_TELEGRAM_WEBHOOK_SECRET"
                "（1-256 个英文字母、数字、_ 或 -），否则任何人都能向机器人伪造消息"
            )
        return self

    @model_validator(mode="after")
    def _s3_complete(self) -> Settings:
        """S3 settings without a bucket are a mistake, not a request for the directory."""
        partial = (
            self.media_s3_endpoint or self.media_s3_key_id or self.media_s3_secret
        ) and not self.media_s3_bucket
        if partial:
            raise ValueError(
                "设置了 DJBOT_MEDIA_S3_ENDPOINT / KEY_ID / SECRET 时必须同时设置 "
                "DJBOT_MEDIA_S3_BUCKET（存放佐证文件的存储桶）"
            )
        if bool(self.media_s3_key_id) != bool(self.media_s3_secret):
            raise ValueError("DJBOT_MEDIA_S3_KEY_ID 和 DJBOT_MEDIA_S3_SECRET 需同时设置")
        return self

    @property
    def media_path(self) -> Path:
        """Where evidence files go without S3: ``media_dir`` or ``<data_dir>/media``."""
        return self.media_dir or self.data_dir / "media"

    @property
    def tz(self) -> ZoneInfo:
        """The configured local time zone."""
        return ZoneInfo(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL, defaulting to ``<data_dir>/djbot.sqlite3``."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'djbot.sqlite3'}"
        return async_database_url(url)
