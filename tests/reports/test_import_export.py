"""``djbot import`` / ``djbot export``: JSONL, CSV and XLSX in; bad rows reported by line with
nothing imported; export then import gives the same ledger and the same report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from test_report import TAXONOMY, draft_text, generated_year, new_org

from bot.domain.periods import year
from bot.reports.assembly import assemble_report
from bot.reports.importing import ImportRejected, import_file, parse_date
from bot.reports.ledger import KEYS, export_entries, ledger_xlsx
from storage.database import Database
from storage.models import ActivityRecord, Member, Organization, OrganizationKind
from storage.queries.organizations import organization_tree_ids
from storage.queries.records import add_record
from storage.queries.reporting import ledger_entries

NOW = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 31)


async def run_import(
    db: Database, org: Organization, path: Path, **kw: bool
) -> tuple[int, list[str]]:
    async with db.session() as session:
        result = await import_file(session, org, path, TAXONOMY, TODAY, NOW, **kw)
    return result.imported, result.new_members


async def ledger(db: Database, org: Organization) -> list[tuple[object, ...]]:
    """The org's records without ids and organization: what must survive a round trip."""
    async with db.session() as session:
        ids = await organization_tree_ids(session, org.id)
        entries = await ledger_entries(session, ids, date(2000, 1, 1), date(2100, 1, 1))
    return [
        (
            e.occurred_on,
            e.activity_type,
            e.category,
            e.count,
            e.approximate,
            e.unit,
            e.participants,
            e.title,
            e.status,
            e.reporter,
            e.text,
        )
        for e in entries
    ]


async def count_records(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count(ActivityRecord.id))) or 0)


