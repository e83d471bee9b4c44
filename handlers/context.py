"""The context a handler works in: the message, the sender (member, roles), the stored
conversation step, the database session of this message, and what the bot is configured with.

Buttons and steps are described in :mod:`handlers.steps`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deadlines import PlanDefaults
from bot.domain.taxonomy import Taxonomy
from bot.domain.workdays import WorkdayCalendar
from bot.evidence import EvidenceIntake
from bot.messages import Address, Choice, Inbound, Reply
from bot.reports.rendering import ReportTemplates
from handlers import steps
from handlers.steps import Pressed, StepChoice, stored_buttons, wire_buttons
from storage import audit
from storage.models import ConversationState, Member, Role
from storage.queries.conversation import clear_state, save_state
from storage.queries.members import Affiliation

#: Roles that organize a branch's life: 书记, 党务干部, 管理员 (glossary).
ORGANIZING_ROLES = frozenset({Role.SECRETARY, Role.OFFICER, Role.ADMIN})


@dataclass(slots=True)
class Context:
    """Everything a handler may use for one inbound message.

    ``now`` is the message's arrival time in UTC; ``today`` the local date in ``tz``. ``state``
    is the stored step of this (channel, chat, user), or ``None``. ``reminder_defaults`` and
    ``calendar`` are the bot-wide deadlines and working days (``/deadlines``); ``help_for``
    writes the usage this sender sees (the command table's, :func:`handlers.commands.help_text`).
    ``evidence`` takes in the photos and files of the message (:mod:`bot.evidence`).
    """

    session: AsyncSession
    inbound: Inbound
    now: datetime
    tz: ZoneInfo
    taxonomy: Taxonomy
    templates: ReportTemplates
    member: Member | None
    affiliations: list[Affiliation]
    state: ConversationState | None
    reminder_defaults: PlanDefaults = field(default_factory=PlanDefaults)
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar)
    help_for: Callable[[Context], str] = lambda ctx: ""
    evidence: EvidenceIntake = field(default_factory=lambda: EvidenceIntake(None))

    @property
    def address(self) -> Address:
        """Where the message came from."""
        return self.inbound.address

    @property
    def today(self) -> date:
        """The local calendar date of the message."""
        return self.now.astimezone(self.tz).date()

    @property
    def affiliation(self) -> Affiliation | None:
        """The member's main organization (a branch first), or ``None`` for a stranger."""
        return self.affiliations[0] if self.affiliations else None

    @property
    def reporting_affiliation(self) -> Affiliation | None:
        """The first organization where the member may request reports, if any."""
        return next((a for a in self.affiliations if a.can_report()), None)

    @property
    def organizing_affiliation(self) -> Affiliation | None:
        """The first organization where the member organizes (secretary, officer or admin:
        may start a sign-in, attach evidence to others' records), if any."""
        return next((a for a in self.affiliations if a.roles & ORGANIZING_ROLES), None)

    def help(self) -> str:
        """The usage text for this sender (commands they may use)."""
        return self.help_for(self)

    async def enter(
        self, step: str, data: dict[str, Any], choices: list[list[StepChoice]], numbers: bool = True
    ) -> list[list[Choice]]:
        """Store ``step`` with ``data`` and fresh buttons; returns the buttons to show.

        ``numbers`` says whether a typed number picks a button (false where the step itself
        asks for a number, such as a head count).
        """
        token = secrets.token_hex(4)
        stored = {**data, **stored_buttons(choices, numbers)}
        await save_state(
            self.session,
            self.address.channel,
            self.address.chat_id,
            self.address.user_id,
            step,
            stored,
            token,
            self.now,
        )
        return wire_buttons(token, stored["_choices"])

    async def audit(
        self,
        action: str,
        organization_id: int | None,
        target: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        """Write an audit entry for the sender, in this message's transaction."""
        await audit.write(
            self.session,
            action,
            now=self.now,
            organization_id=organization_id,
            actor_id=self.member.id if self.member else None,
            target=target,
            details=details,
            channel=self.address.channel,
        )

    async def leave(self) -> None:
        """Forget the stored step."""
        await clear_state(
            self.session, self.address.channel, self.address.chat_id, self.address.user_id
        )
        self.state = None

    def step_data(self) -> dict[str, Any]:
        """The stored step's data without the button bookkeeping."""
        if self.state is None:
            return {}
        return {k: v for k, v in self.state.data.items() if not k.startswith("_")}

    def current_buttons(self) -> list[list[Choice]]:
        """The buttons of the stored step, as last shown (same token)."""
        if self.state is None:
            return []
        return wire_buttons(self.state.token, self.state.data.get("_choices", []))

    @property
    def stale_press(self) -> bool:
        """Whether this message is a button press that the stored step does not offer (an old
        card, a forged press): it is refused (:func:`handlers.steps.is_stale`)."""
        state = self.state
        return steps.is_stale(
            state.data if state else None, state.token if state else "", self.inbound
        )

    def pressed(self) -> Pressed | None:
        """The stored step's button this message answers (pressed or typed), or ``None`` for
        free text (:func:`handlers.steps.pressed`); check :attr:`stale_press` first."""
        return steps.pressed(self.state.data if self.state else None, self.inbound)


def reply(text: str, choices: list[list[Choice]] | None = None, *, replace: bool = False) -> Reply:
    """Shorthand for a :class:`Reply`; ``replace`` only matters for a button press."""
    return Reply(text=text, choices=choices or [], replace=replace)


#: A step's handler: the context and what was pressed (``None``: free text) -> the replies.
StepHandler = Callable[[Context, Pressed | None], Awaitable[list[Reply]]]


def merge_steps(*tables: Mapping[str, StepHandler]) -> dict[str, StepHandler]:
    """One step table from the conversation modules' tables.

    Raises:
        ValueError: two modules name the same step.
    """
    merged: dict[str, StepHandler] = {}
    for table in tables:
        for name, handler in table.items():
            if name in merged:
                raise ValueError(f"step {name!r} is defined twice")
            merged[name] = handler
    return merged
