"""Who was there: names in a message, matched to the branch's members, and each member's
attendance at organizational life (组织生活). Pure: no I/O, no clock.

Three parts:

- :func:`extract_attendance` reads the names a message lists, beside the message reader
  (:func:`bot.domain.reader.read_message` reads the activity, this reads who)::

      参加人员：张三、李四、王五            -> names 张三 李四 王五
      张三、李四等5人参加                    -> names 张三 李四, stated count 5
      参会人员：张三、李四；请假：王五        -> names 张三 李四, on leave 王五

- :func:`match_names` matches them to a roster: each name is one member, nobody (asked on the
  card) or several members of the same name (asked too); :func:`participants` says the head
  count: the names, unless a larger count is stated.
- :func:`tally` counts, per member, attended / on leave / absent at 三会一课 and 主题党日 over
  records that carry an attendee list (see its docstring for the rules).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from bot.domain.numerals import parse_int

#: The glossary's 三会一课: 支部党员大会, 支委会, 党小组会, 党课.
THREE_MEETINGS_ONE_LESSON: tuple[str, ...] = ("支部党员大会", "支委会", "党小组会", "党课")
#: The monthly 主题党日.
THEME_DAY = "主题党日"
#: Groups a member's attendance is counted in, in display order: group name -> activity types.
GROUPS: dict[str, tuple[str, ...]] = {
    "三会一课": THREE_MEETINGS_ONE_LESSON,
    "主题党日": (THEME_DAY,),
}
#: Types every member of the branch is expected at (《中国共产党支部工作条例（试行）》第十二条:
#: 党员大会, 党课 and 主题党日 are for all members). 支委会 is for the committee and 党小组会 for
#: one group, which the bot does not know: there a member is counted only when listed (present
#: or on leave), never absent.
EXPECTED_OF_ALL: frozenset[str] = frozenset({"支部党员大会", "党课", THEME_DAY})

# --- reading names ---------------------------------------------------------------------------

_NAME_CHARS = r"[\u3400-\u9fff·•]"
_SEP = r"[、，,和及与\s/]+"
_LIST_SEP = r"[、，,和及与/]+"
#: Between names before 等…参加 only 、和及与 and spaces: a comma there ends a clause.
_TIGHT_SEP = r"[、和及与\s/]+"
_LIST_LABELS = (
    "参加人员|参会人员|出席人员|到会人员|到场人员|与会人员|实到人员|签到人员|参加党员|出席党员|"
    "参会党员|到会党员|参加人|出席人|参会人|到会人|参加者|参加的有|出席的有|参会的有|到会的有"
)
_LEAVE_LABELS = "请假人员|请假党员|因事请假|因病请假|请假"
_NUMBER = r"[0-9]+|[零〇一二两三四五六七八九十百]+"
_LABELLED = re.compile(rf"(?P<label>{_LIST_LABELS}|{_LEAVE_LABELS})\s*[:：]?\s*")
#: ``张三、李四等5人参加`` / ``张三、李四等5名党员出席`` / ``张三、李四等同志参加``.
_BEFORE_VERB = re.compile(
    rf"(?P<names>{_NAME_CHARS}{{2,}}(?:{_TIGHT_SEP}{_NAME_CHARS}{{2,}})*)"
    rf"(?:同志)?等(?:(?P<n>{_NUMBER})(?:人|名|位))?(?:名)?(?:党员|同志|人)?"
    rf"(?:参加|出席|参会|到会|到场|参与)"
)
#: ``王五请假`` / ``王五、赵六请假``.
_LEAVE_AFTER = re.compile(
    rf"(?P<names>{_NAME_CHARS}{{2,}}(?:{_TIGHT_SEP}{_NAME_CHARS}{{2,}})*)(?:同志)?(?:因[^，。；]{{0,6}})?请假"
)
_RUN = re.compile(rf"{_NAME_CHARS}(?:{_NAME_CHARS}|{_SEP})*")
#: Where a labelled list ends inside a run of characters (``王五参加了学习``, ``李四等5人``).
_LIST_END = re.compile("等|共|合计|参加|出席|参会|到会|到场|请假|缺席|列席|开展|进行|召开|学习")
_COUNT_AFTER = re.compile(
    rf"\s*(?:同志)?(?:等|共|一共|合计|计|总计)?\s*(?P<n>{_NUMBER})\s*(?:人|名|位)"
)
#: Words that may stick to the front of a list's first name (``组织张三、李四等5人参加``): the
#: name starts after the last of them.
_LEAD_WORDS = re.compile(
    "组织|带领|安排|邀请|包括|其中|共有|以及|党员|书记|委员|同志|今天|昨天|前天|上午|下午|晚上|"
    "由|有|和|及|与"
)
#: Trailing words that are not part of a name.
_TRAIL_WORDS = (
    "同志",
    "等人",
    "等",
    "共",
    "一共",
    "合计",
    "在内",
    "参加",
    "出席",
    "请假",
    "因病",
    "因事",
    "因公",
    "因故",
)
#: Tokens that are never names (the words people put in lists).
_NOT_NAMES = frozenset(
    {
        "全体党员",
        "全体",
        "党员",
        "同志",
        "支委",
        "委员",
        "书记",
        "无",
        "没有",
        "暂无",
        "全员",
        "其他",
        "其余",
        "其他同志",
        "大家",
    }
)
_MAX_NAME = 10  # 少数民族 names with · may be long; longer is not a name


@dataclass(frozen=True, slots=True)
class AttendanceText:
    """The names a message lists.

    ``names`` present (in the order written, each once), ``on_leave`` on leave (请假);
    ``stated`` a head count written beside the names (``等5人``, ``共5人``), else ``None``.
    ``start``/``end`` are the offsets in the text of the first list (to tell which record of a
    message it belongs to).
    """

    names: tuple[str, ...]
    on_leave: tuple[str, ...] = ()
    stated: int | None = None
    start: int = 0
    end: int = 0


def _clean(token: str, first: bool) -> str:
    token = token.strip(" ·•")
    changed = True
    while changed:
        changed = False
        for word in _TRAIL_WORDS:
            if token.endswith(word) and len(token) > len(word):
                token, changed = token[: -len(word)], True
    if first:
        cuts = [m.end() for m in _LEAD_WORDS.finditer(token) if len(token) - m.end() >= 2]
        if cuts:
            token = token[cuts[-1] :]
    return token


def _tokens(raw: str) -> list[str]:
    """Split a list on 、，和…; a part with spaces is one name spaced out for alignment when
    every piece is one character (``张  三``), else several names (``张三 李四``)."""
    out: list[str] = []
    for part in re.split(_LIST_SEP, raw):
        pieces = part.split()
        if pieces and all(len(p) == 1 for p in pieces):
            out.append("".join(pieces))
        else:
            out.extend(pieces)
    return [t for t in out if t]


def _names(raw: str) -> list[str]:
    out: list[str] = []
    for i, token in enumerate(_tokens(raw)):
        name = _clean(token, first=i == 0)
        if 2 <= len(name) <= _MAX_NAME and name not in _NOT_NAMES and name not in out:
            out.append(name)
    return out


def _list_after(text: str, start: int) -> tuple[str, int]:
    """The run of names starting at ``start``: up to the first character that is neither a
    name character nor a separator."""
    match = _RUN.match(text, start)
    if match is None:
        return "", start
    raw = match.group(0)
    # "张三、李四等5人" / "共3人": the list ends at 等 or 共
    cut = _LIST_END.search(raw)
    if cut is not None:
        raw = raw[: cut.start()]
    return raw, start + len(raw)


def normalize_name(name: str) -> str:
    """A name for comparison: NFKC, no spaces (``张  三`` is 张三), middle dots unified."""
    folded = unicodedata.normalize("NFKC", name)
    return re.sub(r"\s+", "", folded).replace("•", "·")


def extract_attendance(text: str) -> AttendanceText | None:
    """The attendee and leave lists a message states, or ``None`` when it lists no names.

    Forms read (source: how branch staff write minutes and messages, issue 16):
    a label then names (参加人员/参会人员/出席人员/到会人员/签到人员/参加的有 …, with or without a
    colon), names then 等N人参加 (参加/出席/参会/到会/到场), and for leave 请假：names or
    names请假. Names are separated by 、，, 和 及 与 or spaces; 同志 after a name is dropped.
    Head counts (等5人, 共5人) after a list become ``stated``.
    """
    folded = unicodedata.normalize("NFKC", text)
    names: list[str] = []
    leave: list[str] = []
    stated: int | None = None
    spans: list[tuple[int, int]] = []
    for match in _LABELLED.finditer(folded):
        raw, end = _list_after(folded, match.end())
        found = _names(raw)
        if not found:
            continue
        is_leave = bool(re.fullmatch(_LEAVE_LABELS, match.group("label")))
        (leave if is_leave else names).extend(n for n in found if n not in names + leave)
        if not is_leave:
            spans.append((match.start(), end))
            count = _COUNT_AFTER.match(folded, end)
            if count is not None:
                stated = parse_int(count.group("n"))
    for match in _BEFORE_VERB.finditer(folded):
        found = _names(match.group("names"))
        if not found:
            continue
        names.extend(n for n in found if n not in names + leave)
        spans.append((match.start(), match.end()))
        if match.group("n"):
            stated = parse_int(match.group("n"))
    for match in _LEAVE_AFTER.finditer(folded):
        found = [n for n in _names(match.group("names")) if n not in names]
        leave.extend(n for n in found if n not in leave)
    if not names and not leave:
        return None
    start, end = min(spans) if spans else (0, 0)
    return AttendanceText(tuple(names), tuple(leave), stated, start, end)


def participants(named: int, stated: int | None, read: int | None) -> int | None:
    """The head count of a record with ``named`` attendees listed: the names, unless a larger
    count is stated (``stated`` beside the names, or ``read`` by the message reader, e.g.
    ``参加23人``); ``None`` when there is neither."""
    counts = [c for c in (named or None, stated, read) if c is not None]
    return max(counts) if counts else None


# --- matching names to members ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How listed names matched a roster.

    ``matched`` maps a name as written to one member id; ``unmatched`` names match nobody;
    ``ambiguous`` names match several members (ids ascending). Orders follow the list.
    """

    matched: dict[str, int] = field(default_factory=dict)
    unmatched: tuple[str, ...] = ()
    ambiguous: dict[str, tuple[int, ...]] = field(default_factory=dict)


