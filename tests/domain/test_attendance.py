"""Names read beside the message reader, matched to a roster, and each member's tally."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.domain.attendance import extract_attendance, match_names, participants, tally


@pytest.mark.parametrize(
    ("text", "names", "leave", "stated"),
    [
        ("参加人员：张三、李四、王五", ("张三", "李四", "王五"), (), None),
        ("张三、李四等5人参加", ("张三", "李四"), (), 5),
        ("今天上午组织张三、李四等五名党员参加主题党日", ("张三", "李四"), (), 5),
        ("参会人员：张三、李四；请假：王五", ("张三", "李四"), ("王五",), None),
        ("出席人员：张三，李四，王五共3人。赵六因病请假", ("张三", "李四", "王五"), ("赵六",), 3),
        ("参加人员：张  三、李四同志、王五参加了学习", ("张三", "李四", "王五"), (), None),
        ("参加人员：张三 李四 王五", ("张三", "李四", "王五"), (), None),
        ("王五、赵六请假，其余同志参加", (), ("王五", "赵六"), None),
        ("参加人员：阿依古丽·买买提、张三", ("阿依古丽·买买提", "张三"), (), None),
    ],
)
def test_names_are_read(
    text: str, names: tuple[str, ...], leave: tuple[str, ...], stated: int | None
) -> None:
    found = extract_attendance(text)
    assert found is not None
    assert (found.names, found.on_leave, found.stated) == (names, leave, stated)


@pytest.mark.parametrize(
    "text",
    [
        "今天上午组织全体党员开展主题党日活动，到场23人",
        "昨天召开支委会，研究发展党员工作",
        "参加人员：全体党员",
    ],
)
def test_no_names_no_list(text: str) -> None:
    assert extract_attendance(text) is None


def test_matching_finds_one_nobody_or_several() -> None:
    roster = [(1, "张三"), (2, "李四"), (3, "张伟"), (4, "张伟"), (5, "阿依古丽·买买提")]
    found = match_names(["张三", "组织李四", "赵六", "张伟", "阿依古丽•买买提"], roster)
    assert found.matched == {"张三": 1, "组织李四": 2, "阿依古丽•买买提": 5}
    assert found.unmatched == ("赵六",)
    assert found.ambiguous == {"张伟": (3, 4)}


def test_head_count_follows_the_names_unless_a_larger_one_is_stated() -> None:
    assert participants(3, None, None) == 3
    assert participants(2, 5, None) == 5  # 张三、李四等5人
    assert participants(3, None, 23) == 23  # 参加23人, three named
    assert participants(4, None, 2) == 4  # fewer stated than named: the names count
    assert participants(0, None, None) is None


@dataclass(frozen=True)
class M:
    member_id: int
    name: str
    joined_on: date


@dataclass(frozen=True)
class R:
    record_id: int
    activity_type: str
    occurred_on: date


def test_tally_counts_attended_leave_and_absent_by_the_rules() -> None:
    members = [
        M(1, "张三", date(2026, 1, 1)),
        M(2, "李四", date(2026, 1, 1)),
        M(3, "新人", date(2026, 6, 1)),
    ]
    records = [
        R(10, "主题党日", date(2026, 3, 1)),
        R(11, "主题党日", date(2026, 7, 1)),
        R(12, "支部党员大会", date(2026, 7, 2)),
        R(13, "支委会", date(2026, 7, 3)),  # committee only: no absences
        R(14, "集中学习", date(2026, 7, 4)),  # neither group: not counted
    ]
    marks = {
        (10, 1): "attended",
        (11, 1): "attended",
        (12, 1): "leave",
        (13, 1): "attended",
        (10, 2): "leave",
        (14, 2): "attended",
    }
    rows = {r.name: r for r in tally(members, records, marks)}
    zs, ls, new = rows["张三"], rows["李四"], rows["新人"]
    assert (zs.groups["主题党日"].attended, zs.groups["主题党日"].absent) == (2, 0)
    assert (zs.groups["三会一课"].attended, zs.groups["三会一课"].leave) == (1, 1)
    assert zs.groups["三会一课"].absent == 0
    # 李四: on leave at the first 主题党日 (not absent), absent at the second and the 党员大会;
    # the 支委会 does not count against him
    assert (ls.groups["主题党日"].leave, ls.groups["主题党日"].absent) == (1, 1)
    assert (ls.groups["三会一课"].attended, ls.groups["三会一课"].absent) == (0, 1)
    assert ls.absent_records == [11, 12]
    # joined in June: the March 主题党日 is not held against the newcomer
    assert new.groups["主题党日"].absent == 1 and new.absent_records == [11, 12]
