"""``djbot report``, ``djbot import`` and ``djbot export``: drafts, ledgers and data in and out.

::

    djbot report --org ID [--period P] [--format text|md|docx|xlsx] [--out FILE] [--trace]
                 [--today YYYY-MM-DD]
    djbot import --org ID FILE [--today YYYY-MM-DD] [--allow-repeat]    # .jsonl .csv .xlsx
    djbot export --org ID [--period P] FILE [--today YYYY-MM-DD]        # .jsonl .csv .xlsx

Periods: ``2026``, ``2026H1``, ``2026Q3``, ``2026-03``, ``2026-03-01..2026-05-31`` (default:
this quarter; :func:`bot.domain.periods.parse_period`). ``docx`` and ``xlsx`` are written to
``--out``
or to a file named after the report's title in the current directory, and the path is
printed. ``--trace`` prints, after the report, every number with the records behind it and
checks the text for numbers no record supports.

Exit codes: 0 done; 1 an unknown organization, rejected import rows or an unsupported number
found by ``--trace``; 2 bad arguments (period, format). This is the adapter layer: it reads the
wall clock and passes ``today``/``now`` down; heavy modules are imported inside the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import common

if TYPE_CHECKING:
    from bot.app import App


REPORT_FORMATS = ("text", "md", "docx", "xlsx")


async def _report(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from bot.reports.assembly import assemble_report

    settings = common.settings()
    today = common.local_today(settings, args.today)
    period = common.period_or_none(args.period or "", today)
    if period is None:
        return 2
    app = await open_app(settings)
    try:
        org = await common.organization_or_none(app, args.org)
        if org is None:
            return 1
        async with app.db.session() as session:
            draft = await assemble_report(session, org, period, today, app.taxonomy)
            entries = []
            if args.format == "xlsx":
                from storage.queries.reporting import ledger_entries

                entries = await ledger_entries(
                    session, draft.organization_ids, period.start, period.end
                )
            rows = []
            if args.trace:
                from bot.reports.trace import trace

                rows = await trace(session, draft)
        if args.format in ("text", "md"):
            text = app.templates.render(draft, args.format)
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
                print(f"已写入 {args.out}")
            else:
                sys.stdout.write(text)
        else:
            if args.format == "docx":
                content = app.templates.render_docx(draft)
            else:
                from bot.reports.ledger import ledger_xlsx

                content = ledger_xlsx(entries, draft, draft.title)
            out = Path(args.out) if args.out else Path(draft.filename(f".{args.format}"))
            out.write_bytes(content)
            print(f"已写入 {out.resolve()}")
    finally:
        await app.close()
    if args.trace:
        return _print_trace(app, draft, rows)
    return 0


def _print_trace(app: App, draft: Any, rows: Any) -> int:
    from bot.reports.trace import render_trace, unsupported_numbers

    print("\n数据溯源（每个数字对应的活动记录）：")
    sys.stdout.write(render_trace(rows))
    text = app.templates.render(draft, "text")
    loose = unsupported_numbers(text, draft, app.taxonomy)
    mismatched = [r for r in rows if not r.ok]
    if loose:
        print(f"以下数字没有对应的活动记录：{'；'.join(loose)}", file=sys.stderr)
    if mismatched:
        print(f"{len(mismatched)}个数字与记录合计不一致。", file=sys.stderr)
    if loose or mismatched:
        return 1
    print("核对完成：文中数字均有活动记录支持。")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``djbot report``."""
    return asyncio.run(_report(args))


async def _import(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from bot.reports.importing import ImportRejected, import_file

    settings = common.settings()
    today = common.local_today(settings, args.today)
    app = await open_app(settings)
    try:
        org = await common.organization_or_none(app, args.org)
        if org is None:
            return 1
        try:
            async with app.db.session() as session:
                result = await import_file(
                    session,
                    org,
                    Path(args.file),
                    app.taxonomy,
                    today,
                    datetime.now(UTC),
                    allow_repeat=args.allow_repeat,
                )
        except ImportRejected as rejected:
            print(rejected.summary(), file=sys.stderr)
            return 1
    finally:
        await app.close()
    print(f"已导入{result.imported}条记录（{org.name}）。")
    if result.moved_from:
        print(f"文件中的记录属于“{result.moved_from}”，已全部导入“{org.name}”。")
    if result.new_members:
        print(f"新建成员（尚未绑定聊天账号）：{'、'.join(result.new_members)}")
    if result.ignored_columns:
        print(f"已忽略的列：{'、'.join(result.ignored_columns)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``djbot import``."""
    return asyncio.run(_import(args))


async def _export(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from bot.reports.assembly import assemble_report
    from bot.reports.ledger import EXPORT_SUFFIXES, export_entries
    from storage.queries.organizations import organization_tree_ids
    from storage.queries.reporting import ledger_entries

    path = Path(args.file)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        print(f"不支持的导出格式“{path.suffix}”：请使用 .jsonl、.csv 或 .xlsx", file=sys.stderr)
        return 2
    settings = common.settings()
    today = common.local_today(settings, args.today)
    period = common.period_or_none(args.period or "", today)
    if period is None:
        return 2
    app = await open_app(settings)
    try:
        org = await common.organization_or_none(app, args.org)
        if org is None:
            return 1
        async with app.db.session() as session:
            ids = await organization_tree_ids(session, org.id)
            entries = await ledger_entries(session, ids, period.start, period.end)
            draft = None
            if path.suffix.lower() == ".xlsx":
                draft = await assemble_report(session, org, period, today, app.taxonomy)
    finally:
        await app.close()
    n = export_entries(entries, path, draft)
    print(f"已导出{n}条记录（{org.name}，{period.label}）到 {path.resolve()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``djbot export``."""
    return asyncio.run(_export(args))


def register(sub: Any) -> None:
    """Add ``report``, ``import`` and ``export``."""
    p = sub.add_parser("report", help="生成党建工作总结草稿（文本、Markdown、Word）或台账（Excel）")
    p.add_argument("--org", type=int, required=True, help="组织编号")
    p.add_argument("--period", default="", help="报告期：2026、2026H1、2026Q3、2026-03……默认本季度")
    p.add_argument("--format", default="text", choices=REPORT_FORMATS)
    p.add_argument("--out", help="输出文件（docx/xlsx 默认以标题命名，写在当前目录）")
    p.add_argument("--trace", action="store_true", help="列出每个数字对应的活动记录并核对")
    p.add_argument("--today", help="今天的日期（YYYY-MM-DD）")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("import", help="从 JSONL、CSV 或 XLSX 文件导入活动记录（全部成功才导入）")
    p.add_argument("--org", type=int, required=True, help="组织编号")
    p.add_argument("file", help="文件（.jsonl、.csv、.xlsx）")
    p.add_argument("--today", help="今天的日期（YYYY-MM-DD），用于原文中的相对日期")
    p.add_argument("--allow-repeat", action="store_true", help="允许再次导入同一文件")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="导出活动记录（.jsonl、.csv、.xlsx 台账），可再导入")
    p.add_argument("--org", type=int, required=True, help="组织编号")
    p.add_argument("--period", default="", help="报告期，默认本季度")
    p.add_argument("file", help="文件（.jsonl、.csv、.xlsx）")
    p.add_argument("--today", help="今天的日期（YYYY-MM-DD）")
    p.set_defaults(func=cmd_export)
