"""The draft model: what a 党建工作总结 says, before any wording (:class:`ReportDraft`).

Structure from ``shared/docs/report-format.md``: a title; an opening with the period's totals;
一、主要工作成效 with a （一） per category that has records, in taxonomy order, and 一是/二是
per type with its count and summed participants; 二、存在的问题 from the gap checks (marked as
suggestions) plus a marked space for the author; 三、下一步工作计划 from planned records and gaps.
A committee's (党委, 党总支) draft sums the organizations below it and adds a per-branch table.

Every number a draft prints comes from stored records: :meth:`ReportDraft.figures` lists each
one with the filter (:class:`Basis`) that selects the records behind it, and
:mod:`bot.reports.trace` resolves those filters to record ids on demand (``djbot report
--trace``). Built by :mod:`bot.reports.assembly`, worded by :mod:`bot.reports.rendering`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.domain.gaps import Gap, GapLine, activity_verb, group_gaps
from bot.domain.periods import Period, PeriodKind
from bot.reports.formatting import chinese_date
from storage.models import RecordStatus

Measure = Literal["count", "records", "participants"]
#: How many planned records 三、 lists; more are counted ("另有N项").
PLANNED_SHOWN = 12
#: 三会一课 (glossary, ``shared/docs/glossary.md``): the core organizational life of a branch.
CORE_MEETINGS = ("支部党员大会", "支委会", "党小组会", "党课")
#: The monthly fixed party day (glossary); a column of the per-branch table.
PARTY_DAY = "主题党日"


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
