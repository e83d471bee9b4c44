"""Report assembly: stored activity records -> a draft 党建工作总结 (:class:`ReportDraft`),
rendered through the Jinja2 templates in ``templates/`` (text, Markdown) or into the Word
template ``templates/report.docx`` (:mod:`bot.report_docx`).

Structure from ``shared/docs/report-format.md``: a title; an opening with the period's totals;
一、主要工作成效 with a （一） per category that has records, in taxonomy order, and 一是/二是
per type with its count and summed participants; 二、存在的问题 from the gap checks (marked as
suggestions) plus a marked space for the author; 三、下一步工作计划 from planned records and gaps.
A committee's (党委, 党总支) draft sums the organizations below it and adds a per-branch table.

Every number a draft prints comes from stored records: :meth:`ReportDraft.figures` lists each
one with the filter (:class:`Basis`) that selects the records behind it, and
:mod:`bot.trace` resolves those filters to record ids on demand (``djbot report --trace``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.gaps import Gap, GapLine, activity_verb, find_gaps, group_gaps
from bot.domain.periods import Period, PeriodKind, half, month, quarter, year
from bot.domain.taxonomy import Taxonomy
from storage import queries
from storage.models import ActivityRecord, Organization, OrganizationKind, RecordStatus

ReportFormat = Literal["text", "md"]
FORMATS: tuple[ReportFormat, ...] = ("text", "md")
#: What the templates are rendered for: chat text, Markdown, or the paragraphs of a .docx.
Target = Literal["text", "md", "docx"]
Measure = Literal["count", "records", "participants"]

#: The shipped templates, at the top of the source tree (``templates/``).
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

#: How many notable records a type line may name (templates show fewer for short periods).
NOTABLE_PER_TYPE = 3
#: How many planned records 三、 lists; more are counted ("另有N项").
PLANNED_SHOWN = 12
#: 三会一课 (glossary, ``shared/docs/glossary.md``): the core organizational life of a branch.
CORE_MEETINGS = ("支部党员大会", "支委会", "党小组会", "党课")
#: The monthly fixed party day (glossary); a column of the per-branch table.
PARTY_DAY = "主题党日"

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十一, 二十三), for 一是/（二）; others as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


def chinese_date(day: date) -> str:
    """``2026年12月31日`` (dates in 公文 use Arabic numerals, GB/T 9704-2012 7.3.5.3)."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True, slots=True)
class Basis:
    """The records a figure counts: live records of ``organization_ids`` with ``start <=
    occurred_on <= end`` (local dates) and ``status``; narrowed to ``activity_types`` unless
    ``None``, to records with (``True``) or without (``False``) a head count, or to one record.
    """

    organization_ids: tuple[int, ...]
    start: date
    end: date
    status: RecordStatus = RecordStatus.DONE
    activity_types: tuple[str, ...] | None = None
    with_participants: bool | None = None
    record_id: int | None = None


@dataclass(frozen=True, slots=True)
class Figure:
    """A number printed in a draft: ``value`` is the ``measure`` of the records of ``basis``
    (``count``: summed counts in the type's unit; ``records``: how many records;
    ``participants``: summed head counts, 人次). ``label`` says in Chinese what it is."""

    label: str
    value: int
    measure: Measure
    basis: Basis


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

    @property
    def date_text(self) -> str:
        """``3月15日``."""
        return f"{self.occurred_on.month}月{self.occurred_on.day}日"


@dataclass(slots=True)
class BranchRow:
    """One organization below a committee in the per-branch table: its done records, summed
    participants (人次), 三会一课 and 主题党日 counts, and its grouped gaps (branches only)."""

    organization_id: int
    name: str
    is_branch: bool
    records: int
    participants: int
    core_meetings: int
    party_days: int
    gaps: list[GapLine] = field(default_factory=list)


