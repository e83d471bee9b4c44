"""The Word file: 公文 layout (GB/T 9704), fonts by East Asian name, the draft's words in the
right styles, the per-branch table after the signature, office templates, /report sending it,
and LibreOffice opening it (skipped, with the reason, where LibreOffice is not installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Length, Pt
from support import REPO
from test_report import TAXONOMY, add, new_org

from bot.channels.harness import Harness
from bot.domain.periods import quarter, year
from bot.reports.assembly import assemble_report
from bot.reports.docx import BODY_MARKER, DOCX_MIME
from bot.reports.draft import ReportDraft
from bot.reports.ledger import XLSX_MIME
from bot.reports.rendering import ReportTemplates
from handlers.dispatcher import ConversationDispatcher
from storage.database import Database
from storage.models import OrganizationKind

RENDER = REPO / "scripts" / "render_docx.sh"


async def committee_draft(db: Database) -> ReportDraft:
    committee = await new_org(db, "机关党委", kind=OrganizationKind.COMMITTEE)
    first = await new_org(db, "第一党支部", parent_id=committee.id)
    second = await new_org(db, "第二党支部", parent_id=committee.id)
    await add(db, first.id, "主题党日", date(2026, 10, 5), participants=10, title="重温入党誓词")
    await add(db, first.id, "支委会", date(2026, 11, 5), participants=7)
    await add(db, second.id, "党课", date(2026, 10, 6), participants=12, title="书记讲党课")
    await add(db, second.id, "廉政谈话", date(2026, 12, 1))
    async with db.session() as session:
        return await assemble_report(
            session, committee, quarter(2026, 4), date(2027, 1, 5), TAXONOMY
        )


def east_asian_font(document: WordDocument, style_name: str) -> str:
    rpr = document.styles[style_name].element.rPr
    assert rpr is not None and rpr.rFonts is not None
    return str(rpr.rFonts.get(qn("w:eastAsia")))


def open_docx(content: bytes) -> WordDocument:
    return docx.Document(io.BytesIO(content))


async def test_docx_is_laid_out_as_a_gongwen(db: Database) -> None:
    draft = await committee_draft(db)
    templates = ReportTemplates()
    document = open_docx(templates.render_docx(draft))

    section = document.sections[0]

    def mm(length: Length | None) -> float:
        assert length is not None
        return round(length.mm, 1)  # Word stores twips: 210 mm is 11906 twips

    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [mm(m) for m in margins] == [37, 35, 28, 26]

    fonts = {
        name: east_asian_font(document, name)
        for name in ("公文标题", "公文一级标题", "公文二级标题", "公文正文")
    }
    assert fonts == {
        "公文标题": "方正小标宋简体",
        "公文一级标题": "黑体",
        "公文二级标题": "楷体_GB2312",
        "公文正文": "仿宋_GB2312",
    }
    body_style = document.styles["公文正文"]
    assert body_style.font.size == Pt(16) and document.styles["公文标题"].font.size == Pt(22)
    assert body_style.paragraph_format.first_line_indent == Pt(32)
    assert body_style.paragraph_format.line_spacing == Pt(28.95)

    paragraphs = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert paragraphs[0] == ("公文标题", "机关党委2026年第四季度党建工作总结")
    assert ("公文一级标题", "一、主要工作成效") in paragraphs
    assert ("公文二级标题", "（一）思想建设方面") in paragraphs
    assert ("公文提示", "【请补充】结合实际填写存在的问题及原因。") in paragraphs
    body = [text for style, text in paragraphs if style == "公文正文"]
    assert any(t.startswith("一是本季度共讲授党课1次，参与党员累计12人次") for t in body)
    # every line of the draft is a paragraph, in order; nothing of the template is left
    expected = [
        line
        for line in templates.render(draft, "docx").splitlines()
        if line.strip() and "\t" not in line
    ]
    texts = [text for _, text in paragraphs]
    assert texts[: len(expected) - 1] == expected[:-1]
    assert not any("{{" in t for t in texts)
    # the signature (落款) closes the body; the per-branch table follows it as an attachment
    assert texts[len(expected) - 1 : len(expected) + 1] == ["机关党委", "2027年1月5日"]
    assert paragraphs[-1] == ("公文附件标题", "附表：各党支部党建活动情况")
    [table] = document.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [
        ["党组织", "登记活动（项）", "参与党员（人次）", "三会一课（次）", "主题党日（次）"],
        ["第一党支部", "2", "17", "1", "1"],
        ["第二党支部", "2", "12", "1", "0"],
    ]
    # page numbers "— N —": odd pages right, even pages left
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in xml and " —" in xml
    assert document.core_properties.title == draft.title


async def test_an_office_word_template_is_used_and_checked(db: Database, tmp_path: Path) -> None:
    org = await new_org(db, "第四党支部")
    await add(db, org.id, "支委会", date(2026, 10, 5))
    async with db.session() as session:
        draft = await assemble_report(session, org, quarter(2026, 4), date(2026, 12, 1), TAXONOMY)
    shipped = ReportTemplates().docx_template("quarter")
    own = docx.Document(str(shipped))
    marker = next(p for p in own.paragraphs if p.text == BODY_MARKER)
    marker.insert_paragraph_before("某某机关党委办公室（信头）")
    own.save(str(tmp_path / "report.docx"))
    document = open_docx(ReportTemplates(tmp_path).render_docx(draft))
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:2] == ["某某机关党委办公室（信头）", "第四党支部2026年第四季度党建工作总结"]

    broken = docx.Document(str(shipped))
    for paragraph in broken.paragraphs:
        if paragraph.text == BODY_MARKER:
            paragraph.text = "正文"
    broken.save(str(tmp_path / "report_quarter.docx"))
    with pytest.raises(ValueError, match="没有 \\{\\{正文\\}\\} 段落"):
        ReportTemplates(tmp_path).render_docx(draft)
    # the year still uses the office's report.docx
    async with db.session() as session:
        annual = await assemble_report(session, org, year(2026), date(2026, 12, 1), TAXONOMY)
    assert open_docx(ReportTemplates(tmp_path).render_docx(annual)).paragraphs[0].text == (
        "某某机关党委办公室（信头）"
    )


async def test_report_command_sends_the_word_file_and_the_ledger(
    dispatcher: ConversationDispatcher,
) -> None:
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    secretary = Harness(dispatcher, "100", "张书记", now=now)
    await secretary.say("/start")
    await secretary.say("第一党支部")
    await secretary.say("10月9日组织党员开展主题党日活动，参加21人")
    await secretary.press("保存")
    [draft] = await secretary.say("/report")
    assert draft.text.startswith("第一党支部2026年第四季度党建工作总结")
    assert draft.document is not None
    assert draft.document.filename == "第一党支部2026年第四季度党建工作总结.docx"
    assert draft.document.mime_type == DOCX_MIME
    document = open_docx(draft.document.content)
    assert any("共开展主题党日1次，参与党员累计21人次" in p.text for p in document.paragraphs)
    [ledger] = await secretary.say("/report 2026 台账")
    assert ledger.document is not None and ledger.document.mime_type == XLSX_MIME
    assert ledger.document.filename == "第一党支部2026年党建活动台账.xlsx"
    assert "共1条活动记录" in ledger.text
    [bad] = await secretary.say("/report 2026Q9")
    assert bad.document is None and "报告期" in bad.text


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice (soffice) or pdftoppm is not installed: "
    "apt-get install libreoffice-writer-nogui poppler-utils",
)
async def test_libreoffice_opens_it_as_a4_pages(db: Database, tmp_path: Path) -> None:
    draft = await committee_draft(db)
    path = tmp_path / "draft.docx"
    path.write_bytes(ReportTemplates().render_docx(draft))
    result = subprocess.run(
        ["bash", str(RENDER), str(path), str(tmp_path / "out"), "40"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "out" / "draft.pdf"
    pages = sorted((tmp_path / "out").glob("draft-*.png"))
    assert pdf.stat().st_size > 0 and len(pages) >= 2  # the table is on a page of its own
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "595.3" in info and "841.8" in info  # A4 in points
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    flat = text.stdout.replace(" ", "")
    assert "机关党委2026年第四季度党建工作总结" in flat
    assert "—1—" in flat and "—2—" in flat  # page numbers between dashes
