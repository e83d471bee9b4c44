"""Building the application from settings: database (migrated unless disabled), taxonomy,
templates and the dispatcher every channel shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.domain.taxonomy import Taxonomy, load_taxonomy
from bot.reports.rendering import ReportTemplates
from bot.settings import Settings
from handlers.dispatcher import ConversationDispatcher
from storage import migrate
from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(slots=True)
class App:
    """What a running bot process holds."""

    settings: Settings
    db: Database
    taxonomy: Taxonomy
    templates: ReportTemplates
    dispatcher: ConversationDispatcher

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()


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
    from bot.domain.deadlines import PlanDefaults

    dispatcher = ConversationDispatcher(
        db,
        tz=settings.tz,
        taxonomy=taxonomy,
        templates=templates,
        reminder_defaults=PlanDefaults.from_settings(settings),  # what /deadlines shows
    )
    return App(settings, db, taxonomy, templates, dispatcher)
