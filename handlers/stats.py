"""``/stats [period]``: each member's record of organizational life (组织生活).

A member sees their own attendance at 三会一课 and 主题党日 (attended, on leave, absent; the
days they were absent) and how many records they made; a secretary or admin sees the branch's
table, one row per member (``/stats 2026 我`` shows their own). Default period: this year
(民主评议党员 is yearly). Counting rules: :func:`bot.domain.attendance.tally`. No points, no
rankings: members are listed by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.attendance import GROUPS, MemberAttendance, tally
from bot.domain.periods import Period, parse_period, year
from bot.messages import Reply
from handlers import texts
from handlers.context import Context, reply
from storage.models import ActivityRecord
from storage.queries.attendance import attendance_facts, roster
from storage.queries.records import records_of_reporter

#: Words after /stats that ask for one's own view.
OWN_WORDS = frozenset({"我", "我的", "本人", "个人", "me"})


@dataclass(frozen=True, slots=True)
class _Member:
    member_id: int
    name: str
    joined_on: date


async def branch_attendance(
    ctx: Context, organization_id: int, period: Period
) -> list[MemberAttendance]:
    """Every member's attendance in one organization over ``period`` (local dates)."""
    people = await roster(ctx.session, [organization_id])
    members = [_Member(p.member_id, p.name, p.joined_at.astimezone(ctx.tz).date()) for p in people]
    types = [t for group in GROUPS.values() for t in group]
    facts = await attendance_facts(ctx.session, [organization_id], period.start, period.end, types)
    return tally(members, facts.records, facts.marks)


def _period(ctx: Context, words: list[str]) -> Period:
    text = " ".join(words)
    return year(ctx.today.year) if not text else parse_period(text, ctx.today)


async def stats(ctx: Context, argument: str) -> list[Reply]:
    """``/stats``, ``/stats 2026``, ``/stats 2026H1``, ``/stats 2026 我``."""
    affiliation = ctx.affiliation
    if ctx.member is None or affiliation is None:
        return [reply(texts.STRANGER)]
    words = argument.split()
    own = any(w.lower() in OWN_WORDS for w in words)
    try:
        period = _period(ctx, [w for w in words if w.lower() not in OWN_WORDS])
    except ValueError as exc:
        return [reply(str(exc))]
    leading = ctx.reporting_affiliation
    if leading is not None and not own:
        return [
            reply(await _table(ctx, leading.organization.id, leading.organization.name, period))
        ]
    rows = await branch_attendance(ctx, affiliation.organization.id, period)
    mine = next((r for r in rows if r.member_id == ctx.member.id), None)
    lines = [texts.STATS_HEADER.format(name=ctx.member.name, period=period.label)]
    for group in GROUPS:
        counts = mine.groups[group] if mine else None
        if counts is None or counts.expected == 0:
            lines.append(texts.STATS_NONE.format(group=group))
        else:
            lines.append(
                texts.STATS_GROUP.format(
                    group=group,
                    attended=counts.attended,
                    leave=counts.leave,
                    absent=counts.absent,
                )
            )
    if mine and mine.absent_records:
        absent = [await ctx.session.get(ActivityRecord, i) for i in mine.absent_records]
        days = "、".join(
            f"{r.occurred_on.month}月{r.occurred_on.day}日{r.activity_type}" for r in absent if r
        )
        lines.append(f"缺席：{days}")
    own_records = await records_of_reporter(ctx.session, ctx.member.id, period.start, period.end)
    lines.append(texts.STATS_RECORDS.format(period=period.label, n=len(own_records)))
    lines.append(texts.STATS_FOOTNOTE)
    return [reply("\n".join(lines))]


async def _table(ctx: Context, organization_id: int, name: str, period: Period) -> str:
    rows = await branch_attendance(ctx, organization_id, period)
    if not rows:
        return texts.STATS_TABLE_EMPTY.format(org=name)
    first, second = list(GROUPS)
    lines = [
        texts.STATS_TABLE_HEADER.format(org=name, period=period.label),
        texts.STATS_TABLE_COLUMNS,
    ]
    for row in rows:
        a, b = row.groups[first], row.groups[second]
        lines.append(
            texts.STATS_TABLE_ROW.format(
                name=row.name,
                a1=a.attended,
                l1=a.leave,
                x1=a.absent,
                a2=b.attended,
                l2=b.leave,
                x2=b.absent,
            )
        )
    lines.append(texts.STATS_FOOTNOTE)
    return "\n".join(lines)
