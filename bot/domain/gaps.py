"""Gap checks: which required activities a branch has not held, by the taxonomy's frequency
rules (《中国共产党支部工作条例（试行）》 and local rules; see ``shared/docs/taxonomy.md``).

Pure functions over counts; the caller fetches the counts (``storage.queries.monthly_counts``
or, aggregated in SQL, ``storage.queries.monthly_totals``). :func:`group_gaps` merges the gaps of
one type into one sentence for a report ("7月、8月未召开支委会", "1月至6月未召开支委会").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.periods import CHINESE_ORDINALS, Period, month, quarter, year
from bot.domain.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class Gap:
    """A required activity missing in one month, quarter or year.

    ``where`` is the sub-period's Chinese name (``8月``, ``第三季度``, ``全年``); ``ongoing`` is
    true when that sub-period has not ended yet (the text then says 截至目前 / 尚未).
    ``required`` and ``held`` are counts in the type's unit; ``rule`` is the rule's wording
    (一般每月召开1次) and ``source`` the regulation it comes from. ``start``..``end`` are the
    sub-period's local dates (``None`` when built by hand without them).
    """

    activity_type: str
    where: str
    required: int
    held: int
    ongoing: bool
    rule: str
    source: str
    start: date | None = None
    end: date | None = None

    @property
    def text(self) -> str:
        """A sentence for 存在的问题, e.g. ``8月未召开支委会``."""
        verb = activity_verb(self.activity_type)
        if self.held:
            core = (
                f"{self.where}{verb}{self.activity_type}{self.held}次，少于要求的{self.required}次"
            )
        elif self.ongoing:
            core = f"截至目前，{self.where}尚未{verb}{self.activity_type}"
        else:
            core = f"{self.where}未{verb}{self.activity_type}"
        return core


def activity_verb(activity_type: str) -> str:
    """The verb a summary uses with a type: 召开 for meetings, 讲授 for 党课, else 开展."""
    if activity_type.endswith(("会", "会议")):
        return "召开"
    if activity_type.endswith("党课"):
        return "讲授"
    return "开展"


def _sub_periods(period: Period, per: str) -> list[tuple[Period, str]]:
    multi_year = period.start.year != period.end.year
    subs: list[tuple[Period, str]] = []
    if per == "month":
        for y, m in period.months():
            subs.append((month(y, m), f"{y}年{m}月" if multi_year else f"{m}月"))
    elif per == "quarter":
        for y in range(period.start.year, period.end.year + 1):
            for q in range(1, 5):
                name = f"第{CHINESE_ORDINALS[q - 1]}季度"
                subs.append((quarter(y, q), f"{y}年{name}" if multi_year else name))
    else:
        for y in range(period.start.year, period.end.year + 1):
            subs.append((year(y), f"{y}年" if multi_year else "全年"))
    return [(p, name) for p, name in subs if period.start <= p.start and p.end <= period.end]


def find_gaps(
    period: Period,
    today: date,
    counts: dict[tuple[str, int, int], int],
    taxonomy: Taxonomy,
) -> list[Gap]:
    """The gaps of one branch in ``period`` as of ``today`` (a local date).

    ``counts`` maps (activity_type, year, month) to the done count. Only sub-periods that lie
    wholly inside ``period`` and have begun by ``today`` are judged, so a quarter report does not
    judge the year and nothing is flagged before it could have happened. Ordered by taxonomy
    order, then by time.
    """
    gaps: list[Gap] = []
    for activity_type in taxonomy.types:
        rule = activity_type.frequency
        if rule is None:
            continue
        for sub, name in _sub_periods(period, rule.per):
            if sub.start > today:
                continue
            held = sum(counts.get((activity_type.name, y, m), 0) for y, m in sub.months())
            if held < rule.times:
                gaps.append(
                    Gap(
                        activity_type=activity_type.name,
                        where=name,
                        required=rule.times,
                        held=held,
                        ongoing=sub.end >= today,
                        rule=rule.text,
                        source=rule.source,
                        start=sub.start,
                        end=sub.end,
                    )
                )
    return gaps


@dataclass(frozen=True, slots=True)
class GapLine:
    """One sentence of 存在的问题: one gap, or several gaps of one type that are all "not held
    at all" in sub-periods that have ended (``gaps`` in time order)."""

    gaps: tuple[Gap, ...]

    @property
    def activity_type(self) -> str:
        """The activity type the gaps are about."""
        return self.gaps[0].activity_type

    @property
    def rule(self) -> str:
        """The rule's wording, e.g. 一般每月召开1次."""
        return self.gaps[0].rule

    @property
    def source(self) -> str:
        """The regulation the rule comes from."""
        return self.gaps[0].source

    @property
    def where(self) -> str:
        """The sub-periods: ``8月``, ``7月、8月``, ``1月至6月`` (a run of three or more
        consecutive sub-periods is written as its first and last)."""
        parts: list[str] = []
        run: list[Gap] = [self.gaps[0]]
        for gap in self.gaps[1:]:
            prev = run[-1]
            if prev.end is not None and gap.start is not None and _next_day(prev.end) == gap.start:
                run.append(gap)
            else:
                parts.append(_run_text(run))
                run = [gap]
        parts.append(_run_text(run))
        return "、".join(parts)

    @property
    def text(self) -> str:
        """``8月未召开支委会``, ``7月、8月未召开支委会``, or the single gap's own text."""
        if len(self.gaps) == 1:
            return self.gaps[0].text
        return f"{self.where}未{activity_verb(self.activity_type)}{self.activity_type}"


def _next_day(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


def _run_text(run: list[Gap]) -> str:
    if len(run) >= 3:
        return f"{run[0].where}至{run[-1].where}"
    return "、".join(g.where for g in run)


def group_gaps(gaps: Sequence[Gap]) -> list[GapLine]:
    """Merge the ended, not-held-at-all gaps of each type into one line (in the order of their
    first gap); ongoing gaps and gaps with some but too few held stay lines of their own."""
    lines: list[GapLine] = []
    merged: dict[str, int] = {}
    for gap in gaps:
        if gap.held or gap.ongoing:
            lines.append(GapLine((gap,)))
            continue
        key = gap.activity_type
        if key in merged:
            i = merged[key]
            lines[i] = GapLine((*lines[i].gaps, gap))
        else:
            merged[key] = len(lines)
            lines.append(GapLine((gap,)))
    return lines