@dataclass(slots=True)
class ReportDraft:
    """Everything a template needs to write a draft summary for one organization and period.

    ``organization_ids`` are the organization and those below it (what the totals cover);
    ``gaps`` are the organization's own (a branch); ``branches`` the per-branch rows of a
    committee (empty for a branch); ``planned`` the first planned records dated
    ``plan_from``..``plan_until`` and ``planned_total`` how many there are.
    """

    organization_name: str
    organization_ids: tuple[int, ...]
    is_committee: bool
    period: Period
    today: date
    sections: list[CategorySection]
    gaps: list[Gap]
    planned: list[PlannedItem]
    planned_total: int = 0
    plan_from: date | None = None
    plan_until: date | None = None
    branches: list[BranchRow] = field(default_factory=list)

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
    def gap_lines(self) -> list[GapLine]:
        """The organization's gaps merged per type (``7月、8月未召开支委会``)."""
        return group_gaps(self.gaps)

    @property
    def branches_with_gaps(self) -> list[BranchRow]:
        """Rows of the per-branch table that have gaps."""
        return [b for b in self.branches if b.gaps]

    @property
    def planned_more(self) -> bool:
        """Whether more planned records exist than are listed (:data:`PLANNED_SHOWN`)."""
        return self.planned_total > len(self.planned)

    @property
    def plan_suggestions(self) -> list[Gap]:
        """One gap per activity type (the first, over the branches too), for 下一步."""
        seen: dict[str, Gap] = {}
        for gap in self.gaps:
            seen.setdefault(gap.activity_type, gap)
        for branch in self.branches:
            for line in branch.gaps:
                seen.setdefault(line.activity_type, line.gaps[0])
        return list(seen.values())

    def branches_lacking(self, activity_type: str) -> list[str]:
        """Names of the branches with a gap of ``activity_type``."""
        return [
            b.name for b in self.branches if any(g.activity_type == activity_type for g in b.gaps)
        ]

    @property
    def title(self) -> str:
        """``XX党支部2026年第三季度党建工作总结`` and the half-year / annual forms."""
        p = self.period
        if p.kind == PeriodKind.HALF and p.start.month == 1:
            return f"{self.organization_name}{p.start.year}年上半年党建工作总结和下半年工作安排"
        if p.kind == PeriodKind.YEAR:
            return f"{self.organization_name}{p.start.year}年度党建工作总结"
        return f"{self.organization_name}{p.label}党建工作总结"

    @property
    def date_text(self) -> str:
        """The drafting date for the signature (落款): ``2026年12月31日``."""
        return chinese_date(self.today)

    def filename(self, suffix: str) -> str:
        """A file name for the draft: the title without path separators, plus ``suffix``
        (``.docx``, ``.xlsx``)."""
        safe = "".join("_" if c in '/\\:*?"<>|' else c for c in self.title)
        return f"{safe}{suffix}"

    def figures(self) -> list[Figure]:
        """Every number the shipped templates print, with the records behind it.

        Order: totals, per type (count, participants, records without a head count, notable
        records' head counts), gaps with some held, planned records, per-branch rows.
        """
        p = self.period
        everything = Basis(self.organization_ids, p.start, p.end)
        out = [
            Figure("登记党建活动（项）", self.total_records, "records", everything),
            Figure(
                "参与党员累计（人次）",
                self.total_participants,
                "participants",
                Basis(self.organization_ids, p.start, p.end, with_participants=True),
            ),
        ]
        for section in self.sections:
            for line in section.lines:
                of_type = Basis(
                    self.organization_ids, p.start, p.end, activity_types=(line.activity_type,)
                )
                name = line.activity_type
                out.append(Figure(f"{name}（{line.unit}）", line.count, "count", of_type))
                if line.participants:
                    out.append(
                        Figure(
                            f"{name}参与党员（人次）",
                            line.participants,
                            "participants",
                            Basis(
                                self.organization_ids,
                                p.start,
                                p.end,
                                activity_types=(name,),
                                with_participants=True,
                            ),
                        )
                    )
                if line.without_participants:
                    out.append(
                        Figure(
                            f"{name}未登记人数的记录（条）",
                            line.without_participants,
                            "records",
                            Basis(
                                self.organization_ids,
                                p.start,
                                p.end,
                                activity_types=(name,),
                                with_participants=False,
                            ),
                        )
                    )
                for r in line.notable:
                    if r.participants:
                        out.append(
                            Figure(
                                f"{r.date_text}{name}参加人数",
                                r.participants,
                                "participants",
                                Basis(self.organization_ids, p.start, p.end, record_id=r.record_id),
                            )
                        )
        held = [(self.organization_ids, g) for g in self.gaps] + [
            ((b.organization_id,), g) for b in self.branches for line in b.gaps for g in line.gaps
        ]
        for ids, gap in held:
            if gap.held and gap.start is not None and gap.end is not None:
                out.append(
                    Figure(
                        f"{gap.where}{gap.activity_type}（次）",
                        gap.held,
                        "count",
                        Basis(ids, gap.start, gap.end, activity_types=(gap.activity_type,)),
                    )
                )
        if self.plan_from is not None and self.plan_until is not None:
            planned = Basis(
                self.organization_ids, self.plan_from, self.plan_until, RecordStatus.PLANNED
            )
            out.append(Figure("已登记的计划活动（项）", self.planned_total, "records", planned))
        core = tuple(CORE_MEETINGS)
        for b in self.branches:
            ids = (b.organization_id,)
            out += [
                Figure(
                    f"{b.name}登记党建活动（项）", b.records, "records", Basis(ids, p.start, p.end)
                ),
                Figure(
                    f"{b.name}参与党员（人次）",
                    b.participants,
                    "participants",
                    Basis(ids, p.start, p.end, with_participants=True),
                ),
                Figure(
                    f"{b.name}三会一课（次）",
                    b.core_meetings,
                    "count",
                    Basis(ids, p.start, p.end, activity_types=core),
                ),
                Figure(
                    f"{b.name}主题党日（次）",
                    b.party_days,
                    "count",
                    Basis(ids, p.start, p.end, activity_types=(PARTY_DAY,)),
                ),
            ]
        return out


