"""``/report [period] [台账]``: a draft 党建工作总结 (text plus the Word file), or the ledger
(台账, an Excel file) of the secretary's organization."""

from __future__ import annotations

import logging

from bot.domain.periods import parse_period
from bot.messages import Document, Reply
from bot.reports.assembly import assemble_report
from bot.reports.docx import DOCX_MIME
from bot.reports.ledger import XLSX_MIME
from handlers import texts
from handlers.context import Context, reply
from storage.queries.reporting import ledger_entries

log = logging.getLogger(__name__)

#: Words after /report that ask for the ledger instead of the draft.
LEDGER_WORDS = frozenset({"台账", "xlsx", "excel", "表格"})
DOCX_FAILED = "（Word 文件未能生成：{error}。请检查 Word 模板，文字稿不受影响。）"
LEDGER_SENT = "{title}：{period}共{n}条活动记录，台账见附件（Excel）。"


async def report(ctx: Context, argument: str) -> list[Reply]:
    """``/report``, ``/report 2026``, ``/report 2026H1``, ``/report 2026Q3`` (default: the
    current quarter), optionally followed by ``台账`` for the Excel ledger. Secretaries and
    admins only.

    The draft comes as text (the adapter splits long text for its channel) with the .docx as a
    document: Telegram sends it as a file, the console saves it and prints the path. A broken
    Word template costs the file, not the text.
    """
    affiliation = ctx.reporting_affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.ONLY_SECRETARY.format(command="/report"))]
    words = argument.split()
    ledger = any(w.lower() in LEDGER_WORDS for w in words)
    period_text = " ".join(w for w in words if w.lower() not in LEDGER_WORDS)
    try:
        period = parse_period(period_text, ctx.today)
    except ValueError as exc:
        return [reply(str(exc))]
    organization = affiliation.organization
    await ctx.audit(
        "report.request",
        organization.id,
        f"organization:{organization.id}",
        {"period": period.key, "format": "xlsx" if ledger else "text+docx"},
    )
    draft = await assemble_report(ctx.session, organization, period, ctx.today, ctx.taxonomy)
    if ledger:
        from bot.reports.ledger import ledger_xlsx

        entries = await ledger_entries(
            ctx.session, draft.organization_ids, period.start, period.end
        )
        content = ledger_xlsx(entries, draft, draft.title)
        text = LEDGER_SENT.format(title=organization.name, period=period.label, n=len(entries))
        filename = f"{organization.name}{period.label}党建活动台账.xlsx"
        return [Reply(text=text, document=Document(filename, content, XLSX_MIME))]
    text = ctx.templates.render(draft, "text")
    try:
        content = ctx.templates.render_docx(draft)
    except (ValueError, OSError) as exc:
        log.warning("Word 文件生成失败：%s", exc)
        return [reply(text.rstrip("\n") + "\n\n" + DOCX_FAILED.format(error=exc))]
    return [Reply(text=text, document=Document(draft.filename(".docx"), content, DOCX_MIME))]