async def test_csv_jsonl_and_xlsx_are_imported(db: Database, tmp_path: Path) -> None:
    org = await new_org(db, "第一党支部")
    csv_file = tmp_path / "excel.csv"  # Chinese headers, saved by Excel on Chinese Windows
    csv_file.write_bytes(
        "日期,活动类型,数量,参加人数,标题,报告人\n"
        "2026-07-05,主题党日,1,23人,赴纪念馆开展主题党日,张三\n"
        "2026/8/12,支部委员会,,7,研究发展党员,李四\n"
        "2026年9月3日,集中学习,30余,,专题学习,张三\n".encode("gb18030")
    )
    jsonl = tmp_path / "chat.jsonl"
    jsonl.write_text(
        json.dumps(
            {"text": "9月20日召开支部党员大会，参加25人", "reporter": "王五"}, ensure_ascii=False
        )
        + "\n\n"
        + json.dumps({"occurred_on": "2026-10-10", "activity_type": "党课", "status": "计划"})
        + "\n",
        encoding="utf-8",
    )
    xlsx = tmp_path / "sheet.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["occurred_on", "activity_type", "participants", "title", "备注"])
    sheet.append([datetime(2026, 11, 2), "谈心谈话", 2, "与新党员谈心", "随便写的"])
    book.save(xlsx)

    assert await run_import(db, org, csv_file) == (3, ["张三", "李四"])
    assert await run_import(db, org, jsonl) == (2, ["王五"])
    assert await run_import(db, org, xlsx) == (1, [])
    rows = await ledger(db, org)
    assert rows == [
        (
            date(2026, 7, 5),
            "主题党日",
            "组织建设",
            1,
            False,
            "次",
            23,
            "赴纪念馆开展主题党日",
            "done",
            "张三",
            "",
        ),
        (
            date(2026, 8, 12),
            "支委会",
            "组织建设",
            1,
            False,
            "次",
            7,
            "研究发展党员",
            "done",
            "李四",
            "",
        ),
        (
            date(2026, 9, 3),
            "集中学习",
            "思想建设",
            30,
            True,
            "次",
            None,
            "专题学习",
            "done",
            "张三",
            "",
        ),
        (
            date(2026, 9, 20),
            "支部党员大会",
            "组织建设",
            1,
            False,
            "次",
            25,
            "召开支部党员大会",
            "done",
            "王五",
            "9月20日召开支部党员大会，参加25人",
        ),
        (date(2026, 10, 10), "党课", "思想建设", 1, False, "次", None, "", "planned", "", ""),
        (
            date(2026, 11, 2),
            "谈心谈话",
            "组织建设",
            1,
            False,
            "次",
            2,
            "与新党员谈心",
            "done",
            "",
            "",
        ),
    ]
    text = await draft_text(db, org, year(2026), TODAY)
    assert "全年共开展集中学习30余次" in text
    async with db.session() as session:
        members = await session.scalar(select(func.count(Member.id)))
        sources = list(await session.scalars(select(ActivityRecord.source_channel).distinct()))
    assert members == 3 and sources == ["import"]


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    db: Database, tmp_path: Path
) -> None:
    org = await new_org(db, "第二党支部")
    other = await new_org(db, "别的党支部")
    path = tmp_path / "bad.csv"
    path.write_text(
        "occurred_on,activity_type,count,participants,title,status,organization,text\n"
        "2026-03-01,支委会,1,7,好的一行,,,\n"
        "2026-02-30,支委会,1,7,,,,\n"
        "2026-03-02,党员会,0,-3,,,,\n"
        "2026-03-03,主题党日,1,,,做完了,别的党支部,\n"
        ",,,,只有标题,,,\n"
        "2026-03-05,,,,,,,你好\n"
        ",,,,,,,召开支委会\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        await run_import(db, org, path)
    assert [str(e) for e in caught.value.errors] == [
        "第3行：日期“2026-02-30”无法识别，应为 2026-03-15 这样的格式",
        "第4行：参加人数应不小于0，收到-3；活动类型“党员会”不在活动类型表中；数量应不小于1，收到0",
        "第5行：状态“做完了”无效，应为 done/已开展 或 planned/计划；"
        "所属组织“别的党支部”不是本组织或其下级组织",
        "第6行：缺少活动类型（activity_type）或原文（text）",
        "第7行：未能从原文中识别出活动记录，请补充活动类型（activity_type）",
        "第8行：原文中的“支委会”未注明日期，请补充日期列",
    ]
    assert caught.value.summary().startswith("未导入任何记录：发现6处错误。\n第3行：")
    assert await count_records(db) == 0  # the good first row was not imported either
    assert other.id != org.id

    for name, content, message in (
        ("x.txt", "", "不支持的文件类型"),
        (
            "broken.jsonl",
            '{"activity_type": "支委会"}\n[1, 2]\n{oops\n',
            "第2行：每行应为一个 JSON 对象",
        ),
        ("broken.xlsx", "not a zip", "不是有效的 .xlsx 文件"),
        ("empty.csv", "occurred_on,activity_type\n", "文件中没有记录"),
    ):
        (tmp_path / name).write_text(content, encoding="utf-8")
        with pytest.raises(ImportRejected, match=message):
            await run_import(db, org, tmp_path / name)
    with pytest.raises(ImportRejected, match="无法读取文件"):
        await run_import(db, org, tmp_path / "missing.csv")
    assert await count_records(db) == 0


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx"])
async def test_export_then_import_round_trips(db: Database, tmp_path: Path, suffix: str) -> None:
    source = await new_org(db, "统计局机关党支部")
    await generated_year(db, source.id, 150)
    async with db.session() as session:
        await add_record(
            session,
            organization_id=source.id,
            activity_type="主题党日",
            category="组织建设",
            unit="次",
            occurred_on=date(2026, 12, 20),
            count=1,
            approximate=False,
            participants=None,
            title="计划：赴红色教育基地",
            raw_text='下周六组织党员赴红色教育基地，逗号,引号"和换行\n都要保留',
            status="planned",
            created_at=NOW,
            updated_at=NOW,
        )
    path = tmp_path / f"ledger{suffix}"
    async with db.session() as session:
        ids = await organization_tree_ids(session, source.id)
        entries = await ledger_entries(session, ids, date(2026, 1, 1), date(2026, 12, 31))
        draft = await assemble_report(session, source, year(2026), TODAY, TAXONOMY)
    assert export_entries(entries, path, draft) == 151

    target = await new_org(db, "统计局机关党支部（迁移后）")
    if suffix == ".jsonl":
        strip_organization(path)  # without the column, and (csv, xlsx) naming the source
    assert (await run_import(db, target, path))[0] == 151
    assert await ledger(db, target) == await ledger(db, source)
    before = await draft_text(db, source, year(2026), TODAY)
    after = await draft_text(db, target, year(2026), TODAY)
    assert after.replace("（迁移后）", "") == before
    # the same file again is refused, unless asked for
    with pytest.raises(ImportRejected, match="该文件已导入过（151条记录）"):
        await run_import(db, target, path)
    assert (await run_import(db, target, path, allow_repeat=True))[0] == 151


def strip_organization(path: Path) -> None:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text(
        "".join(
            json.dumps({k: v for k, v in item.items() if k != "organization"}, ensure_ascii=False)
            + "\n"
            for item in lines
        ),
        encoding="utf-8",
    )


async def test_a_committee_export_keeps_each_record_with_its_branch(
    db: Database, tmp_path: Path
) -> None:
    committee = await new_org(db, "机关党委", kind=OrganizationKind.COMMITTEE)
    first = await new_org(db, "第一党支部", parent_id=committee.id)
    second = await new_org(db, "第二党支部", parent_id=committee.id)
    path = tmp_path / "in.csv"
    path.write_text(
        "occurred_on,activity_type,organization\n2026-05-01,支委会,第一党支部\n"
        "2026-05-02,支委会,第二党支部\n2026-05-03,中心组学习,\n",
        encoding="utf-8",
    )
    assert (await run_import(db, committee, path))[0] == 3
    assert [r[1] for r in await ledger(db, first)] == ["支委会"]
    assert [r[1] for r in await ledger(db, second)] == ["支委会"]
    assert len(await ledger(db, committee)) == 3
    async with db.session() as session:
        entries = await ledger_entries(
            session, [committee.id, first.id, second.id], date(2026, 1, 1), date(2026, 12, 31)
        )
    assert [e.organization for e in entries] == ["第一党支部", "第二党支部", "机关党委"]


async def test_the_xlsx_ledger_has_the_records_and_a_summary(db: Database) -> None:
    org = await new_org(db, "第三党支部")
    generated = await generated_year(db, org.id, 40)
    async with db.session() as session:
        entries = await ledger_entries(session, [org.id], date(2026, 1, 1), date(2026, 12, 31))
        draft = await assemble_report(session, org, year(2026), TODAY, TAXONOMY)
    import io

    book = load_workbook(io.BytesIO(ledger_xlsx(entries, draft, draft.title)))
    assert book.sheetnames == ["汇总", "台账"]
    records = list(book["台账"].iter_rows(values_only=True))
    assert records[0] == (
        "记录编号",
        "日期",
        "活动类型",
        "类别",
        "数量",
        "单位",
        "约数",
        "参加人数",
        "标题",
        "状态",
        "报告人",
        "所属组织",
        "原文",
    )
    assert len(records) == 41
    assert sum(int(str(r[4])) for r in records[1:]) == sum(g[2] for g in generated)
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[0][0] == "第三党支部2026年度党建工作总结"
    assert summary[2][:2] == ("登记党建活动（项）", 40)
    by_type = {
        row[1]: row[2]
        for row in summary[6:]
        if row and row[0] and row[1] and isinstance(row[2], int)
    }
    for section in draft.sections:
        for line in section.lines:
            assert by_type[line.activity_type] == line.count
    assert KEYS[0] == "record_id"


def test_dates_in_the_forms_offices_write() -> None:
    for text in (
        "2026-03-15",
        "2026/3/15",
        "2026.3.15",
        "2026年3月15日",
        "20260315",
        "２０２６-03-15",
    ):
        assert parse_date(text) == date(2026, 3, 15), text
    assert parse_date(datetime(2026, 3, 15, 0, 0)) == date(2026, 3, 15)
    for bad in ("2026-02-30", "15/03/2026", "三月十五", ""):
        assert parse_date(bad) is None, bad