def plan_horizon(period: Period) -> date:
    """The last day whose planned records feed 三、: the end of the next period of the same
    kind (next quarter, next half, next year, next month); a custom range looks as far ahead
    as it is long."""
    nxt = period.end + timedelta(days=1)
    match period.kind:
        case PeriodKind.YEAR:
            return year(nxt.year).end
        case PeriodKind.HALF:
            return half(nxt.year, 1 if nxt.month == 1 else 2).end
        case PeriodKind.QUARTER:
            return quarter(nxt.year, (nxt.month - 1) // 3 + 1).end
        case PeriodKind.MONTH:
            return month(nxt.year, nxt.month).end
        case _:
            return period.end + (period.end - period.start) + timedelta(days=1)


def plan_window(period: Period, today: date) -> tuple[date, date]:
    """The local dates whose planned records feed 三、: from the later of the period's start and
    ``today`` (a plan dated in the past was never confirmed as done, and is no plan any more) to
    :func:`plan_horizon`. Empty (start after end) for a period long past."""
    return max(period.start, today), plan_horizon(period)


def notable_floors(months: Sequence[queries.MonthTotal]) -> dict[str, int]:
    """Per type, a head count the notable records reach: the :data:`NOTABLE_PER_TYPE`-th largest
    of the monthly maxima of titled records (those maxima are head counts of that many distinct
    records, so the type's top records are at least as large). Types with fewer such months
    get no floor."""
    tops: dict[str, list[int]] = {}
    for m in months:
        if m.top_titled is not None:
            tops.setdefault(m.activity_type, []).append(m.top_titled)
    return {
        name: sorted(values, reverse=True)[NOTABLE_PER_TYPE - 1]
        for name, values in tops.items()
        if len(values) >= NOTABLE_PER_TYPE
    }


def _sections(
    totals: dict[str, queries.TypeTotal],
    notable: Sequence[ActivityRecord],
    taxonomy: Taxonomy,
) -> list[CategorySection]:
    """Group totals into categories in taxonomy order; types unknown to the taxonomy (e.g. from
    an older taxonomy file) go to the last category (其他)."""
    notable_by_type: dict[str, list[NotableRecord]] = {}
    for r in notable:
        notable_by_type.setdefault(r.activity_type, []).append(
            NotableRecord(r.id, r.occurred_on, r.title, r.participants)
        )
    order = {t.name: i for i, t in enumerate(taxonomy.types)}
    sections: list[CategorySection] = []
    for category in taxonomy.categories:
        names = [t.name for t in taxonomy.in_category(category) if t.name in totals]
        if category == taxonomy.categories[-1]:
            names += sorted(n for n in totals if n not in order)
        lines = []
        for name in names:
            t = totals[name]
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
    return sections


def _type_totals(months: Sequence[queries.MonthTotal]) -> dict[str, queries.TypeTotal]:
    """Per-type totals summed from per-month totals."""
    acc: dict[str, list[int]] = {}
    for m in months:
        a = acc.setdefault(m.activity_type, [0, 0, 0, 0, 0])
        a[0] += m.count
        a[1] += m.records
        a[2] += m.participants
        a[3] += m.without_participants
        a[4] = max(a[4], int(m.approximate))
    return {
        name: queries.TypeTotal(name, c, n, p, w, bool(x)) for name, (c, n, p, w, x) in acc.items()
    }


def _counts(
    months: Sequence[queries.MonthTotal], organization_ids: set[int]
) -> dict[tuple[str, int, int], int]:
    """Done counts per (type, year, month) of some organizations, as :func:`find_gaps` takes."""
    out: dict[tuple[str, int, int], int] = {}
    for m in months:
        if m.organization_id in organization_ids:
            key = (m.activity_type, m.year, m.month)
            out[key] = out.get(key, 0) + m.count
    return out


def build_draft(
    organization: Organization,
    organization_ids: Sequence[int],
    organizations: dict[int, Organization],
    period: Period,
    today: date,
    months: Sequence[queries.MonthTotal],
    notable: Sequence[ActivityRecord],
    planned: Sequence[ActivityRecord],
    planned_total: int,
    taxonomy: Taxonomy,
) -> ReportDraft:
    """Build a draft from fetched data (pure: no database, no clock).

    ``months`` are the done per-month totals of ``organization_ids`` (the organization and
    those below it) in ``period``; ``organizations`` maps those ids to organizations. Gaps are
    judged for a branch, and for each branch below a committee (in its row).
    """
    totals = _type_totals(months)
    is_committee = organization.kind != OrganizationKind.BRANCH
    gaps: list[Gap] = []
    if not is_committee:
        gaps = find_gaps(period, today, _counts(months, set(organization_ids)), taxonomy)
    branches: list[BranchRow] = []
    if is_committee:
        by_org: dict[int, list[queries.MonthTotal]] = {}
        for m in months:  # one pass: per-organization filtering made the roll-up quadratic
            by_org.setdefault(m.organization_id, []).append(m)
        for org_id in organization_ids:
            org = organizations.get(org_id)
            if org is None:
                continue
            own = by_org.get(org_id, [])
            if org_id == organization.id and not own:
                continue  # the committee itself appears only when it holds records
            is_branch = org.kind == OrganizationKind.BRANCH
            branch_gaps = (
                group_gaps(find_gaps(period, today, _counts(own, {org_id}), taxonomy))
                if is_branch
                else []
            )
            branches.append(
                BranchRow(
                    organization_id=org_id,
                    name=f"{org.name}（本级）" if org_id == organization.id else org.name,
                    is_branch=is_branch,
                    records=sum(m.records for m in own),
                    participants=sum(m.participants for m in own),
                    core_meetings=sum(m.count for m in own if m.activity_type in CORE_MEETINGS),
                    party_days=sum(m.count for m in own if m.activity_type == PARTY_DAY),
                    gaps=branch_gaps,
                )
            )
    return ReportDraft(
        organization_name=organization.name,
        organization_ids=tuple(organization_ids),
        is_committee=is_committee,
        period=period,
        today=today,
        sections=_sections(totals, notable, taxonomy),
        gaps=gaps,
        planned=[PlannedItem(r.id, r.activity_type, r.occurred_on, r.title) for r in planned],
        planned_total=planned_total,
        plan_from=plan_window(period, today)[0],
        plan_until=plan_window(period, today)[1],
        branches=branches,
    )


async def assemble_report(
    session: AsyncSession,
    organization: Organization,
    period: Period,
    today: date,
    taxonomy: Taxonomy,
) -> ReportDraft:
    """Fetch what a draft needs for ``organization`` (with the organizations below it) over
    ``period`` as of ``today`` (local date) and build it.

    Bounded work whatever the number of records: per-month totals aggregated in SQL (one scan,
    at most organizations x types x months rows), notable records by a window function (at most
    :data:`NOTABLE_PER_TYPE` per type), at most :data:`PLANNED_SHOWN` planned records of
    :func:`plan_window` plus their count.
    """
    ids = await queries.organization_tree_ids(session, organization.id)
    organizations = await queries.organizations_by_id(session, ids)
    months = await queries.monthly_totals(session, ids, period.start, period.end)
    notable = await queries.notable_records_at_least(
        session, ids, period.start, period.end, NOTABLE_PER_TYPE, notable_floors(months)
    )
    plan_from, plan_until = plan_window(period, today)
    planned, planned_total = await queries.planned_records(
        session, ids, plan_from, plan_until, PLANNED_SHOWN
    )
    return build_draft(
        organization,
        ids,
        organizations,
        period,
        today,
        months,
        notable,
        planned,
        planned_total,
        taxonomy,
    )


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
        """The draft as a .docx in 公文 format (see :mod:`bot.report_docx`).

        Raises:
            ValueError: for a Word template without the paragraph ``{{正文}}`` or without the
                styles the draft needs (Chinese message).
        """
        from bot.report_docx import build_docx

        return build_docx(self.render(draft, "docx"), draft, self.docx_template(draft.period.kind))


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template conditionals and strip line ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