def match_names(names: Iterable[str], roster: Iterable[tuple[int, str]]) -> NameMatch:
    """Match ``names`` to ``roster`` (``(member id, name)`` pairs of the branch).

    A name matches members of the same name after :func:`normalize_name`; one that matches
    nobody but ends with a roster name of two or more characters (``组织张三``: words stuck to
    it) matches that name. Two members matched the same way make the name ambiguous.
    """
    by_name: dict[str, list[int]] = {}
    for member_id, name in roster:
        by_name.setdefault(normalize_name(name), []).append(member_id)
    matched: dict[str, int] = {}
    unmatched: list[str] = []
    ambiguous: dict[str, tuple[int, ...]] = {}
    for written in names:
        key = normalize_name(written)
        ids = by_name.get(key)
        if ids is None:
            suffixes = [n for n in by_name if len(n) >= 2 and key.endswith(n) and n != key]
            ids = by_name[max(suffixes, key=len)] if suffixes else None
        if ids is None:
            unmatched.append(written)
        elif len(ids) == 1:
            matched[written] = ids[0]
        else:
            ambiguous[written] = tuple(sorted(ids))
    return NameMatch(matched, tuple(unmatched), ambiguous)


# --- each member's attendance ----------------------------------------------------------------


class RosterMember(Protocol):
    """A member as :func:`tally` needs it: id, name and the local date they joined."""

    @property
    def member_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def joined_on(self) -> date: ...


