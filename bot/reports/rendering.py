"""Wording a draft: the Jinja2 templates (text, Markdown, the paragraphs of the Word file) and the
Word template they are poured into (:mod:`bot.reports.docx`).

The shipped templates are package data (the source tree's ``templates/``, installed as
``bot.templates``); an office's own directory (``DJBOT_TEMPLATES_DIR``) takes precedence, file by
file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import jinja2

from bot.reports.draft import ReportDraft
from bot.reports.formatting import chinese_date, chinese_number

ReportFormat = Literal["text", "md"]
FORMATS: tuple[ReportFormat, ...] = ("text", "md")
#: What the templates are rendered for: chat text, Markdown, or the paragraphs of a .docx.
Target = Literal["text", "md", "docx"]

#: The shipped templates: the source tree's ``templates/``, installed as the package data
#: ``bot.templates`` (pyproject.toml maps the one onto the other), so a wheel has them too.
DEFAULT_TEMPLATES_DIR = Path(str(resources.files("bot.templates")))


class ReportTemplates:
    """The templates a draft is rendered with.

    Looks in ``override_dir`` first (an office's own templates, setting ``templates_dir``), then
    in the shipped ``templates/``. For a period of kind K (``quarter``, ``half``, ``year``,
    ``month``, ``custom``) and format F it uses ``report_K.F.j2`` if present, else
    ``report.F.j2`` (F is ``txt`` or ``md``). The Word file is built from the text template's
    paragraphs (rendered with ``target == "docx"``) and the Word template ``report_K.docx`` or
    ``report.docx`` found the same way.

    Raises:
        jinja2.TemplateNotFound: when neither file exists.
        jinja2.TemplateSyntaxError: for a broken template, with its file and line.
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        self.search = [p for p in (override_dir, DEFAULT_TEMPLATES_DIR) if p is not None]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in self.search]),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["cn"] = chinese_number
        self.env.filters["cndate"] = chinese_date

    def render(self, draft: ReportDraft, fmt: ReportFormat | Target = "text") -> str:
        """The draft as text (paragraphs separated by blank lines), Markdown, or (``"docx"``)
        the text paragraphs the Word file is made of (tables as tab-separated rows)."""
        suffix = "md" if fmt == "md" else "txt"
        template = self.env.select_template(
            [f"report_{draft.period.kind}.{suffix}.j2", f"report.{suffix}.j2"]
        )
        text = template.render(draft=draft, period=draft.period, target=fmt)
        return _tidy(text)

    def docx_template(self, kind: str) -> Path:
        """The Word template for a period kind: ``report_<kind>.docx`` or ``report.docx``, in
        the override directory first.

        Raises:
            FileNotFoundError: when no Word template exists.
        """
        for name in (f"report_{kind}.docx", "report.docx"):
            for directory in self.search:
                if (directory / name).is_file():
                    return directory / name
        raise FileNotFoundError(
            f"找不到 Word 模板 report.docx（{', '.join(map(str, self.search))}）"
        )

    def render_docx(self, draft: ReportDraft) -> bytes:
        """The draft as a .docx in 公文 format (see :mod:`bot.reports.docx`).

        Raises:
            ValueError: for a Word template without the paragraph ``{{正文}}`` or without the
                styles the draft needs (Chinese message).
        """
        from bot.reports.docx import build_docx  # python-docx loads only when a file is asked for

        return build_docx(self.render(draft, "docx"), draft, self.docx_template(draft.period.kind))


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template conditionals and strip line ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
