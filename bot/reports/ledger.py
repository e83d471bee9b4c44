"""The ledger (台账) and the export formats: one row per activity record.

Three formats, chosen by the file's suffix, all readable by :mod:`bot.reports.importing` (so an
export can be imported again, into this or another installation):

* ``.jsonl``: one JSON object per line with the keys of :data:`FIELDS`;
* ``.csv``: the same keys as a header row, UTF-8 with a byte-order mark (Excel opens it right);
* ``.xlsx``: a workbook with a sheet ``台账`` (Chinese headers of :data:`FIELDS`, real dates)
  and a sheet ``汇总`` with the report's totals per category and type, the per-branch table of a
  committee and the gaps (openpyxl, write-only mode: memory stays flat for 100,000 rows).

Values: ``occurred_on`` ISO date (a date cell in .xlsx); ``status`` ``done``/``planned``
(已开展/计划 in .xlsx); ``approximate`` true/false (是/空 in .xlsx); ``participants`` empty when
not given; ``text`` the message the record was read from.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from storage.models import RecordStatus
from storage.queries.reporting import LedgerEntry

if TYPE_CHECKING:
    from bot.reports.draft import ReportDraft

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Machine key and Chinese header of each ledger column, in order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("record_id", "记录编号"),
    ("occurred_on", "日期"),
    ("activity_type", "活动类型"),
    ("category", "类别"),
    ("count", "数量"),
    ("unit", "单位"),
    ("approximate", "约数"),
    ("participants", "参加人数"),
    ("title", "标题"),
    ("status", "状态"),
    ("reporter", "报告人"),
    ("organization", "所属组织"),
    ("text", "原文"),
)
KEYS = tuple(key for key, _ in FIELDS)
STATUS_TEXT = {RecordStatus.DONE: "已开展", RecordStatus.PLANNED: "计划"}
#: Column widths of the 台账 sheet (characters).
_WIDTHS = (9, 12, 14, 12, 7, 6, 6, 9, 40, 8, 10, 18, 50)
EXPORT_SUFFIXES = (".jsonl", ".csv", ".xlsx")


def entry_values(entry: LedgerEntry) -> dict[str, Any]:
    """One record in the machine form of :data:`FIELDS` (JSON-ready)."""
    return {
        "record_id": entry.record_id,
        "occurred_on": entry.occurred_on.isoformat(),
        "activity_type": entry.activity_type,
        "category": entry.category,
        "count": entry.count,
        "unit": entry.unit,
        "approximate": entry.approximate,
        "participants": entry.participants,
        "title": entry.title,
        "status": str(entry.status),
        "reporter": entry.reporter,
        "organization": entry.organization,
        "text": entry.text,
    }


def write_jsonl(entries: Iterable[LedgerEntry], out: IO[str]) -> int:
    """Write JSON lines; returns how many records."""
    n = 0
    for entry in entries:
        out.write(json.dumps(entry_values(entry), ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(entries: Iterable[LedgerEntry], out: IO[str]) -> int:
    """Write CSV with a header of :data:`KEYS` (the caller opens ``out`` with
    ``encoding="utf-8-sig", newline=""``); returns how many records."""
    writer = csv.DictWriter(out, fieldnames=KEYS)
    writer.writeheader()
    n = 0
    for entry in entries:
        row = entry_values(entry)
        row["approximate"] = "true" if entry.approximate else "false"
        row["participants"] = "" if entry.participants is None else entry.participants
        writer.writerow(row)
        n += 1
    return n


def ledger_xlsx(
    entries: Sequence[LedgerEntry], draft: ReportDraft | None = None, title: str = "党建活动台账"
) -> bytes:
    """The ledger workbook: sheet ``台账`` (one row per record) and, with a ``draft``, sheet
    ``汇总`` first (the report's figures, per-branch table, gaps)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")

    def header(sheet: Any, labels: Sequence[str]) -> list[Any]:
        cells = []
        for label in labels:
            cell = WriteOnlyCell(sheet, value=label)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center")
            cells.append(cell)
        return cells

    if draft is not None:
        _summary_sheet(workbook, draft, header)

    sheet = workbook.create_sheet("台账")
    for i, width in enumerate(_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(FIELDS))}{len(entries) + 1}"
    sheet.append(header(sheet, [label for _, label in FIELDS]))
    for e in entries:
        day = WriteOnlyCell(sheet, value=datetime.combine(e.occurred_on, time()))
        day.number_format = "yyyy-mm-dd"
        sheet.append(
            [
                e.record_id,
                day,
                e.activity_type,
                e.category,
                e.count,
                e.unit,
                "是" if e.approximate else "",
                e.participants,
                e.title,
                STATUS_TEXT.get(e.status, str(e.status)),
                e.reporter,
                e.organization,
                e.text,
            ]
        )
    workbook.properties.title = title
    workbook.properties.creator = "dangjian-bot"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _summary_sheet(workbook: Any, draft: ReportDraft, header: Any) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = workbook.create_sheet("汇总")
    for letter, width in zip("ABCDEFG", (14, 16, 10, 8, 10, 14, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    title = WriteOnlyCell(sheet, value=draft.title)
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append(["报告期", draft.period.label, f"{draft.period.start}至{draft.period.end}"])
    sheet.append(["登记党建活动（项）", draft.total_records])
    sheet.append(["参与党员累计（人次）", draft.total_participants])
    sheet.append([])
    labels = ["类别", "活动类型", "数量", "单位", "记录数", "参与人次", "未登记人数的记录"]
    sheet.append(header(sheet, labels))
    for section in draft.sections:
        for line in section.lines:
            sheet.append(
                [
                    section.category,
                    line.activity_type,
                    line.count,
                    line.unit + ("（约数）" if line.approximate else ""),
                    line.records,
                    line.participants,
                    line.without_participants,
                ]
            )
    if draft.branches:
        sheet.append([])
        labels = [
            "党组织",
            "登记活动（项）",
            "参与党员（人次）",
            "三会一课（次）",
            "主题党日（次）",
        ]
        sheet.append(header(sheet, labels))
        for b in draft.branches:
            sheet.append([b.name, b.records, b.participants, b.core_meetings, b.party_days])
    gaps = [(draft.organization_name, g) for g in draft.gap_lines] + [
        (b.name, g) for b in draft.branches for g in b.gaps
    ]
    if gaps:
        sheet.append([])
        sheet.append(header(sheet, ["党组织", "频次缺项（请核实）", "要求", "依据"]))
        for name, gap in gaps:
            sheet.append([name, gap.text, gap.rule, gap.source])


def export_entries(
    entries: Sequence[LedgerEntry], path: Path, draft: ReportDraft | None = None
) -> int:
    """Write ``entries`` to ``path`` in the format of its suffix (:data:`EXPORT_SUFFIXES`);
    returns how many records.

    Raises:
        ValueError: for another suffix (Chinese message).
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as out:
            return write_jsonl(entries, out)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            return write_csv(entries, out)
    if suffix == ".xlsx":
        path.write_bytes(ledger_xlsx(entries, draft))
        return len(entries)
    raise ValueError(f"不支持的导出格式“{path.suffix}”：请使用 .jsonl、.csv 或 .xlsx")
