"""Assembling a draft: stored activity records -> :class:`~bot.reports.draft.ReportDraft`.

:func:`assemble_report` runs the bounded queries (per-month totals, notable records, planned
records) and :func:`build_draft` turns their rows into the draft, with the gap checks of a
branch and the per-branch rows of a committee. No wording here: that is the templates' job
(:mod:`bot.reports.rendering`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.gaps import Gap, find_gaps, group_gaps
from bot.domain.periods import Period, PeriodKind, half, month, quarter, year
from bot.domain.taxonomy import Taxonomy
from bot.reports.draft import (
    CORE_MEETINGS,
    PARTY_DAY,
    PLANNED_SHOWN,
    BranchRow,
    CategorySection,
    NotableRecord,
    PlannedItem,
    ReportDraft,
    TypeLine,
)
from storage.models import ActivityRecord, Organization, OrganizationKind
from storage.queries.organizations import organization_tree_ids, organizations_by_id
from storage.queries.reporting import (
    MonthTotal,
    TypeTotal,
    monthly_totals,
    notable_records,
    planned_records,
    type_totals,
)

#: How many notable records a type line may name (templates show fewer for short periods).
NOTABLE_PER_TYPE = 3


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


def notable_floors(months: Sequence[MonthTotal]) -> dict[str, int]:
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
    totals: dict[str, TypeTotal],
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


def _counts(
    months: Sequence[MonthTotal], organization_ids: set[int]
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
    months: Sequence[MonthTotal],
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
    totals = type_totals(months)
    is_committee = organization.kind != OrganizationKind.BRANCH
    gaps: list[Gap] = []
    if not is_committee:
        gaps = find_gaps(period, today, _counts(months, set(organization_ids)), taxonomy)
    branches: list[BranchRow] = []
    if is_committee:
        by_org: dict[int, list[MonthTotal]] = {}
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
    ids = await organization_tree_ids(session, organization.id)
    organizations = await organizations_by_id(session, ids)
    months = await monthly_totals(session, ids, period.start, period.end)
    notable = await notable_records(
        session, ids, period.start, period.end, NOTABLE_PER_TYPE, notable_floors(months)
    )
    plan_from, plan_until = plan_window(period, today)
    planned, planned_total = await planned_records(
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
