"""``/help``: what the bot does and which commands the sender may use."""

from __future__ import annotations

from handlers import texts
from handlers.context import Context


def help_text(ctx: Context) -> str:
    """Usage for this sender: members see recording commands; secretaries also /report, /invite."""
    if ctx.member is None:
        return texts.STRANGER
    text = texts.HELP_MEMBER
    if ctx.reporting_affiliation is not None:
        text += texts.HELP_SECRETARY_EXTRA
    return text
