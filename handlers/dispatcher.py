"""The dispatcher: one inbound message -> the right handler -> replies. Routing only.

Every message is handled in one database transaction: the member, their roles and the stored
conversation step are loaded, the handler runs, and its changes (records, the next step)
commit together. If anything fails, the transaction rolls back, so the user's half-entered
record stays as it was, and the user gets a Chinese apology instead of silence.

Routing, in order: a command (the table in :mod:`handlers.commands`, which also says who may
use it); a reminder's "现在登记" button; a stale or forged button press (refused); the stored
step's handler (the step tables of the conversation modules); for a member, free text is read
as activity records (:mod:`handlers.record_entry`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC
from zoneinfo import ZoneInfo

from bot.domain.deadlines import PlanDefaults
from bot.domain.taxonomy import Taxonomy
from bot.domain.workdays import WorkdayCalendar
from bot.messages import Inbound, Reply
from bot.reports.rendering import ReportTemplates
from handlers import commands, my_records, onboarding, record_entry, reminder_settings, texts
from handlers.context import Context, StepHandler, merge_steps, reply
from storage.database import Database
from storage.queries.conversation import load_state
from storage.queries.members import affiliations, member_by_identity
from storage.queries.organizations import any_organization

log = logging.getLogger(__name__)

#: Longest text handled; longer input is cut (Telegram's own limit is 4096 characters).
MAX_TEXT = 4096

#: Every conversation step: step name -> handler.
STEPS: dict[str, StepHandler] = merge_steps(onboarding.STEPS, record_entry.STEPS, my_records.STEPS)


def split_command(text: str) -> tuple[str, str] | None:
    """``"/delete 3"`` -> ``("delete", "3")``; ``/start@my_bot X`` -> ``("start", "X")``; a
    full-width slash counts too. ``None`` when the text is not a command."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/／":
        return None
    head, _, argument = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, argument.strip()


class ConversationDispatcher:
    """Routes inbound messages from any channel; holds no per-user state in memory.

    Args:
        db: the database (conversation state lives there, so several processes can share it).
        tz: the users' time zone; each message's local date comes from its ``received_at``.
        taxonomy: the activity taxonomy the reader and reports use.
        templates: the report templates.
        reminder_defaults: the bot-wide deadlines ``/deadlines`` shows and edits on top of
            (``PlanDefaults.from_settings``); the built-in defaults when omitted.
        calendar: working days for ``/deadlines``; the installed chinesecalendar when omitted.
    """

    def __init__(
        self,
        db: Database,
        *,
        tz: ZoneInfo,
        taxonomy: Taxonomy,
        templates: ReportTemplates,
        reminder_defaults: PlanDefaults | None = None,
        calendar: WorkdayCalendar | None = None,
    ) -> None:
        self.db = db
        self.tz = tz
        self.taxonomy = taxonomy
        self.templates = templates
        self.reminder_defaults = reminder_defaults or PlanDefaults()
        self.calendar = calendar or WorkdayCalendar()

    def menu(self) -> Sequence[tuple[str, str]]:
        """The command menu (:func:`handlers.commands.menu`)."""
        return commands.menu()

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; never raises for what a user sends (see module docstring)."""
        if len(inbound.text) > MAX_TEXT:
            inbound = replace(inbound, text=inbound.text[:MAX_TEXT])
        try:
            async with self.db.session() as session:
                address = inbound.address
                member = await member_by_identity(session, address.channel, address.user_id)
                ctx = Context(
                    session=session,
                    inbound=inbound,
                    now=inbound.received_at.astimezone(UTC),
                    tz=self.tz,
                    taxonomy=self.taxonomy,
                    templates=self.templates,
                    member=member,
                    affiliations=(await affiliations(session, member.id) if member else []),
                    state=await load_state(
                        session, address.channel, address.chat_id, address.user_id
                    ),
                    reminder_defaults=self.reminder_defaults,
                    calendar=self.calendar,
                    help_for=commands.help_text,
                )
                return await self._route(ctx)
        except Exception:
            log.exception("handler failed for %s", inbound.address)
            return [reply(texts.ERROR)]

    async def _route(self, ctx: Context) -> list[Reply]:
        command = split_command(ctx.inbound.text) if ctx.inbound.choice is None else None
        if command is not None:
            name, argument = command
            found = commands.BY_NAME.get(name)
            if found is None:
                return [reply(texts.UNKNOWN_COMMAND.format(command=f"/{name}"[:40]))]
            refusal = commands.refusal(ctx, found)
            if refusal is not None:
                return [reply(refusal)]
            return await found.run(ctx, argument)
        if reminder_settings.is_record_now(ctx):  # a reminder's "现在登记" button
            return await reminder_settings.record_now(ctx)
        if ctx.stale_press:
            return [reply(texts.STALE_BUTTON)]
        if ctx.state is not None:
            handler = STEPS.get(ctx.state.state)
            if handler is not None:
                return await handler(ctx, ctx.pressed())
            await ctx.leave()  # a step from an older version: forget it
        if ctx.member is None or ctx.affiliation is None:
            if not await any_organization(ctx.session):
                return [reply(texts.NO_ORGANIZATION_YET)]
            return [reply(texts.STRANGER)]
        return await record_entry.on_text(ctx)
