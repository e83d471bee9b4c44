"""Traceability: every number a draft prints maps to the records behind it, for every period
kind, for a branch and a committee, in text, Markdown and the Word file's paragraphs."""

from __future__ import annotations

from datetime import date

from test_report import ALL_PERIODS, TAXONOMY, add, generated_year, new_org

from bot.reports.assembly import assemble_report
from bot.reports.rendering import ReportTemplates
from bot.reports.trace import compress_ids, render_trace, trace, unsupported_numbers
from storage.database import Database
from storage.models import ActivityRecord, OrganizationKind


async def test_every_number_in_every_draft_is_backed_by_records(db: Database) -> None:
    committee = await new_org(db, "机关党委", kind=OrganizationKind.COMMITTEE)
    branch = await new_org(db, "第一党支部", parent_id=committee.id)
    other = await new_org(db, "第二党支部", parent_id=committee.id)
    await generated_year(db, branch.id, 200)
    await add(db, other.id, "集中学习", date(2026, 4, 9), count=30, approximate=True)
    await add(db, other.id, "主题党日", date(2026, 8, 1), participants=17, title="重温入党誓词")
    for day in (date(2026, 12, 20), date(2027, 2, 3)):
        await add(db, branch.id, "党课", day, status="planned", title="书记讲党课")
    templates = ReportTemplates()
    checked = 0
    for org in (branch, committee):
        for period in ALL_PERIODS:
            async with db.session() as session:
                draft = await assemble_report(session, org, period, date(2026, 12, 1), TAXONOMY)
                rows = await trace(session, draft)
            for row in rows:
                assert row.ok, (org.name, period.key, row.figure.label, row.recomputed)
                assert row.figure.value == 0 or row.record_ids, row.figure.label
            for fmt in ("text", "md", "docx"):
                text = templates.render(draft, fmt)
                assert unsupported_numbers(text, draft, TAXONOMY) == [], (org.name, period, fmt)
                checked += 1
    assert checked == 2 * len(ALL_PERIODS) * 3


async def test_a_number_without_records_is_caught(db: Database) -> None:
    org = await new_org(db, "第三党支部")
    await add(db, org.id, "主题党日", date(2026, 7, 5), participants=23, title="赴纪念馆")
    await add(db, org.id, "主题党日", date(2026, 8, 5), participants=21)
    async with db.session() as session:
        draft = await assemble_report(session, org, ALL_PERIODS[0], date(2026, 12, 31), TAXONOMY)
        before = await trace(session, draft)
        # the records change after the draft was made: the trace no longer agrees
        record = await session.get(ActivityRecord, 2)
        assert record is not None
        record.participants = 30
        await session.flush()
        after = await trace(session, draft)
    assert all(row.ok for row in before)
    stale = [row.figure.label for row in after if not row.ok]
    assert stale == ["参与党员累计（人次）", "主题党日参与党员（人次）"]
    text = ReportTemplates().render(draft)
    assert "参与党员累计44人次" in text and unsupported_numbers(text, draft, TAXONOMY) == []
    forged = text.replace("参与党员累计44人次", "参与党员累计45人次") + "\n另开展活动7次。\n"
    loose = unsupported_numbers(forged, draft, TAXONOMY)
    # the total and the type line both say 45; the invented sentence says 7
    assert ["45人次" in c or "活动7次" in c for c in loose] == [True, True, True]
    assert sum("活动7次" in c for c in loose) == 1
    table = render_trace(before)
    assert table.splitlines()[0] == "指标\t数值\t记录数\t核对\t记录编号"
    assert "主题党日（次）\t2\t2\t一致\t1-2" in table


def test_record_ids_are_compressed_into_runs() -> None:
    assert compress_ids([1, 2, 3, 7, 9, 10]) == "1-3,7,9-10"
    assert compress_ids([]) == ""
    assert compress_ids([5]) == "5"


async def test_bounded_notable_query_picks_what_the_full_window_picks(db: Database) -> None:
    """The floors from the monthly maxima only skip rows that cannot be among the top."""
    from bot.reports.assembly import NOTABLE_PER_TYPE, notable_floors
    from storage.queries.reporting import monthly_totals, notable_records

    org = await new_org(db, "第四党支部")
    await generated_year(db, org.id, 600)
    for period in ALL_PERIODS:
        async with db.session() as session:
            months = await monthly_totals(session, [org.id], period.start, period.end)
            floors = notable_floors(months)
            full = await notable_records(
                session, [org.id], period.start, period.end, NOTABLE_PER_TYPE
            )
            bounded = await notable_records(
                session, [org.id], period.start, period.end, NOTABLE_PER_TYPE, floors
            )
        assert [r.id for r in bounded] == [r.id for r in full], period.key
        assert floors or period.kind == "month"
