"""Report drafts from stored records: exact totals for each kind of period, gaps named,
categories in taxonomy order, committee roll-up, office templates."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.gaps import activity_verb
from bot.periods import Period, half, month, parse_period, quarter, year
from bot.report import ReportTemplates, assemble_report, chinese_number
from bot.taxonomy import load_taxonomy
from storage import queries
from storage.database import Database
from storage.models import Organization, OrganizationKind

NOW = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)
TAXONOMY = load_taxonomy()


async def add(db: Database, org_id: int, activity_type: str, day: date, **extra: object) -> None:
    t = TAXONOMY.get(activity_type)
    fields: dict[str, object] = {
        "organization_id": org_id,
        "activity_type": t.name,
        "category": t.category,
        "unit": t.unit,
        "occurred_on": day,
        "count": 1,
        "participants": None,
        "title": "",
        "status": "done",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(extra)
    async with db.session() as session:
        await queries.add_record(session, **fields)


async def new_org(db: Database, name: str, **kw: object) -> Organization:
    async with db.session() as session:
        return await queries.create_organization(session, name, NOW, **kw)  # type: ignore[arg-type]


async def draft_text(db: Database, org: Organization, period: Period, today: date) -> str:
    async with db.session() as session:
        draft = await assemble_report(session, org, period, today, TAXONOMY)
    return ReportTemplates().render(draft, "text")


def expected_phrase(activity_type: str, count: int, participants: int) -> str:
    unit = TAXONOMY.get(activity_type).unit
    verb = "" if activity_type == "发展党员" else activity_verb(activity_type)
    text = f"共{verb}{activity_type}{count}{unit}"
    return text + (f"，参与党员累计{participants}人次" if participants else "")


async def test_generated_year_matches_hand_computed_totals(db: Database) -> None:
    org = await new_org(db, "统计局机关党支部")
    rng = random.Random(20261231)
    types = [t.name for t in TAXONOMY.types]
    generated = []
    for _ in range(300):
        activity_type = rng.choice(types)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        count = rng.choice([1, 1, 1, 2, 3])
        participants = rng.choice([None, rng.randrange(3, 60)])
        generated.append((activity_type, day, count, participants))
        await add(db, org.id, activity_type, day, count=count, participants=participants)

    for period in (year(2026), half(2026, 1), half(2026, 2), quarter(2026, 3), month(2026, 8)):
        counts: Counter[str] = Counter()
        people: Counter[str] = Counter()
        for activity_type, day, count, participants in generated:
            if day in period:
                counts[activity_type] += count
                people[activity_type] += participants or 0
        text = draft_text_result = await draft_text(db, org, period, date(2026, 12, 31))
        for activity_type, count in counts.items():
            phrase = expected_phrase(activity_type, count, people[activity_type])
            assert f"{period.span_word}{phrase}" in text, (period.key, phrase)
        absent = set(types) - set(counts)
        for activity_type in absent:
            assert f"{activity_type}{1}" not in draft_text_result.split("二、存在的问题")[0]
        total = sum(1 for _, day, _, _ in generated if day in period)
        assert f"共登记党建活动{total}项" in text


async def test_sections_follow_taxonomy_order_and_count_only_live_done_records(
    db: Database,
) -> None:
    org = await new_org(db, "第二党支部")
    await add(
        db, org.id, "主题党日", date(2026, 7, 5), participants=21, title="赴纪念馆开展主题党日"
    )
    await add(db, org.id, "主题党日", date(2026, 8, 5), participants=23)
    await add(db, org.id, "主题党日", date(2026, 9, 5), status="planned", participants=40)
    await add(db, org.id, "第一议题学习", date(2026, 7, 2))
    await add(db, org.id, "集中学习", date(2026, 7, 9), count=30, approximate=True)
    await add(db, org.id, "廉政党课", date(2026, 8, 9), deleted_at=NOW)
    text = await draft_text(db, org, quarter(2026, 3), date(2026, 9, 30))
    assert text.startswith("第二党支部2026年第三季度党建工作总结")
    politics = text.index("（一）政治建设方面")
    thought = text.index("（二）思想建设方面")
    organization = text.index("（三）组织建设方面")
    assert politics < thought < organization
    assert "党风廉政建设方面" not in text  # its only record was deleted
    assert "本季度共开展主题党日2次，参与党员累计44人次" in text
    assert "7月5日，赴纪念馆开展主题党日" in text
    assert "本季度共开展集中学习30余次" in text
    assert "9月5日" in text.split("三、下一步工作计划")[1]  # the planned one feeds the plans


async def test_gaps_name_the_month_and_the_quarter(db: Database) -> None:
    org = await new_org(db, "第三党支部")
    for m in range(1, 13):
        if m != 8:
            await add(db, org.id, "支委会", date(2026, m, 10))
        await add(db, org.id, "党小组会", date(2026, m, 11))
        await add(db, org.id, "主题党日", date(2026, m, 12))
    for q in (1, 2, 4):
        await add(db, org.id, "支部党员大会", date(2026, 3 * q, 1))
        await add(db, org.id, "党课", date(2026, 3 * q, 2))
    text = await draft_text(db, org, year(2026), date(2026, 12, 31))
    problems = text.split("二、存在的问题")[1].split("三、")[0]
    assert "8月未召开支委会" in problems
    assert "第三季度未召开支部党员大会" in problems
    assert "第三季度未讲授党课" in problems
    assert "全年尚未召开组织生活会" in problems or "全年未召开组织生活会" in problems
    assert "7月未召开支委会" not in problems
    assert "党小组会" not in problems and "主题党日" not in problems
    # a quarter report only judges that quarter's months
    q3 = await draft_text(db, org, quarter(2026, 3), date(2026, 12, 31))
    assert "8月未召开支委会" in q3 and "组织生活会" not in q3
    # nothing is flagged for months that have not begun
    early = await draft_text(db, org, year(2026), date(2026, 2, 15))
    assert "8月" not in early


async def test_committee_rolls_up_its_branches(db: Database) -> None:
    committee = await new_org(db, "机关党委", kind=OrganizationKind.COMMITTEE)
    first = await new_org(db, "第一党支部", parent_id=committee.id)
    second = await new_org(db, "第二党支部", parent_id=committee.id)
    other = await new_org(db, "无关党支部")
    await add(db, first.id, "主题党日", date(2026, 10, 5), participants=10)
    await add(db, second.id, "主题党日", date(2026, 10, 6), participants=12)
    await add(db, other.id, "主题党日", date(2026, 10, 7), participants=99)
    text = await draft_text(db, committee, quarter(2026, 4), date(2026, 12, 31))
    assert "本季度共开展主题党日2次，参与党员累计22人次" in text
    assert "未召开" not in text  # gaps are a branch's, not a committee's


async def test_empty_period_says_so_without_numbers(db: Database) -> None:
    org = await new_org(db, "新党支部")
    text = await draft_text(db, org, quarter(2026, 1), date(2026, 1, 1))
    achievements = text.split("一、主要工作成效")[1].split("二、存在的问题")[0]
    assert "暂无已登记的活动记录" in achievements
    assert not any(ch.isdigit() for ch in achievements)


async def test_an_office_template_overrides_the_shipped_one(db: Database, tmp_path: Path) -> None:
    org = await new_org(db, "第四党支部")
    await add(db, org.id, "支委会", date(2026, 10, 5))
    (tmp_path / "report_quarter.txt.j2").write_text(
        "{{ draft.title }}｜{% for s in draft.sections %}{% for l in s.lines %}"
        "{{ l.activity_type }}={{ l.count }}{% endfor %}{% endfor %}\n",
        encoding="utf-8",
    )
    async with db.session() as session:
        draft = await assemble_report(session, org, quarter(2026, 4), date(2026, 12, 1), TAXONOMY)
    assert (
        ReportTemplates(tmp_path).render(draft)
        == "第四党支部2026年第四季度党建工作总结｜支委会=1\n"
    )
    # the year template is still the shipped one
    assert "一、主要工作成效" in ReportTemplates(tmp_path).render(
        await _year_draft(db, org), "text"
    )


async def _year_draft(db: Database, org: Organization):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return await assemble_report(session, org, year(2026), date(2026, 12, 1), TAXONOMY)


def test_period_forms() -> None:
    today = date(2026, 11, 21)
    assert parse_period("", today) == quarter(2026, 4)
    assert parse_period("2026H1", today).label == "2026年上半年"
    assert parse_period("2026Q3", today).end == date(2026, 9, 30)
    assert parse_period("2026-02", today).end == date(2026, 2, 28)
    custom = parse_period("2026-03-01..2026-05-31", today)
    assert (custom.start, custom.end, custom.kind) == (
        date(2026, 3, 1),
        date(2026, 5, 31),
        "custom",
    )
    assert parse_period("上季度", today) == quarter(2026, 3)
    assert parse_period("2026年第三季度", today) == quarter(2026, 3)
    for bad in ("2026Q5", "2026-13", "明年", "2026-05-31..2026-03-01"):
        try:
            parse_period(bad, today)
        except ValueError as exc:
            assert "报告期" in str(exc) or "无效" in str(exc)
        else:
            raise AssertionError(bad)


def test_chinese_numbers() -> None:
    assert [chinese_number(n) for n in (1, 10, 11, 20, 23, 99)] == [
        "一",
        "十",
        "十一",
        "二十",
        "二十三",
        "九十九",
    ]
