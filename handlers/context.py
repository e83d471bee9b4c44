"""The context a handler works in, and the stored conversation step with its buttons.

A step's buttons carry ``<token>:<action>`` as their data. The token is random per card and
stored with the step, so a press on an old card, or data forged by a client, does not match
and is refused. The same buttons work typed: by label on every channel, and by number where
the step does not itself ask for a number (the console shows buttons as numbered options).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.taxonomy import Taxonomy
from bot.messages import Address, Choice, Inbound, Reply
from bot.reports.rendering import ReportTemplates
from storage import audit
from storage.models import ConversationState, Member
from storage.queries.conversation import clear_state, save_state
from storage.queries.members import Affiliation

#: Characters ignored when a typed answer is compared with a button label.
_IGNORED = set(" \t\r\n　。.!！,，、“”\"'‘’「」【】[]()（）")


def normalize_answer(text: str) -> str:
    """Fold a typed answer for comparison: NFKC (full-width digits), no spaces or punctuation."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c not in _IGNORED)


@dataclass(frozen=True, slots=True)
class StepChoice:
    """A button of the current step: its label and the action it triggers."""

    label: str
    action: str


@dataclass(slots=True)
class Context:
    """Everything a handler may use for one inbound message.

    ``now`` is the message's arrival time in UTC; ``today`` the local date in ``tz``. ``state``
    is the stored step of this (channel, chat, user), or ``None``.
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

    async def enter(
        self, step: str, data: dict[str, Any], choices: list[list[StepChoice]], numbers: bool = True
    ) -> list[list[Choice]]:
        """Store ``step`` with ``data`` and fresh buttons; returns the buttons to show.

        ``numbers`` says whether a typed number picks a button (false where the step itself
        asks for a number, such as a head count).
        """
        token = secrets.token_hex(4)
        stored = dict(data)
        stored["_choices"] = [[[c.label, c.action] for c in row] for row in choices]
        stored["_numbers"] = numbers
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
        return [[Choice(c.label, f"{token}:{c.action}") for c in row] for row in choices]

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
        token = self.state.token
        rows = self.state.data.get("_choices", [])
        return [[Choice(label, f"{token}:{action}") for label, action in row] for row in rows]

    def pressed(self) -> str | bool | None:
        """The action of the current step that this message triggers.

        Returns the action for a valid button press or a typed label/number; ``None`` when the
        message is not an answer to the step's buttons; ``False`` for a button press whose token
        does not match the stored step (stale or forged).
        """
        inbound = self.inbound
        if inbound.choice is not None:
            if self.state is None:
                return False
            token, sep, action = inbound.choice.partition(":")
            if not sep or not secrets.compare_digest(token, self.state.token):
                return False
            known = {a for row in self.state.data.get("_choices", []) for _, a in row}
            return action if action in known else False
        if self.state is None:
            return None
        answer = normalize_answer(inbound.text)
        if not answer:
            return None
        flat = [
            (label, action) for row in self.state.data.get("_choices", []) for label, action in row
        ]
        for label, action in flat:
            if normalize_answer(label) == answer:
                return str(action)
        if self.state.data.get("_numbers") and answer.isdigit() and 1 <= int(answer) <= len(flat):
            return str(flat[int(answer) - 1][1])
        return None


def reply(text: str, choices: list[list[Choice]] | None = None, *, replace: bool = False) -> Reply:
    """Shorthand for a :class:`Reply`; ``replace`` only matters for a button press."""
    return Reply(text=text, choices=choices or [], replace=replace)