class ListedRecord(Protocol):
    """A record with an attendee list: id, type and local date."""

    @property
    def record_id(self) -> int: ...
    @property
    def activity_type(self) -> str: ...
    @property
    def occurred_on(self) -> date: ...


@dataclass(slots=True)
class Counts:
    """Attended, on leave and absent, in records."""

    attended: int = 0
    leave: int = 0
    absent: int = 0

    @property
    def expected(self) -> int:
        """All three: the records the member was expected at."""
        return self.attended + self.leave + self.absent


@dataclass(slots=True)
class MemberAttendance:
    """One member's row: counts per group of :data:`GROUPS` and the absent records' ids."""

    member_id: int
    name: str
    groups: dict[str, Counts]
    absent_records: list[int] = field(default_factory=list)


def tally(
    members: Sequence[RosterMember],
    records: Sequence[ListedRecord],
    marks: Mapping[tuple[int, int], str],
) -> list[MemberAttendance]:
    """Each member's attendance at 三会一课 and 主题党日, one row per member, in roster order.

    ``records`` are the branch's records of those types that have an attendee list (others say
    nothing about who was there and count for nobody); ``marks`` maps ``(record id, member id)``
    to ``"attended"`` or ``"leave"``. Per member and record: listed present -> attended, listed
    on leave -> leave (leave is not absence), not listed -> absent, but only for types every
    member is expected at (:data:`EXPECTED_OF_ALL`) and records on or after the day the member
    joined. No points, no rankings: counts only.
    """
    group_of = {t: g for g, types in GROUPS.items() for t in types}
    rows = []
    for member in members:
        row = MemberAttendance(member.member_id, member.name, {g: Counts() for g in GROUPS})
        for record in records:
            group = group_of.get(record.activity_type)
            if group is None:
                continue
            counts = row.groups[group]
            mark = marks.get((record.record_id, member.member_id))
            if mark == "attended":
                counts.attended += 1
            elif mark == "leave":
                counts.leave += 1
            elif record.activity_type in EXPECTED_OF_ALL and record.occurred_on >= member.joined_on:
                counts.absent += 1
                row.absent_records.append(record.record_id)
        rows.append(row)
    return rows
