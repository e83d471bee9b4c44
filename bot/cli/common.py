"""What the command modules share: the settings, the local date, the period and organization
arguments. This is the adapter layer: it reads the wall clock and passes ``today``/``now`` down."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from bot.domain.periods import Period
    from bot.settings import Settings
    from storage.models import Organization


def settings() -> Settings:
    """The settings from the environment and ``.env`` (read once per command)."""
    from bot.settings import Settings

    return Settings()


def local_today(settings: Settings, given: str | None) -> date:
    """``--today YYYY-MM-DD`` if given, else today's date in the configured time zone.

    Raises:
        ValueError: ``given`` is not an ISO date.
    """
    if given:
        return date.fromisoformat(given)
    return datetime.now(settings.tz).date()


def period_or_none(text: str, today: date) -> Period | None:
    """The period ``text`` names (``2026``, ``2026Q3``...), or ``None`` after printing why not."""
    from bot.domain.periods import parse_period

    try:
        return parse_period(text, today)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return None


async def organization_or_none(app: App, org_id: int) -> Organization | None:
    """The organization with this id, or ``None`` after printing that it does not exist."""
    from storage.models import Organization

    async with app.db.session() as session:
        org = await session.get(Organization, org_id)
    if org is None:
        print(f"组织 {org_id} 不存在。", file=sys.stderr)
    return org
