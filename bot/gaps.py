"""Gap checks: which required activities a branch has not held, by the taxonomy's frequency
rules (《中国共产党支部工作条例（试行）》 and local rules; see ``shared/docs/taxonomy.md``).

Pure functions over counts; the caller fetches the counts (``storage.queries.monthly_counts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.periods import CHINESE_ORDINALS, Period, month, quarter, year
from bot.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class Gap:
    """A required activity missing in one month, quarter or year.

    ``where`` is the sub-period's Chinese name (``8月``, ``第三季度``, ``全年``); ``ongoing`` is
    true when that sub-period has not ended yet (the text then says 截至目前 / 尚未).
    ``required`` and ``held`` are counts in the type's unit; ``rule`` is the rule's wording
    (一般每月召开1次) and ``source`` the regulation it comes from.
    """

    activity_type: str
    where: str
    required: int
    held: int
    ongoing: bool
    rule: str
    source: str

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
                    )
                )
    return gaps
