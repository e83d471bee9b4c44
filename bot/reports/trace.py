"""Traceability: every number in a draft maps to the stored records behind it.

:meth:`bot.reports.draft.ReportDraft.figures` lists the draft's numbers, each with a filter
(:class:`bot.reports.draft.Basis`); :func:`trace` resolves the filters to record ids with one SQL
query
per figure and recomputes each value from those records (only when asked: ``djbot report
--trace``); :func:`render_trace` prints the table. :func:`unsupported_numbers` checks rendered
text: every Arabic number in it must be a figure's value, or belong to the date, period and
ordinal machinery (years, months, days, list numbers, the regulations' own wording).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.taxonomy import Taxonomy
from bot.reports.draft import Figure, ReportDraft
from storage.queries.reporting import records_behind


@dataclass(frozen=True, slots=True)
class TraceRow:
    """A figure, the ids of the records behind it (ascending) and the value recomputed from
    those records; ``ok`` when it equals the printed value."""

    figure: Figure
    record_ids: tuple[int, ...]
    recomputed: int

    @property
    def ok(self) -> bool:
        """Whether the records give the printed value."""
        return self.recomputed == self.figure.value


async def trace(session: AsyncSession, draft: ReportDraft) -> list[TraceRow]:
    """Resolve every figure of ``draft`` to its records (one query per figure; loads one row
    per record, so it is for ``--trace`` and tests, not for every report)."""
    rows: list[TraceRow] = []
    for figure in draft.figures():
        b = figure.basis
        found = await records_behind(
            session,
            b.organization_ids,
            b.start,
            b.end,
            status=b.status,
            activity_types=b.activity_types,
            with_participants=b.with_participants,
            record_id=b.record_id,
        )
        if figure.measure == "count":
            value = sum(count for _, count, _ in found)
        elif figure.measure == "participants":
            value = sum(p or 0 for _, _, p in found)
        else:
            value = len(found)
        rows.append(TraceRow(figure, tuple(i for i, _, _ in found), value))
    return rows


def compress_ids(ids: Iterable[int]) -> str:
    """``1-3,7,9-10`` for 1, 2, 3, 7, 9, 10 (ascending ids; runs of two or more joined)."""
    out: list[str] = []
    run: list[int] = []
    for i in ids:
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def render_trace(rows: Sequence[TraceRow]) -> str:
    """The trace as a tab-separated table with a Chinese header: 指标, 数值, 记录数, 核对
    (一致 / 不一致：记录合计N), 记录编号 (compressed runs)."""
    lines = ["指标\t数值\t记录数\t核对\t记录编号"]
    for row in rows:
        check = "一致" if row.ok else f"不一致：记录合计{row.recomputed}"
        lines.append(
            f"{row.figure.label}\t{row.figure.value}\t{len(row.record_ids)}\t{check}\t"
            f"{compress_ids(row.record_ids) or '—'}"
        )
    return "\n".join(lines) + "\n"


#: Numbers that are dates or periods: 2026年, 2026年3月, 3月15日, 8月, 2026-03-15.
_DATES = re.compile(
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月(?:\d{1,2}日)?|\d{4}-\d{2}-\d{2}"
)
#: A list item's number at the start of a line (``1. ``), also inside Markdown quotes.
_LIST_ITEM = re.compile(r"^(?:>\s*)?\d+\.\s", re.MULTILINE)
_NUMBER = re.compile(r"\d+")


def unsupported_numbers(text: str, draft: ReportDraft, taxonomy: Taxonomy) -> list[str]:
    """The Arabic numbers in ``text`` (a rendered draft) that no figure of ``draft`` supports,
    each with a little context (empty when every number is backed by records).

    Allowed without a figure: dates and periods (2026年, 3月15日, 8月), list item numbers at
    the start of a line, numbers inside the taxonomy's rule wordings and sources
    (一般每月召开1次) or in "少于要求的N次" where N is a rule's required count, and the titles
    of the records the draft names (their own words).
    """
    values = {f.value for f in draft.figures()}
    rules: set[str] = set()
    required: set[int] = set()
    for activity_type in taxonomy.types:
        if activity_type.frequency is not None:
            rules.add(activity_type.frequency.text)
            rules.add(activity_type.frequency.source)
            required.add(activity_type.frequency.times)
    # titles are quoted from the records named (notable and planned): their digits are the
    # records' own words, traceable by the record, not figures
    quoted = {r.title for s in draft.sections for line in s.lines for r in line.notable}
    quoted |= {item.title for item in draft.planned}
    masked = text
    for rule in sorted(rules | {q for q in quoted if q}, key=len, reverse=True):
        masked = masked.replace(rule, "#" * len(rule))
    masked = re.sub(
        r"少于要求的(\d+)次",
        lambda m: m.group(0) if int(m.group(1)) not in required else "#" * len(m.group(0)),
        masked,
    )
    masked = _DATES.sub(lambda m: "#" * len(m.group(0)), masked)
    masked = _LIST_ITEM.sub(lambda m: "#" * len(m.group(0)), masked)
    out: list[str] = []
    for m in _NUMBER.finditer(masked):
        if int(m.group(0)) not in values:
            out.append(text[max(0, m.start() - 12) : m.end() + 6].replace("\n", " "))
    return out
