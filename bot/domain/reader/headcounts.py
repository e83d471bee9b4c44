"""Head counts (参加人数) in every wording staff use, told apart from membership sizes and from
things counted.

Read as people present (the record's ``participants``):

* a number of people after an attendance word: 参加/参与/到场/出席/实到/到会/参会/与会/在线/
  听课/观看 and the colloquial 来了/去了/到了/来的/有 ("来了26个人", "去了17个", "在线的有41个");
* a number of people before one: "23名党员参加", "8个人都到了", "21个人都到齐了", "12个全到了",
  "有12个同事来", "全体18名党员参加";
* a bare number of people (人/名/位/个人/号人, not a bare 个) in a report: "一百多人",
  "党员15人", "30人左右" (weak: it yields to a count of the same words, "发展党员2名");
* English: "20 people", "participants 35", "attended by 30".

Approximate (the number, marked approximate): 约/大约/大概/差不多/将近/近/接近/超过/逾 before,
来/多/余/几 after the number (二十来个, 30多人, 四十几个), 左右/上下 after the unit. Colloquial
numerals 俩 (2) and 仨 (3). A range (十五六个, 二三十人, 七八十人, 15-20人) is no number: the
record asks (``span`` holds the ends).

Not head counts: membership sizes (支部共有党员35名, 我们支部12个党员, 全支部23名党员,
支部党员共48人, 其中预备党员2名), absentees and expected numbers (请假6人, 应到32人), 人次
(服务群众120人次), and things counted (200份, 5户, 3个村, 2个小时, 第3部分): a bare 个
needs an attendance word or a noun for people.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable

from bot.domain.numerals import NUMERAL_CHARS, parse_int
from bot.domain.reader.spans import HeadCount

_ANY_NUMBER_RE = re.compile(rf"[0-9{NUMERAL_CHARS}俩仨]")
#: At most this many numbers of people are looked at in one message (pasted documents).
MAX_HEADS = 120
_DIG = "一二两三四五六七八九"
_NUM = rf"[0-9]{{1,6}}|[{NUMERAL_CHARS}俩仨]{{1,8}}"
_PEOPLE = (
    r"党员干部|党员同志|老党员|青年党员|预备党员|正式党员|入党积极分子|党员|同志|干部|职工|群众|"
    r"人员|委员|支委|学员|志愿者|同事|青年|家属|居民|代表|老师|学生|村民|员工|伙伴|小伙伴"
)
_HEAD_RE = re.compile(
    rf"(?:(?P<lo>[0-9]{{1,5}})[-~～到至](?P<hi>[0-9]{{1,5}})"
    rf"|(?:(?P<rtens>[{_DIG}])?(?P<rten>十))?(?P<r1>[{_DIG}])(?P<r2>[{_DIG}])(?P<rmul>十|百)?"
    rf"|(?P<num>{_NUM}))"
    r"(?P<approx>余|多|来|几)?"
    rf"(?:(?P<unit>个人|号人|人(?![次/])|名|位)|(?P<ge>个)(?=(?P<gnoun>{_PEOPLE})?))"
    rf"(?P<noun>{_PEOPLE})?"
    r"(?P<post>左右|上下|的样子|那样)?"
)
_EN_RE = re.compile(
    r"(?i)(?<![0-9])(?P<num>[0-9]{1,5})(?:people|persons|person|ppl|attendees|participants)"
    r"|(?:participants|attendees|attendance|attended(?:by)?|people)[:：]?(?P<num2>[0-9]{1,5})"
)
#: attendance words before the number, then fillers up to it
_FWD_TAIL_RE = re.compile(
    r"(?:实到|参加|参与|到场|出席|到会|参会|与会|列席|参学|参训|参赛|在场|在线|听课|听讲|观看|收看|"
    r"聆听|来了|去了|到了|来的|去的|到的|来|去|覆盖|培训|参加人数|参会人数|人数)"
    r"(?:了|的)?(?:会议|活动|学习|培训|本次活动)?(?:的)?(?:全体)?"
    rf"(?:{_PEOPLE}|人|的人|人数){{0,2}}"
    r"(?:一共|共计|总共|共有|共|约|大约|大概|差不多|将近|接近|近|超过|逾|不少于|达到|达|有|为|就|只有|才|也就|"
    r"[:：])*$"
)
_BWD_HEAD_RE = re.compile(
    r"^(?:党员|同志|干部|人)?(?:都|全|全部|均|一起|共同|基本|全都|悉数|也)?"
    r"(?:参加|参与|到场|出席|到会|参会|与会|到齐|到了|来了|在场|在线|听|观看|收看|参学|参训|来|到|去)"
)
_APPROX_BEFORE_RE = re.compile(
    r"(?:约|大约|大概|差不多|将近|接近|近|超过|逾|估计|大致|约有|估摸)有?$"
)
#: the branch's size, not an audience: "支部共有党员35名", "我们支部12个党员", "其中预备党员2名"
_MEMBERSHIP_RE = re.compile(r"共有|现有|其中|全支部|支部|总支|党委|我们|我支部|下设|下面")
#: these say "there are" only about members: "党员共48人" (not "差不多有四十人", "共50人")
_MEMBERSHIP_WEAK_RE = re.compile(r"有|一共|共计|总共|共|合计")
_NOT_PRESENT_RE = re.compile(
    rf"(?:请假|缺席|缺勤|未到|没来|没到|应到|应参加|应出席|应参会|缺)(?:{_PEOPLE}|人数)?(?:共|为|有)?[:：]?$"
)
_SHARED_RE = re.compile(r"(?:都是|均为|均是|各|每次|两次都|都)")
#: "组织12名党员到社区", "书记与6名党员逐一谈心": the people who took part
_WITH_RE = re.compile(
    r"(?:组织|带领|率领|召集|动员|邀请|和|与|同|跟|给|为|对|带着|带)(?:了)?(?:全体|支部|全部)?$"
)
#: "表决接收2名预备党员", "发展党员2名": people the activity is about, not its audience
_ABOUT_RE = re.compile(
    r"(?:表决|接收|吸收|发展|确定|推荐|选举|批准|培养|考察|转正|新增|列为|新)(?:了)?$"
)
_FILLER_LEAD_RE = re.compile(r"^(?:就|只有|才|也就|一共|总共|只)$")
_GE_NEXT_OK = frozenset("都全均也就吧啊呀哈了左上的，,。；;！!？?…")
_UNITLESS_RE = re.compile(
    rf"(?P<trig>实到|到会|到场|出席|参会人数|参加人数|与会人数|人数)(?:人数)?[:：]?(?P<num>{_NUM})"
    r"(?![0-9人名位个次场件份期项户元])"
)


def find_head_counts(compact: str, clause_of: Callable[[int], tuple[int, int]]) -> list[HeadCount]:
    """Head counts in ``compact`` (normalised text without spaces), left to right, not
    overlapping. ``clause_of(pos)`` gives the clause span around a position (the context a
    wording is judged in)."""
    found: list[HeadCount] = []
    if not _ANY_NUMBER_RE.search(compact):
        return found
    last_end = -1
    for match in itertools.islice(_HEAD_RE.finditer(compact), MAX_HEADS):
        start, end = match.span()
        if start < last_end:
            continue
        head = _classify(compact, match, clause_of(start))
        if head is not None:
            found.append(head)
            last_end = head.end
    taken = [(h.start, h.end) for h in found]
    for match in _UNITLESS_RE.finditer(compact):
        value = _value(match.group("num"))
        start, end = match.span()
        i = bisect.bisect_left(taken, (start, end))
        overlaps = (i > 0 and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end)
        if value and 0 < value <= 100_000 and not overlaps:
            if _NOT_PRESENT_RE.search(compact[max(0, start - 8) : start]):
                continue
            priority = 2 if match.group("trig") == "实到" else 1
            found.append(HeadCount(start, end, value, priority))
    found.sort(key=lambda h: h.start)
    if "p" in compact or "P" in compact or "a" in compact:
        for match in _EN_RE.finditer(compact):
            value = int(match.group("num") or match.group("num2"))
            start, end = match.span()
            if value and not any(h.start < end and start < h.end for h in found[:200]):
                found.append(HeadCount(start, end, value, 1))
        found.sort(key=lambda h: h.start)
    return found


def _classify(compact: str, match: re.Match[str], clause: tuple[int, int]) -> HeadCount | None:
    start, end = match.span()
    c_start, c_end = clause
    g = match.groupdict()
    span: tuple[int, int] | None = None
    if g["lo"] is not None:
        lo, hi = int(g["lo"]), int(g["hi"])
        if not 0 < lo < hi <= 100_000:
            return None
        span = (lo, hi)
    elif g["r1"] is not None:
        d1, d2 = parse_int(g["r1"]) or 0, parse_int(g["r2"]) or 0
        if d2 != d1 + 1:
            return None
        if g["rmul"] == "百":
            span = (d1 * 100, d2 * 100)
        elif g["rmul"] == "十":
            span = (d1 * 10, d2 * 10)
        elif g["rten"]:
            tens = 10 * (parse_int(g["rtens"]) or 1) if g["rtens"] else 10
            span = (tens + d1, tens + d2)
        else:
            span = (d1, d2)
    value = span[0] if span else _value(g["num"] or "")
    if value is None or value <= 0 or value > 100_000:
        return None
    if g["num"] and g["approx"] == "几" and not g["num"].endswith("十"):
        return None  # 三几个: not a number
    if g["num"] and start > 0 and compact[start - 1] in "第每":
        return None
    lead = compact[max(c_start, start - 14) : start]
    if _FILLER_LEAD_RE.match(lead) and c_start > 0:
        lead = compact[max(0, start - 14) : start]  # "来的人不多，就7个": the clause before
    tail = compact[end : min(c_end, end + 8)]
    if _NOT_PRESENT_RE.search(lead):
        return None
    # "来" after a number is approximate (二十来个) only before the unit; "有12个同事来" is a verb
    forward = bool(_FWD_TAIL_RE.search(lead))
    backward = bool(_BWD_HEAD_RE.match(tail))
    person_unit = g["unit"] is not None or bool(g["gnoun"] or g["noun"])
    if g["ge"] is not None and not g["gnoun"]:
        after = compact[match.end("ge") : match.end("ge") + 1]
        if after and after not in _GE_NEXT_OK and not _BWD_HEAD_RE.match(compact, match.end("ge")):
            return None  # 3个村, 2个小时, 一个没落: things, not people
        if not (forward or backward):
            return None
    approximate = bool(g["approx"] or g["post"] or _APPROX_BEFORE_RE.search(lead))
    shared = bool(_SHARED_RE.search(lead[-4:]))
    if not (forward or backward):
        if _ABOUT_RE.search(lead):
            return None  # 表决接收2名预备党员: what was decided, not who came
        if _WITH_RE.search(lead) and person_unit:
            return HeadCount(start, end, value, 1, approximate, span, shared=shared)
        before = compact[c_start:start]
        noun = g["noun"] or g["gnoun"] or ""
        if _MEMBERSHIP_RE.search(before) or (
            _MEMBERSHIP_WEAK_RE.search(before) and ("党员" in before or "党员" in noun)
        ):
            return None  # 支部共有党员35名, 我们支部12个党员: the branch, not the audience
        if not person_unit:
            return None
        return HeadCount(start, end, value, 0, approximate, span, weak=True)
    priority = 2 if "实到" in lead[-8:] else 1
    return HeadCount(start, end, value, priority, approximate, span, shared=shared)


def _value(num: str) -> int | None:
    if num == "俩":
        return 2
    if num == "仨":
        return 3
    return parse_int(num.replace("俩", "两"))
