"""Report drafts from stored records: exact totals for each kind of period, gaps named,
categories in taxonomy order, committee roll-up with a per-branch table, templates per period
kind, office templates."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.domain.gaps import Gap, activity_verb, group_gaps
from bot.domain.periods import Period, PeriodKind, half, month, parse_period, quarter, year
from bot.domain.taxonomy import load_taxonomy
from bot.reports.assembly import assemble_report, plan_horizon
from bot.reports.formatting import chinese_number
from bot.reports.rendering import ReportTemplates
from storage.database import Database
from storage.models import Organization, OrganizationKind
from storage.queries.organizations import create_organization
from storage.queries.records import add_record, insert_records

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
        await add_record(session, **fields)


async def new_org(db: Database, name: str, **kw: object) -> Organization:
    async with db.session() as session:
        return await create_organization(session, name, NOW, **kw)  # type: ignore[arg-type]


async def draft_text(db: Database, org: Organization, period: Period, today: date) -> str:
    async with db.session() as session:
        draft = await assemble_report(session, org, period, today, TAXONOMY)
    return ReportTemplates().render(draft, "text")


def expected_phrase(activity_type: str, count: int, participants: int) -> str:
    unit = TAXONOMY.get(activity_type).unit
    verb = "" if activity_type == "发展党员" else activity_verb(activity_type)
    text = f"共{verb}{activity_type}{count}{unit}"
    return text + (f"，参与党员累计{participants}人次" if participants else "")


ALL_PERIODS = (
    year(2026),
    half(2026, 1),
    half(2026, 2),
    *(quarter(2026, q) for q in range(1, 5)),
    month(2026, 8),
    Period(PeriodKind.CUSTOM, date(2026, 3, 1), date(2026, 5, 31)),
)


async def generated_year(
    db: Database, org_id: int, n: int = 300
) -> list[tuple[str, date, int, int | None]]:
    """``n`` seeded random done records of 2026 (type, date, count, participants), inserted."""
    rng = random.Random(20261231)
    types = [t.name for t in TAXONOMY.types]
    generated = []
    rows = []
    for i in range(n):
        activity_type = rng.choice(types)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        count = rng.choice([1, 1, 1, 2, 3])
        participants = rng.choice([None, rng.randrange(3, 60)])
        generated.append((activity_type, day, count, participants))
        t = TAXONOMY.get(activity_type)
        rows.append(
            {
                "organization_id": org_id,
                "activity_type": activity_type,
                "category": t.category,
                "unit": t.unit,
                "occurred_on": day,
                "count": count,
                "approximate": False,
                "participants": participants,
                "title": f"第{i}号活动",
                "status": "done",
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    async with db.session() as session:
        await insert_records(session, rows)
    return generated


async def test_generated_year_matches_hand_computed_totals(db: Database) -> None:
    org = await new_org(db, "统计局机关党支部")
    generated = await generated_year(db, org.id)
    types = [t.name for t in TAXONOMY.types]
    for period in ALL_PERIODS:
        counts: Counter[str] = Counter()
        people: Counter[str] = Counter()
        missing: Counter[str] = Counter()
        for activity_type, day, count, participants in generated:
            if day in period:
                counts[activity_type] += count
                people[activity_type] += participants or 0
                missing[activity_type] += participants is None
        text = await draft_text(db, org, period, date(2026, 12, 31))
        achievements = text.split("二、")[0]
        for activity_type, count in counts.items():
            phrase = expected_phrase(activity_type, count, people[activity_type])
            if people[activity_type] and missing[activity_type]:
                phrase += f"（另有{missing[activity_type]}条记录未登记参加人数）"
            assert f"{period.span_word}{phrase}" in achievements, (period.key, phrase)
        for activity_type in set(types) - set(counts):
            assert activity_type not in achievements, (period.key, activity_type)
        total = sum(1 for _, day, _, _ in generated if day in period)
        total_people = sum(p or 0 for _, day, _, p in generated if day in period)
        assert f"共登记党建活动{total}项，参与党员累计{total_people}人次" in text


async def test_sections_follow_taxonomy_order_and_count_only_live_done_records(
    db: Database,
) -> None:
    org = await new_org(db, "第二党支部")
    await add(
        db, org.id, "主题党日", date(2026, 7, 5), participants=21, title="赴纪念馆开展主题党日"
    )
    await add(db, org.id, "主题党日", date(2026, 8, 5), participants=23)
    await add(db, org.id, "主题党日", date(2026, 9, 5), status="planned", participants=40)
    await add(db, org.id, "支委会", date(2026, 10, 8), status="planned", title="研究四季度工作")
    await add(db, org.id, "党课", date(2026, 9, 1), status="planned", title="过期的计划")
    await add(db, org.id, "第一议题学习", date(2026, 7, 2))
    await add(db, org.id, "集中学习", date(2026, 7, 9), count=30, approximate=True)
    await add(db, org.id, "廉政党课", date(2026, 8, 9), deleted_at=NOW)
    text = await draft_text(db, org, quarter(2026, 3), date(2026, 9, 2))
    assert text.startswith("第二党支部2026年第三季度党建工作总结")
    politics = text.index("（一）政治建设方面")
    thought = text.index("（二）思想建设方面")
    organization = text.index("（三）组织建设方面")
    assert politics < thought < organization
    assert "党风廉政建设方面" not in text  # its only record was deleted
    assert "本季度共开展主题党日2次，参与党员累计44人次" in text
    assert "7月5日，赴纪念馆开展主题党日" in text
    assert "本季度共开展集中学习30余次" in text
    plans = text.split("三、下一步工作计划")[1]
    # planned records from today to the end of the next quarter feed the plans, by date;
    # a plan dated before today was never confirmed as held and is no plan any more
    assert "1. 9月5日，主题党日。\n2. 10月8日，研究四季度工作。" in plans
    assert "过期的计划" not in text
    assert "40" not in text  # a planned record's head count is no achievement


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
    general = await new_org(
        db, "机关第二党总支", kind=OrganizationKind.GENERAL_BRANCH, parent_id=committee.id
    )
    third = await new_org(db, "第三党支部", parent_id=general.id)
    await add(db, third.id, "支委会", date(2026, 10, 9), participants=5, count=3)
    await add(db, third.id, "党课", date(2026, 11, 9), participants=30)
    after = date(2027, 1, 5)  # drafted after the quarter: every month of it has ended
    text = await draft_text(db, committee, quarter(2026, 4), after)
    assert text.startswith("机关党委2026年第四季度党建工作总结")
    assert "本季度共登记党建活动4项，参与党员累计57人次" in text
    assert "本季度共开展主题党日2次，参与党员累计22人次" in text
    assert "99" not in text  # the unrelated branch is not summed
    # per-branch table: every branch below, also under a general branch
    table = text.split("附表：各党支部党建活动情况")[1]
    assert "1. 第一党支部：登记活动1项，参与党员累计10人次，三会一课0次，主题党日1次。" in table
    assert "2. 第二党支部：登记活动1项，参与党员累计12人次，三会一课0次，主题党日1次。" in table
    assert "4. 第三党支部：登记活动2项，参与党员累计35人次，三会一课4次，主题党日0次。" in table
    assert "机关第二党总支：登记活动0项" in table
    # gaps are judged branch by branch and named with the branch
    problems = text.split("二、存在的问题")[1].split("三、")[0]
    assert (
        "1. 第一党支部：第四季度未讲授党课；第四季度未召开支部党员大会；10月至12月未召开支委会"
        in problems
    )
    assert "第三党支部：第四季度未召开支部党员大会；11月、12月未召开支委会" in problems
    assert "机关第二党总支：" not in problems  # a general branch has no branch rules
    plans = text.split("三、下一步工作计划")[1]
    assert (
        "严格落实支委会制度，一般每月召开1次，重点督促第一党支部、第二党支部、第三党支部" in plans
    )
    # Markdown: a real table
    async with db.session() as session:
        draft = await assemble_report(session, committee, quarter(2026, 4), after, TAXONOMY)
    md = ReportTemplates().render(draft, "md")
    assert "| 第三党支部 | 2 | 35 | 4 | 0 |" in md


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


def test_templates_differ_by_period_kind() -> None:
    """Quarterly: short; half-year: 下半年工作安排; annual: the next year's plan."""
    from bot.reports.draft import ReportDraft

    def draft(period: Period) -> ReportDraft:
        return ReportDraft("第一党支部", (1,), False, period, date(2026, 12, 31), [], [], [])

    templates = ReportTemplates()
    q = templates.render(draft(quarter(2026, 3)))
    h1 = templates.render(draft(half(2026, 1)))
    h2 = templates.render(draft(half(2026, 2)))
    y = templates.render(draft(year(2026)))
    m = templates.render(draft(month(2026, 3)))
    assert q.startswith("第一党支部2026年第三季度党建工作总结\n")
    assert "三、下一步工作计划" in q and "现将本季度工作情况报告如下" in q
    assert h1.startswith("第一党支部2026年上半年党建工作总结和下半年工作安排\n")
    assert "三、下半年工作安排" in h1 and "一、主要做法和取得的成效" in h1
    assert h2.startswith("第一党支部2026年下半年党建工作总结\n") and "三、下一步工作计划" in h2
    assert y.startswith("第一党支部2026年度党建工作总结\n") and "三、2027年工作计划" in y
    assert m.startswith("第一党支部2026年3月党建工作总结\n")
    assert len(q) < len(y)
    for text in (q, h1, h2, y, m):
        assert text.count("【请补充】") == 3  # achievements, problems, plans


def test_gap_lines_merge_months_of_a_type() -> None:
    def gap(m: int, *, held: int = 0, ongoing: bool = False) -> Gap:
        p = month(2026, m)
        return Gap("支委会", f"{m}月", 1, held, ongoing, "一般每月召开1次", "条例", p.start, p.end)

    lines = group_gaps([gap(1), gap(2), gap(3), gap(5), gap(7), gap(8), gap(11, ongoing=True)])
    assert [line.text for line in lines] == [
        "1月至3月、5月、7月、8月未召开支委会",
        "截至目前，11月尚未召开支委会",
    ]
    assert [line.text for line in group_gaps([gap(8)])] == ["8月未召开支委会"]


def test_plan_horizon_is_the_next_period() -> None:
    assert plan_horizon(quarter(2026, 4)) == date(2027, 3, 31)
    assert plan_horizon(half(2026, 1)) == date(2026, 12, 31)
    assert plan_horizon(year(2026)) == date(2027, 12, 31)
    assert plan_horizon(month(2026, 12)) == date(2027, 1, 31)
