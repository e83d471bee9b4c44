"""The Telegram channel (python-telegram-bot 22): :mod:`.channel` (updates in, by long polling or
webhook, to the dispatcher) and :mod:`.outbox` (replies out as Bot API calls). Telegram types
appear nowhere else in the project."""

from __future__ import annotations

from bot.channels.base import APOLOGY_MESSAGE, ONLY_TEXT_MESSAGE
from bot.channels.telegram.channel import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    WEBHOOK_MAX_BODY,
    TelegramChannel,
    file_base_url,
    webhook_path,
)
from bot.channels.telegram.outbox import CAPTION_LIMIT, MESSAGE_LIMIT
from bot.messages import SendError

__all__ = [
    "ALLOWED_UPDATES",
    "APOLOGY_MESSAGE",
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "ONLY_TEXT_MESSAGE",
    "SECRET_HEADER",
    "WEBHOOK_MAX_BODY",
    "SendError",
    "TelegramChannel",
    "file_base_url",
    "webhook_path",
]
