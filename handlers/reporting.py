"""``/report [period]``: a draft 党建工作总结 for the secretary's organization."""

from __future__ import annotations

from bot.periods import parse_period
from bot.report import assemble_report
from handlers import texts
from handlers.context import Context, reply
from handlers.types import Reply


async def report(ctx: Context, argument: str) -> list[Reply]:
    """``/report``, ``/report 2026``, ``/report 2026H1``, ``/report 2026Q3`` (default: the
    current quarter). Secretaries and admins only. The adapter splits long text for its channel.
    """
    affiliation = ctx.reporting_affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.ONLY_SECRETARY.format(command="/report"))]
    try:
        period = parse_period(argument, ctx.today)
    except ValueError as exc:
        return [reply(str(exc))]
    draft = await assemble_report(
        ctx.session, affiliation.organization, period, ctx.today, ctx.taxonomy
    )
    return [reply(ctx.templates.render(draft, "text"))]
