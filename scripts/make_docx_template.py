"""Generate ``templates/report.docx``, the Word template of the drafted 党建工作总结.

Run once after changing this script and commit the output::

    .venv/bin/python scripts/make_docx_template.py [OUT]      # default templates/report.docx

The file is an ordinary Word document that an office may open and restyle in Word or WPS
(letterhead, fonts, spacing) without code; :mod:`bot.reports.docx` only needs the paragraph
``{{正文}}`` (replaced by the draft) and the paragraph styles named in
:data:`bot.reports.docx.STYLES`. ``{{落款单位}}`` and ``{{落款日期}}`` are filled in too.

Layout per GB/T 9704-2012 《党政机关公文格式》 (summarised in ``shared/docs/report-format.md``):
A4; margins top 37 mm, bottom 35 mm, left (binding side) 28 mm, right 26 mm; title 2号 (22 pt)
方正小标宋简体 centred; body 3号 (16 pt) 仿宋_GB2312, first-line indent of two characters, fixed
line spacing 28.95 pt (22 lines in the 225 mm text block); headings 一、 in 黑体 and （一） in
楷体_GB2312; digits in Times New Roman; page numbers 4号 宋体 "— 1 —", odd pages right and even
pages left, one character in from the edge of the text block.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reports.docx import (  # noqa: E402
    ATTACHMENT_MARKER,
    BODY_MARKER,
    DATE_MARKER,
    FONT_BODY,
    FONT_H1,
    FONT_H2,
    FONT_PAGE,
    FONT_TITLE,
    LATIN_FONT,
    ORG_MARKER,
    STYLES,
)

LINE = Pt(28.95)  # 225 mm / 22 lines
INDENT = Pt(32)  # two characters of 16 pt


def set_fonts(element_rpr_owner: object, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Write ``w:rFonts`` with the East Asian font name (what Word and WPS select Chinese text
    by) and a Latin font for digits and letters."""
    rpr = element_rpr_owner.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def paragraph_style(
    document: docx.document.Document,
    name: str,
    east_asia: str,
    size: float,
    *,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = True,
    line: Pt = LINE,
    keep_with_next: bool = False,
    color: RGBColor | None = None,
) -> ParagraphStyle:
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    font = style.font
    font.size = Pt(size)
    font.bold = False
    if color is not None:
        font.color.rgb = color
    set_fonts(style.element, east_asia)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = INDENT if indent else Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.keep_with_next = keep_with_next
    fmt.widow_control = True
    return style


def page_number(paragraph: Paragraph) -> None:
    """``— PAGE —`` in 4号 (14 pt) 宋体."""
    for text in ("— ", None, " —"):
        run = paragraph.add_run()
        run.font.size = Pt(14)
        set_fonts(run._r, FONT_PAGE)
        if text is not None:
            run.text = text
            continue
        begin = OxmlElement("w:fldChar")
        begin.set(qn("w:fldCharType"), "begin")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = " PAGE "
        separate = OxmlElement("w:fldChar")
        separate.set(qn("w:fldCharType"), "separate")
        shown = OxmlElement("w:t")
        shown.text = "1"
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        for part in (begin, instr, separate, shown, end):
            run._r.append(part)


def build(out: Path) -> None:
    document = docx.Document()
    styles = document.styles

    # document defaults: Chinese language, 仿宋 16 pt, fixed 28.95 pt lines
    normal = styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    normal.font.size = Pt(16)
    set_fonts(normal.element, FONT_BODY)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_after = Pt(0)

    paragraph_style(
        document,
        STYLES["title"],
        FONT_TITLE,
        22,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=Pt(36),
        keep_with_next=True,
    ).paragraph_format.space_after = LINE
    paragraph_style(document, STYLES["body"], FONT_BODY, 16)
    paragraph_style(document, STYLES["h1"], FONT_H1, 16, keep_with_next=True)
    paragraph_style(document, STYLES["h2"], FONT_H2, 16, keep_with_next=True)
    paragraph_style(document, STYLES["note"], FONT_BODY, 16, color=RGBColor(0xC0, 0x00, 0x00))
    attachment = paragraph_style(
        document, STYLES["attachment"], FONT_H1, 16, indent=False, keep_with_next=True
    )
    attachment.paragraph_format.page_break_before = True
    attachment.paragraph_format.space_after = LINE
    paragraph_style(
        document,
        STYLES["table"],
        FONT_BODY,
        14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        line=Pt(22),
    )
    signature = paragraph_style(
        document, STYLES["signature"], FONT_BODY, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False
    )
    signature.paragraph_format.right_indent = INDENT

    # page: A4, GB/T 9704 margins, 22 lines per page, odd/even page numbers
    section = document.sections[0]
    assert section.start_type == WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(21)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")
    document.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    odd.paragraph_format.right_indent = Pt(14)
    page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    even.paragraph_format.left_indent = Pt(14)
    page_number(even)
    for footer in (odd, even):
        footer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        footer.paragraph_format.first_line_indent = Pt(0)

    # body: the draft, then the signature (落款)
    body = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    body.text = BODY_MARKER
    body.style = styles[STYLES["body"]]
    document.add_paragraph("", style=STYLES["body"])
    document.add_paragraph(ORG_MARKER, style=STYLES["signature"])
    document.add_paragraph(DATE_MARKER, style=STYLES["signature"])
    document.add_paragraph(ATTACHMENT_MARKER, style=STYLES["body"])

    props = document.core_properties
    props.title = "党建工作总结"
    props.subject = "党建工作总结（模板）"
    props.author = "dangjian-bot"
    props.comments = (
        f"正文由 {BODY_MARKER} 段落替换，附表由 {ATTACHMENT_MARKER} 段落替换；"
        f"{ORG_MARKER}、{DATE_MARKER} 自动填写。"
        "可修改样式（公文标题、公文一级标题、公文二级标题、公文正文、公文提示、公文表格、公文落款）。"
    )
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    props.created = props.modified = stamp
    props.last_modified_by = "dangjian-bot"
    props.revision = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "templates" / "report.docx"
    build(out)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
