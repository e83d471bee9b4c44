"""Report assembly: stored activity records -> a draft 党建工作总结 (:class:`ReportDraft`),
rendered through the Jinja2 templates in ``templates/``.

Structure from ``shared/docs/report-format.md``: a title; an opening with the period's totals;
一、主要工作成效 with a （一） per category that has records, in taxonomy order, and 一是/二是
per type with its count and summed participants; 二、存在的问题 from the gap checks (marked as
suggestions) plus a marked space for the author; 三、下一步工作计划 from planned records and gaps.
Every number in a draft comes from stored records; each :class:`TypeLine` keeps the ids of the
records behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession

from bot.gaps import Gap, activity_verb, find_gaps
from bot.periods import Period
from bot.taxonomy import Taxonomy
from storage import queries
from storage.models import ActivityRecord, Organization, OrganizationKind, RecordStatus

ReportFormat = Literal["text", "md"]
FORMATS: tuple[ReportFormat, ...] = ("text", "md")

#: The shipped templates, at the top of the source tree (``templates/``).
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

#: How many notable records a type line names.
NOTABLE_PER_TYPE = 3

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十一, 二十三), for 一是/（二）; others as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


@dataclass(frozen=True, slots=True)
class NotableRecord:
    """A record named in the text: its date (local) and title."""

    record_id: int
    occurred_on: date
    title: str
    participants: int | None

    @property
    def date_text(self) -> str:
        """``3月15日``."""
        return f"{self.occurred_on.month}月{self.occurred_on.day}日"


@dataclass(slots=True)
class TypeLine:
    """One activity type's totals in a period.

    ``count`` is in ``unit``; ``participants`` sums the head counts given (人次), and
    ``without_participants`` counts records that gave none.
    """

    activity_type: str
    unit: str
    count: int
    approximate: bool
    records: int
    participants: int
    without_participants: int
    notable: list[NotableRecord] = field(default_factory=list)

    @property
    def phrase(self) -> str:
        """``共开展主题党日2次，参与党员累计44人次`` (the template puts 全年/本季度 before it)."""
        more = "余" if self.approximate else ""
        name = self.activity_type
        verb = "" if name == "发展党员" else activity_verb(name)
        text = f"共{verb}{name}{self.count}{more}{self.unit}"
        if self.participants:
            text += f"，参与党员累计{self.participants}人次"
            if self.without_participants:
                text += f"（另有{self.without_participants}条记录未登记参加人数）"
        return text


@dataclass(slots=True)
class CategorySection:
    """A （一） section: one category with its type lines, in taxonomy order."""

    category: str
    lines: list[TypeLine]


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A planned record (status ``planned``) offered for 下一步工作计划."""

    record_id: int
    activity_type: str
    occurred_on: date
    title: str


@dataclass(slots=True)
class ReportDraft:
    """Everything a template needs to write a draft summary for one organization and period."""

    organization_name: str
    is_committee: bool
    period: Period
    today: date
    sections: list[CategorySection]
    gaps: list[Gap]
    planned: list[PlannedItem]

    @property
    def total_records(self) -> int:
        """How many done records the period holds."""
        return sum(line.records for s in self.sections for line in s.lines)

    @property
    def total_participants(self) -> int:
        """Participants summed over every done record that gave a head count (人次)."""
        return sum(line.participants for s in self.sections for line in s.lines)

    @property
    def total_types(self) -> int:
        """How many activity types occur."""
        return sum(len(s.lines) for s in self.sections)

    @property
    def plan_suggestions(self) -> list[Gap]:
        """One gap per activity type (the first), to turn into a 下一步 suggestion."""
        seen: dict[str, Gap] = {}
        for gap in self.gaps:
            seen.setdefault(gap.activity_type, gap)
        return list(seen.values())

    @property
    def title(self) -> str:
        """``XX党支部2026年第三季度党建工作总结`` and the half-year / annual forms."""
        p = self.period
        if p.kind == "half" and p.start.month == 1:
            return f"{self.organization_name}{p.start.year}年上半年党建工作总结和下半年工作安排"
        if p.kind == "year":
            return f"{self.organization_name}{p.start.year}年度党建工作总结"
        return f"{self.organization_name}{p.label}党建工作总结"


