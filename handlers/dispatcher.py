"""The dispatcher: one inbound message -> the right handler -> replies. Routing only.

Every message is handled in one database transaction: the member, their roles and the stored
conversation step are loaded, the handler runs, and its changes (records, the next step)
commit together. If anything fails, the transaction rolls back, so the user's half-entered
record stays as it was, and the user gets a Chinese apology instead of silence.

Routing, in order: in a group chat, only what is addressed to the bot (below); a command (the
table in :mod:`handlers.commands`, which also says who may use it; a ``private`` one asked in a
group is answered in the asker's private chat); a sign-in button (:mod:`handlers.signin`,
authenticated by the sign-in's own token); a reminder's "现在登记" button; a stale or forged
button press (refused); photos and files (:mod:`handlers.attachments`); a corrected name list
for an open card; the stored step's handler (the step tables of the conversation modules); for
a member, free text is read as activity records (:mod:`handlers.record_entry`).

In a group chat the bot acts on commands, messages that mention it or reply to it, button
presses (sign-ins; a card the presser opened) or their labels typed by that user, 签到 / 请假
typed while a sign-in is open there, the further photos of an album it is already taking in,
and a typed answer to a step that asks for one (a field being edited); any other chatter gets
no answer and is never read as a record.
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
from bot.evidence import EvidenceIntake, Limits
from bot.messages import Inbound, Reply
from bot.reports.rendering import ReportTemplates
from handlers import (
    attachments,
    commands,
    my_records,
    onboarding,
    record_entry,
    reminder_settings,
    signin,
    texts,
)
from handlers.context import Context, StepHandler, merge_steps, reply
from storage.database import Database
from storage.media import MediaStore
from storage.queries.conversation import load_state, lock_conversation
from storage.queries.members import affiliations, member_by_identity
from storage.queries.organizations import any_organization

log = logging.getLogger(__name__)

#: Longest text handled; longer input is cut (Telegram's own limit is 4096 characters).
MAX_TEXT = 4096

#: Every conversation step: step name -> handler.
STEPS: dict[str, StepHandler] = merge_steps(
    onboarding.STEPS, record_entry.STEPS, my_records.STEPS, attachments.STEPS
)

#: Steps that ask for typed input: in a group, an answer to them needs no mention of the bot.
TYPED_STEPS = frozenset({record_entry.EDIT_FIELD})


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
        media: where evidence files go (:mod:`storage.media`); ``None``: photos and files are
            answered with a Chinese note that none can be kept.
        evidence_limits: size limits and metadata removal for evidence (:class:`Limits`).
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
        media: MediaStore | None = None,
        evidence_limits: Limits | None = None,
    ) -> None:
        self.db = db
        self.tz = tz
        self.taxonomy = taxonomy
        self.templates = templates
        self.reminder_defaults = reminder_defaults or PlanDefaults()
        self.calendar = calendar or WorkdayCalendar()
        self.evidence = EvidenceIntake(media, evidence_limits)

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
                await lock_conversation(session, address.channel, address.chat_id, address.user_id)
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
                    evidence=self.evidence,
                )
                return await self._route(ctx)
        except Exception:
            log.exception("handler failed for %s", inbound.address)
            return [reply(texts.ERROR)]

    async def _route(self, ctx: Context) -> list[Reply]:
        command = split_command(ctx.inbound.text) if ctx.inbound.choice is None else None
        if command is None and (ctx.state is None or ctx.inbound.in_group):
            typed = await signin.typed_press(ctx)  # 签到 / 请假 typed while a sign-in is open
            if typed is not None:
                return typed
        if ctx.inbound.in_group and command is None and not addressed_in_group(ctx):
            return []  # group chatter: not for the bot
        if command is not None:
            name, argument = command
            found = commands.lookup(name, argument)
            if found is None:
                return [reply(texts.UNKNOWN_COMMAND.format(command=f"/{name}"[:40]))]
            refusal = commands.refusal(ctx, found[0])
            if refusal is not None:
                return [reply(refusal)]
            replies = await found[0].run(ctx, found[1])
            if found[0].private and ctx.inbound.in_group:
                return privately(ctx, replies)
            return replies
        if signin.is_signin_press(ctx):
            return await signin.on_press(ctx)
        if reminder_settings.is_record_now(ctx):  # a reminder's "现在登记" button
            return await reminder_settings.record_now(ctx)
        if ctx.stale_press:
            return [reply(texts.STALE_BUTTON)]
        if ctx.inbound.attachments:
            return await attachments.on_attachments(ctx)
        if attachments.is_names_correction(ctx):
            return await attachments.on_names(ctx)
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


def addressed_in_group(ctx: Context) -> bool:
    """Whether a group message that is not a command is for the bot: it mentions or replies
    to the bot, is a button press or a button of this user's step typed (``保存``), continues
    an album being taken in, or answers a step of this user that asks for typed input."""
    inbound = ctx.inbound
    return (
        inbound.mentions_bot
        or inbound.replies_to_bot
        or inbound.choice is not None
        or attachments.continues_album(ctx)
        or (ctx.state is not None and ctx.state.state in TYPED_STEPS)
        or (ctx.state is not None and ctx.pressed() is not None)
    )


def privately(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """``replies`` sent to the asker's private chat instead of the group, with a note in the
    group (a report or one's own records are not for everyone's eyes)."""
    to = ctx.inbound.private_address()
    moved = [replace(r, to=r.to or to, replace=False) for r in replies]
    name = ctx.member.name if ctx.member else ctx.inbound.display_name
    return [reply(texts.SENT_PRIVATELY.format(name=name)), *moved]