def build_draft(
    organization: Organization,
    period: Period,
    today: date,
    totals: Sequence[queries.TypeTotal],
    notable: Sequence[ActivityRecord],
    planned: Sequence[ActivityRecord],
    gaps: list[Gap],
    taxonomy: Taxonomy,
) -> ReportDraft:
    """Group totals into categories in taxonomy order; types unknown to the taxonomy (e.g. from
    an older taxonomy file) go to the last category, 其他."""
    by_type = {t.activity_type: t for t in totals}
    notable_by_type: dict[str, list[NotableRecord]] = {}
    for r in notable:
        notable_by_type.setdefault(r.activity_type, []).append(
            NotableRecord(r.id, r.occurred_on, r.title, r.participants)
        )
    order = {t.name: i for i, t in enumerate(taxonomy.types)}
    sections: list[CategorySection] = []
    for category in taxonomy.categories:
        names = [t.name for t in taxonomy.in_category(category) if t.name in by_type]
        if category == taxonomy.categories[-1]:
            names += sorted(n for n in by_type if n not in order)
        lines = []
        for name in names:
            t = by_type[name]
            unit = taxonomy.get(name).unit if name in taxonomy else "次"
            lines.append(
                TypeLine(
                    activity_type=name,
                    unit=unit,
                    count=t.count,
                    approximate=t.approximate,
                    records=t.records,
                    participants=t.participants,
                    without_participants=t.without_participants,
                    notable=notable_by_type.get(name, []),
                )
            )
        if lines:
            sections.append(CategorySection(category, lines))
    return ReportDraft(
        organization_name=organization.name,
        is_committee=organization.kind != OrganizationKind.BRANCH,
        period=period,
        today=today,
        sections=sections,
        gaps=gaps,
        planned=[PlannedItem(r.id, r.activity_type, r.occurred_on, r.title) for r in planned],
    )


async def assemble_report(
    session: AsyncSession,
    organization: Organization,
    period: Period,
    today: date,
    taxonomy: Taxonomy,
) -> ReportDraft:
    """Fetch what a draft needs for ``organization`` (with the organizations below it) over
    ``period`` as of ``today`` (local date): totals aggregated in SQL, the notable records, the
    planned records from the period's start to one period-length after its end, and the gaps
    (judged for a branch only; a committee's roll-up is judged branch by branch elsewhere)."""
    ids = await queries.organization_tree_ids(session, organization.id)
    totals = await queries.totals_by_type(session, ids, period.start, period.end)
    notable = await queries.notable_records(
        session, ids, period.start, period.end, NOTABLE_PER_TYPE
    )
    horizon = period.end + (period.end - period.start) + timedelta(days=1)
    planned = await queries.records_in_period(
        session, ids, period.start, horizon, status=RecordStatus.PLANNED
    )
    gaps: list[Gap] = []
    if organization.kind == OrganizationKind.BRANCH:
        counts = await queries.monthly_counts(session, ids, period.start, period.end)
        gaps = find_gaps(period, today, counts, taxonomy)
    return build_draft(organization, period, today, totals, notable, planned, gaps, taxonomy)


class ReportTemplates:
    """The Jinja2 templates a draft is rendered with.

    Looks in ``override_dir`` first (an office's own templates, setting ``templates_dir``), then
    in the shipped ``templates/``. For a period of kind K and format F it uses
    ``report_K.F.j2`` if present, else ``report.F.j2`` (F is ``txt`` or ``md``).

    Raises:
        jinja2.TemplateNotFound: when neither file exists.
        jinja2.TemplateSyntaxError: for a broken template, with its file and line.
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        search = [str(p) for p in (override_dir, DEFAULT_TEMPLATES_DIR) if p is not None]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["cn"] = chinese_number

    def render(self, draft: ReportDraft, fmt: ReportFormat = "text") -> str:
        """The draft as text (paragraphs separated by blank lines) or Markdown."""
        suffix = "txt" if fmt == "text" else "md"
        template = self.env.select_template(
            [f"report_{draft.period.kind}.{suffix}.j2", f"report.{suffix}.j2"]
        )
        text = template.render(draft=draft, period=draft.period)
        return _tidy(text)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template conditionals and strip line ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
