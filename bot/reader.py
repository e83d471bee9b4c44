"""Reading a staff message into zero or more activity records.

``read_message("前天组织全体党员重温入党誓词，开展主题党日，参加二十六人", today)`` gives one
record: 主题党日, count 1, 26 participants, occurred two days before ``today``, status done.

How a message is read (pure Python, precompiled regexes, no clock, no I/O):

1. Normalise: full-width ASCII to ASCII and common traditional characters to simplified, 1:1
   per character; spaces, quotes and book-title marks are dropped (an offset map keeps titles
   taken from the original text).
2. Split into sentences (。！？；, newlines) and clauses (，：).
3. Find activity words with one regex built as a trie from every alias of the taxonomy: at each
   position the longest alias; overlaps go to the longer, then the later one (the head of a
   Chinese noun phrase is last). Phrases in ``not_activities`` (调研报告) block their aliases.
4. A mention of a generic type right after a marker of a specific one becomes the specific type
   (廉政 + 专题党课 -> 廉政党课); an ambiguous word (谈话) keeps its alternatives unless another
   word of the sentence settles it.
5. Counts: number + unit (次, 场, 场次, 期, 件, 名, 人次 ...; 余/多 mark it approximate) bound to
   the nearest mention before it in the clause ("召开党委会28次") or, failing that, right after
   it ("开展6次集体廉政谈话"), only when the unit fits the type's unit (so 告知书56份 is not a
   count of 家风助廉). Rates after 每月/每季度 are not counts.
6. Mentions without a count: the activity held wins over the topic discussed (a word after
   研究/部署/报送 ... is a topic and not recorded, unless a holding verb governs the whole
   phrase: 召开学习贯彻…专题学习会); of two adjacent words the higher ``rank`` (meeting >
   activity > topic) or else the later one is kept; a mention needs some sign that it happened
   (a verb such as 开展/召开, a date, participants, a count nearby). Not recorded: routine
   statements (每月开展…, 定期…), examples (主题党日等载体), modifiers (党课讲师), negations
   (还没开支委会) and content clauses (活动内容为…). Each kept one is count 1; a word repeated
   for the same activity adds no record.
7. Participants (参加/到场/出席/实到/到会 N人/名, N名党员参加; 实到 beats 应到), dates (see
   :mod:`bot.dates`) and status (planned after 明天/下周/将于/拟/计划于/请…参加, done otherwise)
   attach to the nearest mention.
8. Nothing recorded: the intent says whether it was a greeting, thanks, an acknowledgement, a
   question, empty, or unknown text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.dates import DateMention, find_dates
from bot.numerals import FULLWIDTH, NUMERAL_CHARS, parse_int
from bot.taxonomy import Taxonomy, load_taxonomy

Status = Literal["done", "planned"]
Intent = Literal["records", "greeting", "thanks", "acknowledgement", "question", "empty", "unknown"]

TITLE_MAX = 60
#: At most this many activity words are read from one message (the rest is ignored): a bound
#: on the work done for pasted documents; real messages have a handful.
MAX_WORDS = 600

# ----------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """One activity read from a message.

    ``activity_type``/``category``/``unit`` come from the taxonomy; ``count`` (>= 1) is in
    ``unit``s and ``approximate`` is true for "30余次"/"20多次"/"近30次"; ``participants`` is a
    head count or ``None``; ``occurred_on`` is ``None`` when the message gives no date;
    ``status`` is ``"planned"`` for announced activities. ``title`` is the clause the record was
    read from, trimmed, at most 60 characters. Non-empty ``alternatives`` (other canonical type
    names, equally likely) means the user should be asked which type is meant.
    """

    activity_type: str
    category: str
    unit: str
    count: int
    approximate: bool
    participants: int | None
    occurred_on: dt.date | None
    status: Status
    title: str
    alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: activity_type, category, occurred_on (ISO date or None), count, unit,
        participants, title, status, approximate, alternatives (list)."""
        return {
            "activity_type": self.activity_type,
            "category": self.category,
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "count": self.count,
            "unit": self.unit,
            "participants": self.participants,
            "title": self.title,
            "status": self.status,
            "approximate": self.approximate,
            "alternatives": list(self.alternatives),
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says: its records (maybe none) and, for the bot's answer, its intent.

    ``intent`` is ``"records"`` when there is at least one record, else one of ``"greeting"``
    (你好), ``"thanks"`` (谢谢), ``"acknowledgement"`` (好的/收到), ``"question"``
    (怎么导出报告？), ``"empty"`` (nothing but whitespace/punctuation) or ``"unknown"``.
    """

    records: tuple[ParsedRecord, ...]
    intent: Intent

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict ``{"records": [record dicts], "intent": intent}``."""
        return {"records": [r.to_dict() for r in self.records], "intent": self.intent}


def read_message(text: str, today: dt.date, taxonomy: Taxonomy | None = None) -> Reading:
    """Read ``text`` (any string; sent on ``today``) into activity records.

    ``taxonomy`` defaults to :func:`bot.taxonomy.load_taxonomy` ``()``. Never raises for any
    ``str`` and never reads the clock; a bug inside gives an empty ``"unknown"`` reading rather
    than an exception. Linear in the length of ``text`` (10,000 characters in well under 50 ms).
    """
    try:
        return _read(text, today, taxonomy)
    except Exception:  # pragma: no cover - defensive: the property tests call _read directly
        return Reading((), "unknown")


# ----------------------------------------------------------------------------- normalising

_TRAD = (
    "黨題會議課組織學習員幹導領讀書講話談設計劃擬將參實與對結聯調識態風屬諾為辦專評發預備轉"
    "團幫紀潔節誓詞護戰鬥範區線報動層級處機關體單開舉觀訪簽進們應種統國問嗎麼謝還這樣請準時"
    "後來週禮號點曉間現場數約達餘幾兩萬億務訓練願習視頻網絡歷黨員會議記錄經濟業務態勢總規則"
    "驗證書讓認識謹慎積極興過運營產質費條總隊圓滿順財覽陳擴傳遞訊園陵烈專從嚴廣況狀陣輪堂"
    "屆選舉審議聽衆眾據彙匯淨讚贊壽齡遠絲蘭東門間聞獲勵壇邊島鄉鎮縣區市縣實踐談心話題嚮導"
)
_SIMP = (
    "党题会议课组织学习员干导领读书讲话谈设计划拟将参实与对结联调识态风属诺为办专评发预备转"
    "团帮纪洁节誓词护战斗范区线报动层级处机关体单开举观访签进们应种统国问吗么谢还这样请准时"
    "后来周礼号点晓间现场数约达余几两万亿务训练愿习视频网络历党员会议记录经济业务态势总规则"
    "验证书让认识谨慎积极兴过运营产质费条总队圆满顺财览陈扩传递讯园陵烈专从严广况状阵轮堂"
    "届选举审议听众众据汇汇净赞赞寿龄远丝兰东门间闻获励坛边岛乡镇县区市县实践谈心话题向导"
)
assert len(_TRAD) == len(_SIMP)
_NORMALISE: dict[int, int] = dict(FULLWIDTH)
_NORMALISE.update({ord(t): ord(s) for t, s in zip(_TRAD, _SIMP, strict=True) if t != s})
for _cp in (0x2018, 0x2019, 0x201C, 0x201D):  # curly quotes stay themselves (then dropped)
    _NORMALISE.pop(_cp, None)
_DROP_CHARS = " \t\r\u00a0\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff“”‘’\"'「」『』《》〈〉`"
_DROP = frozenset(_DROP_CHARS)
_DROP_RE = re.compile("[" + re.escape(_DROP_CHARS) + "]")


def _normalise(text: str) -> str:
    return text.translate(_NORMALISE)


# ----------------------------------------------------------------------------- patterns

_NUM = rf"[0-9]{{1,7}}|[{NUMERAL_CHARS}]{{1,10}}"
_QTY_RE = re.compile(
    rf"(?<![0-9.])(?P<num>{_NUM})(?P<approx>余|多|来|几)?"
    r"(?P<unit>场次|人次|人/次|批次|班次|期次|轮次|次|场|期|轮|批|堂|节课|节|回|件|项|份|名|位|人|个|篇|"
    r"条|本|户|家|起|天|元)"
)
_OCCURRENCE_UNITS = frozenset(
    (
        "次",
        "场",
        "场次",
        "期",
        "轮",
        "批",
        "堂",
        "节课",
        "节",
        "回",
        "人次",
        "批次",
        "班次",
        "期次",
        "轮次",
    )
)
_UNIT_FAMILY: dict[str, frozenset[str]] = {
    "件": frozenset(("件", "项", "个")),
    "名": frozenset(("名", "人", "位")),
    "人": frozenset(("名", "人", "位")),
    "份": frozenset(("份",)),
}
_APPROX_BEFORE = ("近", "约", "超过", "逾", "达到近", "大约", "将近")

_PARTICIPANT_TRIGGERS = (
    "实到|参加|参与|到场|出席|到会|参会|与会|列席|参学|参训|参赛|参评|在场|培训|覆盖"
)
_PART_FWD_RE = re.compile(
    rf"(?P<trig>{_PARTICIPANT_TRIGGERS})(?:了)?(?:会议|活动|学习|培训|本次活动)?(?:的)?"
    r"(?:全体)?(?:人员|人数|党员|同志|干部|职工|群众|委员|学员|志愿者|人){0,2}(?:共计|共|约|达|有|为|[:：])?"
    rf"(?P<num>{_NUM})(?P<approx>余|多)?(?P<unit>人|名|位)?"
)
_PART_BWD_RE = re.compile(
    rf"(?P<num>{_NUM})(?P<approx>余|多)?(?P<unit>人|名|位)"
    r"(?:党员|同志|干部|职工|群众|人员|党员干部|委员|支委|预备党员|入党积极分子|志愿者|家属|居民|"
    r"青年党员|青年|代表|学员|老党员)?"
    rf"(?:共同|一起|全部|均|都)?(?P<trig>{_PARTICIPANT_TRIGGERS})"
)
_EXPECTED_RE = re.compile(r"应到|应参加|应出席|应参会")

_PLANNED_RE = re.compile(
    r"明天|明日|明早|明晚|后天|大后天|下周|下星期|下个?礼拜|下个?月|明年|下一步|下阶段|即将|届时|"
    r"将于|将在|将要|将(?=召开|开展|组织|举办|举行|进行|召集|邀请|集中)|"
    r"拟于|拟在|拟定于|拟(?=召开|开展|组织|举办|举行|进行)|"
    r"计划于|计划在|计划(?=召开|开展|组织|举办|举行|进行|下周|明天|本周|月底|近期)|"
    r"准备(?=召开|开展|组织|举办|举行|于|在)|定于|预计|预定|安排在|待定|"
    r"(?<![邀申])请.{0,16}?(?:准时|按时|参加|参会|出席)|(?:准时|按时)(?:参加|参会|出席)|"
    r"[0-9一二三四五六七八九十]{1,3}(?:点|时|:[0-9]{2})(?:[0-9]{1,2}分|半)?(?:开始|召开|举行|集合|出发)"
)
_DONE_RE = re.compile(
    r"已经|已(?=召开|开展|组织|举办|举行|完成|于|经|顺利)|顺利|圆满|结束|开完|办完|完成了|"
    r"(?:召开|开展|组织|举办|举行|进行|参加|观看|讲|开|学习|重温)了"
)
_ROUTINE_RE = re.compile(
    r"每(?:个)?(?:月|季度|季|年|周|星期|半年|天|日|次)|定期|常态化|经常性|长效|制度化"
)
_RATE_BEFORE_RE = re.compile(r"每(?:个)?(?:月|季度|季|年|周|星期|半年|天|日)[^,，。]{0,6}$")
_RESET_RE = re.compile(
    r"今年以来|年初以来|以来|年内|截至|截止|累计|全年|上半年|下半年|本季度|[一二三四1-4]季度|"
    r"本月|上月|上周|本周|这周|今年|去年|近期|近日|日前|前期|近年|[0-9一二三四五六七八九十]{1,2}月份"
)
_TOPIC_RE = re.compile(
    r"研究|部署|讨论|审议|传达|学习贯彻|贯彻落实|贯彻|通报|听取|谋划|安排|围绕|关于|筹备|商议|"
    r"酝酿|确定|推荐|动员|总结|落实|督促|指导|检查|推进|加强|规范|健全|完善|选举|产生|成立|换届|"
    r"增补|调整|改选|报送|上报|提交|汇总|统计|填报|上传|整理"
)
_HELD_BEFORE_RE = re.compile(
    r"开展|召开|组织|举办|举行|参加|参与|讲授|讲了|讲(?![师稿究话座解述评坛台])|上了|上|观看|收看|进行|参观|赴|到|走访|签订|"
    r"签署|开(?![发拓放始创启通设具辟门局工户支])|搞|办|(?<![通经不度超])过|集中|接受|发展|接收|吸收|制发|发放|学习|重温|聆听|深入|完成|带领|带头|"
    r"邀请|前往|来到|走进|共|累计|先后"
)
_HELD_AFTER_RE = re.compile(
    r"^[^,，;；。]{0,10}?(?:召开|举行|开展|进行|结束|举办|开完|顺利|圆满|完成|开了|上了|讲了)(?!情况)"
)
_GAP_BREAK_RE = re.compile(
    r"形成|发放|制发|印发|撰写|收集|征集|解决|惠及|覆盖|服务|发现|整改|提出|帮助|慰问|涉及|查摆|"
    r"梳理|评选|表彰|培养|确定|选树|推荐|编印|报送|上报|建立|制定了|累计服务|受教育(?:党员|干部|群众|人)|"
    r"参加|参与"
)
_FILLER_RE = re.compile(
    r"^(?:共|共计|累计|合计|总计|先后|全年|今年|年内|已|达|开展|组织|召开|举办|举行|进行|了|计|有|"
    r"约|近|各|分别|以来|总共|一共|次数|为)*$"
)
_CONJ_RE = re.compile(r"和|及|与|、|并|以及|暨|或")
_QUESTION_START_RE = re.compile(
    r"^(?:请问|问一下|问下|怎么|怎样|如何|为什么|为啥|能否|能不能|可不可以|是否|哪|什么|啥|"
    r"谁|有没有|要不要|需不需要|咋)"
)
_QUESTION_ANY_RE = re.compile(
    r"怎么|怎样|如何|为什么|为啥|能否|能不能|可不可以|什么时候|啥时候|哪里|哪儿|哪个|哪些|咋办|"
    r"有没有|要不要|需不需要|是不是|对不对|行不行|好不好"
)
_QUESTION_END_RE = re.compile(r"(?:吗|么|呢|嘛|没有|不|没|在哪|哪里|几点|多少)[啊呀吖哈]?$")
_GREETING_RE = re.compile(
    r"^(?:@\S+)?(?:你好|您好|大家好|早上好|上午好|中午好|下午好|晚上好|早安|晚安|早|嗨|哈喽|哈啰|"
    r"hi|hello|hey|在吗|在不在|在么|有人吗|老师好|书记好|领导好)+(?:呀|啊|哈|!|！|~|。|\?|？)*$",
    re.IGNORECASE,
)
_GREETING_ANY_RE = re.compile(r"你好|您好|大家好|早上好|下午好|晚上好|hello|hi\b", re.IGNORECASE)
_THANKS_RE = re.compile(
    r"谢谢|感谢|多谢|谢啦|谢了|辛苦了|辛苦|thanks|thank you|thx|3q", re.IGNORECASE
)
_ACK_RE = re.compile(
    r"^(?:收到|好的|好滴|好嘞|好吧|好|收到|嗯嗯|嗯|哦|噢|ok|okay|行|可以|没问题|知道了|明白|明白了|了解|"
    r"是的|对|对的|没错|👌|👍|🙏|✅|\+1|OK了|好了|mark|1)+$",
    re.IGNORECASE,
)
_NEGATED_RE = re.compile(
    r"(?:没有|没|未|尚未|还未|暂未|不再|不)(?:有|能|曾)?(?:开展|召开|开|组织|举办|举行|参加|进行|上|讲|搞)"
)
_CONTENT_RE = re.compile(r"(?:活动|学习|会议|党课)?(?:内容|主题|题目|议题|形式)(?:为|是|包括|:|：)")
_QTY_AFTER_RE = re.compile(rf"(?:活动|工作)?(?:{_NUM})")
_MEETING_NOUN_RE = re.compile(r"会议|会|活动")
_NOT_HELD_AFTER_RE = re.compile(
    r"(?:活动|会议|工作)?(?:精神|制度|要求|情况|方案|台账|记录|通知|材料|成果|经验|流程|规定)|"
    r"讲师|讲稿|载体|品牌|阵地|队伍|教材|课件|资源|平台|计划|清单|名单"
)
_DATE_JOIN_RE = re.compile(r"[和、及与,，]|以及")
_EXAMPLES_RE = re.compile(r"(?:活动|会议|学习|教育|制度)?等(?!待|候)")
_ACK_HEAD_RE = re.compile(r"收到|好的|好嘞|明白|了解|没问题|知道了|ok", re.IGNORECASE)
_SENTENCE_END = frozenset("。！!？?；;\n…")
_BOUNDARY_RE = re.compile(r"[。！!？?；;\n…，,：:]")
_ADJACENT_GAPS = frozenset(("", "的", "之", "专题", "主题"))
_BARE_RE = re.compile(r"[\s,，。.!！~～、…]+")
_PART_UNITLESS_RE = re.compile(r"人数|人员|[:：]")
_STRIP = "，,。、；;：:！!？?…—-~～·• \t\r\n"
_ENUM_RE = re.compile(
    r"^(?:[0-9]{1,2}[.、)](?![0-9])|[一二三四五六七八九十]{1,3}(?:是|、)|\(?[一二三四五六七八九十]{1,3}\)|"
    r"[①②③④⑤⑥⑦⑧⑨⑩]|第[一二三四五六七八九十]{1,3}[,，、]?)"
)
_PUNCT_ONLY_RE = re.compile(r"^[\W_]*$")


# ----------------------------------------------------------------------------- compiled taxonomy


@dataclass(slots=True)
class _Compiled:
    pattern: re.Pattern[str]
    lookup: dict[str, tuple[str, ...]]  # normalised alias -> types ("" tuple: blocked phrase)
    rank: dict[str, int]
    unit: dict[str, str]
    category: dict[str, str]
    refine: dict[str, list[tuple[str, tuple[str, ...]]]]  # generic -> [(specific, markers)]


_COMPILED: weakref.WeakKeyDictionary[Taxonomy, _Compiled] = weakref.WeakKeyDictionary()


def _compile(taxonomy: Taxonomy) -> _Compiled:
    cached = _COMPILED.get(taxonomy)
    if cached is not None:
        return cached
    lookup: dict[str, list[str]] = {}

    def add(word: str, names: Iterable[str]) -> None:
        key = _DROP_RE.sub("", _normalise(word))
        if len(key) < 2 and not (len(key) == 1 and "\u4e00" <= key <= "\u9fff"):
            return
        bucket = lookup.setdefault(key, [])
        for name in names:
            if name not in bucket:
                bucket.append(name)

    for amb in taxonomy.ambiguous:
        for word in amb.words:
            add(word, amb.types)
    for activity in taxonomy.types:
        for word in (activity.name, *activity.aliases):
            add(word, (activity.name,))
    blocked = {_DROP_RE.sub("", _normalise(p)) for p in taxonomy.not_activities}
    final: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in lookup.items()}
    for phrase in blocked:
        if len(phrase) >= 2:
            final[phrase] = ()
    refine: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for activity in taxonomy.types:
        if activity.refines and activity.markers:
            markers = tuple(_normalise(m) for m in activity.markers)
            refine.setdefault(activity.refines, []).append((activity.name, markers))
    compiled = _Compiled(
        pattern=re.compile("(?=(" + _trie_pattern(final) + "))") if final else re.compile("(?!)"),
        lookup=final,
        rank={t.name: t.rank for t in taxonomy.types},
        unit={t.name: t.unit for t in taxonomy.types},
        category={t.name: t.category for t in taxonomy.types},
        refine=refine,
    )
    _COMPILED[taxonomy] = compiled
    return compiled


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching the longest of ``words`` at a position (a trie turned into groups).

    Greedy optional groups make the longest word win; the pattern never backtracks more than
    the length of the longest word.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # the empty key marks the end of a word

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if len(branches) == 1 and len(branches[0]) == 1:
            body = branches[0]
        else:
            body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return emit(trie)


# ----------------------------------------------------------------------------- internals


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    types: tuple[str, ...]
    sentence: int
    clause: int
    count: int | None = None
    approximate: bool = False
    count_clause: int | None = None
    keep: bool = True
    topic: bool = False
    participants: int | None = None
    participants_rank: int = 0
    alternatives: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.types[0]


@dataclass(slots=True)
class _Quantity:
    start: int
    end: int
    value: int
    approximate: bool
    unit: str
    used: bool = False


@dataclass(slots=True)
class _Participants:
    start: int
    end: int
    value: int
    priority: int  # 2 for 实到, 1 otherwise


@dataclass(slots=True)
class _Text:
    """The compact text of a message with its sentence and clause spans."""

    compact: str
    sentences: list[tuple[int, int]]
    clauses: list[tuple[int, int]]
    sent_starts: list[int]
    clause_starts: list[int]

    def sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self.sent_starts, pos) - 1

    def clause_of(self, pos: int) -> int:
        return bisect.bisect_right(self.clause_starts, pos) - 1


def _read(text: str, today: dt.date, taxonomy: Taxonomy | None = None) -> Reading:
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    comp = _compile(tax)
    norm = _normalise(text)
    if _DROP.isdisjoint(norm):
        compact = norm
        origin: list[int] | None = None
    else:
        origin = [i for i, ch in enumerate(norm) if ch not in _DROP]
        compact = "".join([norm[i] for i in origin])
    if not compact or _PUNCT_ONLY_RE.match(compact):
        return Reading((), "empty")

    sentences, clauses = _segment(compact)
    tx = _Text(compact, sentences, clauses, [s for s, _ in sentences], [c for c, _ in clauses])
    questions = {i for i, (s, e) in enumerate(sentences) if _is_question(compact[s:e])}

    mentions = [m for m in _find_mentions(tx, comp) if m.sentence not in questions]
    if not mentions:
        return Reading((), _intent(compact, questions))

    _refine(tx, mentions, comp)
    _settle_ambiguous(mentions)
    participants = _find_participants(compact)
    quantities = _find_quantities(compact, participants)
    _bind_counts(tx, mentions, quantities, comp)
    dates = find_dates(compact)
    _drop_countless(tx, mentions, comp, participants, dates)
    kept = [m for m in mentions if m.keep]
    if not kept:
        return Reading((), _intent(compact, questions))
    _attach_participants(tx, kept, participants, dates)
    statuses = _statuses(tx, kept, dates, today, participants)
    occurred = _dates_for(tx, kept, dates, statuses, today)

    per_sentence: dict[int, int] = {}
    for m in kept:
        per_sentence[m.sentence] = per_sentence.get(m.sentence, 0) + 1
    records: list[ParsedRecord] = []
    counted: list[bool] = []
    seen: dict[tuple[str, dt.date | None, Status], int] = {}
    for m, status, days in zip(kept, statuses, occurred, strict=True):
        for day in days:
            _emit(
                tx,
                comp,
                text,
                origin,
                m,
                status,
                day,
                per_sentence,
                records,
                counted,
                seen,
                len(days),
            )
    # an uncounted mention of a type counted elsewhere in the message is the same activity
    counted_types = {
        (r.activity_type, r.status) for r, c in zip(records, counted, strict=True) if c
    }
    final = tuple(
        r
        for r, c in zip(records, counted, strict=True)
        if c or (r.activity_type, r.status) not in counted_types
    )
    if not final:
        return Reading((), _intent(compact, questions))
    return Reading(final, "records")


def _emit(
    tx: _Text,
    comp: _Compiled,
    text: str,
    origin: list[int] | None,
    m: _Mention,
    status: Status,
    day: dt.date | None,
    per_sentence: dict[int, int],
    records: list[ParsedRecord],
    counted: list[bool],
    seen: dict[tuple[str, dt.date | None, Status], int],
    n_days: int,
) -> None:
    """Append the record of mention ``m`` on ``day``, or merge it into an equal record."""
    name = m.type
    key = (name, day, status)
    if m.count is None and key in seen:
        # the same activity named again: add what it tells, make no new record
        i = seen[key]
        if records[i].participants is None and m.participants is not None:
            records[i] = _replace_participants(records[i], m.participants)
        return
    count = m.count if m.count is not None else 1
    if n_days > 1:
        count = 1  # one record per date: "3月15日和3月28日分别召开了支委会"
    records.append(
        ParsedRecord(
            activity_type=name,
            category=comp.category[name],
            unit=comp.unit[name],
            count=count,
            approximate=m.approximate if m.count is not None and n_days == 1 else False,
            participants=m.participants,
            occurred_on=day,
            status=status,
            title=_title(text, origin, _title_span(tx, m, per_sentence[m.sentence] == 1)),
            alternatives=m.alternatives,
        )
    )
    counted.append(m.count is not None)
    seen.setdefault(key, len(records) - 1)


def _replace_participants(record: ParsedRecord, participants: int) -> ParsedRecord:
    return ParsedRecord(
        activity_type=record.activity_type,
        category=record.category,
        unit=record.unit,
        count=record.count,
        approximate=record.approximate,
        participants=participants,
        occurred_on=record.occurred_on,
        status=record.status,
        title=record.title,
        alternatives=record.alternatives,
    )


def _segment(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    sentences: list[tuple[int, int]] = []
    clauses: list[tuple[int, int]] = []
    s_start = c_start = 0
    for match in _BOUNDARY_RE.finditer(text):
        i = match.start()
        clauses.append((c_start, i + 1))
        c_start = i + 1
        if text[i] in _SENTENCE_END:
            sentences.append((s_start, i + 1))
            s_start = i + 1
    if c_start < len(text) or not clauses:
        clauses.append((c_start, len(text)))
    if s_start < len(text) or not sentences:
        sentences.append((s_start, len(text)))
    return sentences, clauses


def _is_question(sentence: str) -> bool:
    body = sentence.rstrip(_STRIP)
    if not body:
        return False
    if sentence.rstrip(" \n").endswith(("?", "？")):
        return True
    if _QUESTION_START_RE.match(body):
        return True
    # in a long statement "如何"/"是否" are part of the report ("讲授如何更好履行党员义务")
    return len(body) <= 30 and bool(_QUESTION_ANY_RE.search(body) or _QUESTION_END_RE.search(body))


def _intent(compact: str, questions: set[int]) -> Intent:
    body = compact.strip(_STRIP)
    if not body or _PUNCT_ONLY_RE.match(body):
        return "empty"
    bare = _BARE_RE.sub("", body)
    if _GREETING_RE.match(bare):
        return "greeting"
    if questions:
        return "question"
    if len(bare) <= 30 and _THANKS_RE.search(bare):
        return "thanks"
    if _ACK_RE.match(bare) or (len(bare) <= 12 and _ACK_HEAD_RE.match(bare)):
        return "acknowledgement"
    if len(bare) <= 20 and _GREETING_ANY_RE.search(bare):
        return "greeting"
    return "unknown"


def _find_mentions(tx: _Text, comp: _Compiled) -> list[_Mention]:
    compact = tx.compact
    found = itertools.islice(comp.pattern.finditer(compact), MAX_WORDS)
    candidates = [(m.start(), m.start() + len(m.group(1))) for m in found]
    if not candidates:
        return []
    # longer first, then the one ending later (the head of a Chinese phrase is last)
    candidates.sort(key=lambda c: (c[0] - c[1], -c[1]))
    taken: list[tuple[int, int]] = []
    for start, end in candidates:
        i = bisect.bisect_left(taken, (start, end))
        if i > 0 and taken[i - 1][1] > start:
            continue
        if i < len(taken) and taken[i][0] < end:
            continue
        taken.insert(i, (start, end))
    mentions = []
    for start, end in taken:
        types = comp.lookup.get(compact[start:end], ())
        if types:  # an empty tuple is a blocked phrase (调研报告)
            mentions.append(_Mention(start, end, types, tx.sentence_of(start), tx.clause_of(start)))
    return mentions


def _refine(tx: _Text, mentions: list[_Mention], comp: _Compiled) -> None:
    """A generic mention right after a marker of a specific type becomes that type."""
    if not comp.refine:
        return
    for m in mentions:
        clause_start = tx.clauses[m.clause][0]
        window = tx.compact[max(clause_start, m.start - 10) : m.start]
        if not window:
            continue
        found = None
        for generic in m.types:
            for specific, markers in comp.refine.get(generic, ()):
                for marker in markers:
                    pos = window.rfind(marker)
                    if pos >= 0 and not _CONJ_RE.search(window[pos + len(marker) :]):
                        found = specific
                        break
                if found:
                    break
            if found:
                break
        if found:
            m.types = (found,)


def _settle_ambiguous(mentions: list[_Mention]) -> None:
    """An ambiguous word is settled by an unambiguous word of the message naming one of its
    types; otherwise its other types become alternatives."""
    plain = {m.type for m in mentions if len(m.types) == 1}
    for m in mentions:
        if len(m.types) < 2:
            continue
        match = [t for t in m.types if t in plain]
        if match:
            m.types = (match[0],)
        else:
            m.alternatives = m.types[1:]


def _find_participants(compact: str) -> list[_Participants]:
    found: list[_Participants] = []
    starts: list[int] = []
    for regex, forward in ((_PART_FWD_RE, True), (_PART_BWD_RE, False)):
        for match in regex.finditer(compact):
            value = parse_int(match.group("num"))
            if value is None or value <= 0 or value > 100_000:
                continue
            if forward and not match.group("unit") and not _PART_UNITLESS_RE.search(match[0]):
                continue
            start, end = match.span()
            if not forward and _EXPECTED_RE.search(compact[max(0, start - 3) : start]):
                continue  # 应到32人 is not a head count
            i = bisect.bisect_left(starts, start)
            if (i > 0 and found[i - 1].end > start) or (i < len(found) and found[i].start < end):
                continue
            starts.insert(i, start)
            found.insert(i, _Participants(start, end, value, 2 if match["trig"] == "实到" else 1))
    return found


def _find_quantities(compact: str, participants: list[_Participants]) -> list[_Quantity]:
    out: list[_Quantity] = []
    p_starts = [p.start for p in participants]
    for match in _QTY_RE.finditer(compact):
        start, end = match.span()
        i = bisect.bisect_right(p_starts, start) - 1
        if i >= 0 and start < participants[i].end:
            continue  # part of a head count (参加21人)
        before = compact[max(0, start - 3) : start]
        if before.endswith(("第", "几", "数", "若干")):
            continue
        num = match.group("num")
        value = parse_int(num)
        if value is None or value <= 0:
            continue
        approx_mark = match.group("approx")
        if approx_mark == "几" and not num.endswith("十"):
            continue
        unit = match.group("unit")
        if unit == "人/次":
            unit = "人次"
        approximate = bool(approx_mark) or before.endswith(_APPROX_BEFORE)
        out.append(_Quantity(start, end, value, approximate, unit))
    return out


def _compatible(type_unit: str, unit: str) -> bool:
    family = _UNIT_FAMILY.get(type_unit)
    if family is not None:
        return unit in family
    return unit in _OCCURRENCE_UNITS or unit == type_unit


def _bind_counts(
    tx: _Text, mentions: list[_Mention], quantities: list[_Quantity], comp: _Compiled
) -> None:
    """Give each count (number + unit) to the mention it counts (module doc, step 5)."""
    compact = tx.compact
    by_clause: dict[int, list[_Mention]] = {}
    for m in mentions:
        by_clause.setdefault(m.clause, []).append(m)
    ends_by_clause = {ci: [m.end for m in ms] for ci, ms in by_clause.items()}
    starts_by_clause = {ci: [m.start for m in ms] for ci, ms in by_clause.items()}
    used_starts: list[int] = []  # starts of counts already given, in order
    mention_starts = [m.start for m in mentions]
    for q in quantities:
        ci = tx.clause_of(q.start)
        c_start = tx.clauses[ci][0]
        if _RATE_BEFORE_RE.search(compact, max(c_start, q.start - 12), q.start):
            continue  # 每月开展2次: a rate, not a count
        in_clause = by_clause.get(ci, [])
        n_prev = bisect.bisect_right(ends_by_clause.get(ci, []), q.start)
        prev = in_clause[max(0, n_prev - 8) : n_prev]
        n_next = bisect.bisect_left(starts_by_clause.get(ci, []), q.end)
        nxt = in_clause[n_next : n_next + 1]
        if prev:
            # "召开支委会、党员大会各2次": the count applies to each
            gap = compact[prev[-1].end : q.start]
            if gap.endswith("各") and len(gap) <= 3:
                group = [m for m in prev if m.count is None]
                if group and all(_compatible(comp.unit[m.type], q.unit) for m in group):
                    for m in group:
                        _set_count(m, q, ci)
                    q.used = True
                    bisect.insort(used_starts, q.start)
                    continue
        target = None
        if prev:
            p = prev[-1]
            gap = compact[p.end : q.start]
            if (
                p.count is None
                and len(gap) <= 14
                and "、" not in gap
                and bisect.bisect_left(used_starts, p.end)
                == bisect.bisect_left(used_starts, q.start)
                and not _GAP_BREAK_RE.search(gap)
                and _compatible(comp.unit[p.type], q.unit)
                and (q.unit != "人次" or len(gap) <= 4)
            ):
                target = p
        if target is None and nxt:
            n = nxt[0]
            gap = compact[q.end : n.start]
            lead_lo = max(c_start, prev[-1].end if prev else c_start, q.start - 6)
            if (
                n.count is None
                and _HELD_BEFORE_RE.search(compact, lead_lo, q.start)
                and len(gap) <= 10
                and q.unit != "人次"
                and not _GAP_BREAK_RE.search(gap)
                and _compatible(comp.unit[n.type], q.unit)
            ):
                target = n
        if target is None and not in_clause and _FILLER_RE.match(compact[c_start : q.start]):
            # "开展主题党日活动，共计12次": a bare count clause counts the mention before it
            s_start = tx.sentences[tx.sentence_of(q.start)][0]
            i = bisect.bisect_left(mention_starts, q.start) - 1
            if i >= 0 and mentions[i].start >= s_start:
                p = mentions[i]
                if p.count is None and _compatible(comp.unit[p.type], q.unit):
                    target = p
        if target is not None:
            _set_count(target, q, ci)
            q.used = True
            bisect.insort(used_starts, q.start)


def _set_count(m: _Mention, q: _Quantity, clause: int) -> None:
    m.count = q.value
    m.approximate = q.approximate
    m.count_clause = clause


def _drop_countless(
    tx: _Text,
    mentions: list[_Mention],
    comp: _Compiled,
    participants: list[_Participants],
    dates: list[DateMention],
) -> None:
    """Decide which mentions without a count name an activity held (module doc, step 6)."""
    compact = tx.compact
    # topic: after 研究/部署/学习贯彻 ... (since the previous word or the clause start)
    prev_end: dict[int, int] = {}
    for m in mentions:
        c_start = tx.clauses[m.clause][0]
        lead = compact[max(c_start, prev_end.get(m.clause, c_start)) : m.start]
        prev_end[m.clause] = m.end
        m.topic = _is_topic(lead)

    # adjacent words form one phrase: keep its head (higher rank, else the later word)
    for a, b in itertools.pairwise(mentions):
        if not (a.keep and b.keep) or a.clause != b.clause:
            continue
        if compact[a.end : b.start] not in _ADJACENT_GAPS:
            continue
        if a.count is not None and b.count is not None:
            continue
        if a.type == b.type:
            loser = a if a.count is None else b
        elif a.count is not None:
            loser = b
        elif b.count is not None:
            loser = a
        else:
            loser = a if _rank(comp, a) <= _rank(comp, b) else b
        loser.keep = False

    evidence_sentences = {tx.sentence_of(p.start) for p in participants}
    evidence_sentences.update(tx.sentence_of(d.start) for d in dates)
    evidence_sentences.update(tx.sentence_of(m.start()) for m in _PLANNED_RE.finditer(compact))
    counted_clauses = {m.clause for m in mentions if m.count is not None and m.keep}
    routine_clauses: dict[int, bool] = {}
    evidence_sentences.update(m.sentence for m in mentions if m.count is not None and m.keep)
    for m in mentions:
        if not m.keep or m.count is not None:
            continue
        c_start, c_end = tx.clauses[m.clause]
        if m.clause in counted_clauses:
            m.keep = False  # the counted activity of the clause is the one meant
            continue
        if _EXAMPLES_RE.match(compact, m.end) or _NOT_HELD_AFTER_RE.match(compact, m.end):
            m.keep = False  # 主题党日等载体: examples, not an activity held
            continue
        routine = routine_clauses.get(m.clause)
        if routine is None:
            routine = bool(_ROUTINE_RE.search(compact, c_start, c_end))
            routine_clauses[m.clause] = routine
        if routine:
            m.keep = False  # 每月开展主题党日: a routine, not an activity held
            continue
        if m.topic:
            m.keep = False  # 召开支委会，研究发展党员: the meeting was held, not the topic
            continue
        lead = compact[c_start : m.start]
        if _NEGATED_RE.search(lead[-12:]):
            m.keep = False  # 还没开支委会: not held
            continue
        if _CONTENT_RE.match(lead) and any(
            o is not m and o.keep and o.sentence == m.sentence and o.clause != m.clause
            for o in mentions
        ):
            m.keep = False  # "活动内容为参观廉政教育基地": what the activity was about
            continue
        window = compact[max(c_start, m.start - 20) : m.start]
        if (
            _HELD_BEFORE_RE.search(window)
            or _HELD_AFTER_RE.match(compact, m.end, c_end)
            or _QTY_AFTER_RE.match(compact, m.end, c_end)
            or m.sentence in evidence_sentences
        ):
            continue
        m.keep = False


def _is_topic(lead: str) -> bool:
    """Whether a word after ``lead`` is what is discussed rather than what is held.

    "研究发展党员" and "召开会议研究部署主题党日" are topics; "召开学习贯彻…专题学习会" is not
    (the held verb 召开 governs the whole phrase) and neither is "研究后开展主题党日"."""
    last = _last_match(_TOPIC_RE, lead, 0, len(lead))
    if last is None or _HELD_BEFORE_RE.search(lead, last.end()):
        return False
    held = _last_match(_HELD_BEFORE_RE, lead, 0, last.start())
    return held is None or bool(_MEETING_NOUN_RE.search(lead, held.end(), last.start()))


def _last_match(regex: re.Pattern[str], text: str, pos: int, endpos: int) -> re.Match[str] | None:
    last = None
    for match in regex.finditer(text, pos, endpos):
        last = match
    return last


def _rank(comp: _Compiled, m: _Mention) -> int:
    return max(comp.rank.get(t, 2) for t in m.types)


def _attach_participants(
    tx: _Text, kept: list[_Mention], participants: list[_Participants], dates: list[DateMention]
) -> None:
    """Participants go to the nearest mention before them in the sentence (and to the other
    uncounted activities of that sentence held at the same time: "召开组织生活会，开展民主评议
    党员，实到14人"), else to the first after them in the sentence, else to the last mention
    before them in the message."""
    kept_starts = [m.start for m in kept]
    date_starts = [d.start for d in dates]
    for p in participants:
        sent = tx.sentence_of(p.start)
        n_before = bisect.bisect_left(kept_starts, p.start)
        targets: list[_Mention] = []
        if n_before and kept[n_before - 1].sentence == sent:
            nearest = kept[n_before - 1]
            targets.append(nearest)
            j = n_before - 2
            while nearest.count is None and j >= 0 and len(targets) < 8:
                m = kept[j]
                if m.sentence != sent or m.count is not None or m.participants is not None:
                    break
                if bisect.bisect_left(date_starts, m.end) != bisect.bisect_left(
                    date_starts, p.start
                ):
                    break  # a date in between: another occasion
                targets.append(m)
                j -= 1
        elif n_before < len(kept) and kept[n_before].sentence == sent:
            targets.append(kept[n_before])
        elif n_before:
            targets.append(kept[n_before - 1])
        for target in targets:
            if p.priority >= target.participants_rank:
                target.participants = p.value
                target.participants_rank = p.priority


def _statuses(
    tx: _Text,
    kept: list[_Mention],
    dates: list[DateMention],
    today: dt.date,
    participants: list[_Participants],
) -> list[Status]:
    """planned or done for each mention: the nearest cue before it in its sentence, else the
    nearest after it in the sentence, else the previous sentence's last cue when the sentence
    has no date of its own; done by default."""
    compact = tx.compact
    cues: list[tuple[int, Status]] = []
    cues.extend((m.start(), "planned") for m in _PLANNED_RE.finditer(compact))
    cues.extend((m.start(), "done") for m in _DONE_RE.finditer(compact))
    date_sentences: set[int] = set()
    for d in dates:
        date_sentences.add(tx.sentence_of(d.start))
        tense = d.tense(today)
        if tense is not None:
            cues.append((d.start, "planned" if tense == "future" else "done"))
    cues.extend((p.start, "done") for p in participants)
    cues.sort()
    positions = [c[0] for c in cues]
    out: list[Status] = []
    for m in kept:
        s_start, s_end = tx.sentences[m.sentence]
        i = bisect.bisect_left(positions, m.start)
        status: Status | None = None
        if i > 0 and positions[i - 1] >= s_start:
            status = cues[i - 1][1]
        if status is None:
            k = bisect.bisect_left(positions, m.end)
            if k < len(cues) and positions[k] < s_end:
                status = cues[k][1]
        if status is None and m.sentence > 0 and m.sentence not in date_sentences:
            p_start = tx.sentences[m.sentence - 1][0]
            if i > 0 and positions[i - 1] >= p_start:
                status = cues[i - 1][1]
        out.append(status or "done")
    return out


def _dates_for(
    tx: _Text,
    kept: list[_Mention],
    dates: list[DateMention],
    statuses: list[Status],
    today: dt.date,
) -> list[list[dt.date | None]]:
    """The date of each mention: the last date before it in the message unless a period word
    (今年以来, 累计, 本月 ...) came in between, else the first date after it in its sentence.
    A date from an earlier sentence is not given to a count above 1. Dates joined by 和/、
    ("3月15日和3月28日分别召开了支委会") give one date each: a list per mention."""
    events: list[tuple[int, DateMention | None]] = [(d.start, d) for d in dates]
    date_starts = [d.start for d in dates]
    index_of = {id(d): i for i, d in enumerate(dates)}
    for match in _RESET_RE.finditer(tx.compact):
        pos = match.start()
        i = bisect.bisect_right(date_starts, pos) - 1
        if i >= 0 and (pos < dates[i].end or tx.clause_of(dates[i].start) == tx.clause_of(pos)):
            continue  # inside a date, or "今天召开了本月支委会": the day said first stands
        events.append((pos, None))
    events.sort(key=lambda e: e[0])
    positions = [e[0] for e in events]
    out: list[list[dt.date | None]] = []
    for m, status in zip(kept, statuses, strict=True):
        i = bisect.bisect_left(positions, m.start)
        chosen: DateMention | None = None
        inherited = False
        if i > 0:
            chosen = events[i - 1][1]
            inherited = chosen is not None and tx.sentence_of(chosen.start) != m.sentence
        if chosen is None or inherited:
            k = bisect.bisect_left(positions, m.end)
            if k < len(events):
                pos, event = events[k]
                if event is not None and tx.sentence_of(pos) == m.sentence:
                    chosen, inherited = event, False
        if chosen is not None and inherited and (m.count or 1) > 1:
            chosen = None
        if chosen is None:
            out.append([None])
            continue
        planned = status == "planned"
        group = [chosen]
        if not inherited:
            idx = index_of[id(chosen)]
            while idx > 0 and _DATE_JOIN_RE.fullmatch(
                tx.compact, dates[idx - 1].end, group[0].start
            ):
                idx -= 1
                group.insert(0, dates[idx])
        if len(group) > 1 and m.count is not None and m.count != len(group):
            group = [chosen]
        out.append([d.resolve(today, planned=planned) for d in group])
    return out


def _title_span(tx: _Text, m: _Mention, alone: bool) -> tuple[int, int]:
    s_start, s_end = tx.sentences[m.sentence]
    if alone and s_end - s_start <= TITLE_MAX + 1:
        return s_start, s_end
    start, end = tx.clauses[m.clause]
    if m.count_clause is not None and m.count_clause != m.clause:
        c_start, c_end = tx.clauses[m.count_clause]
        start, end = min(start, c_start), max(end, c_end)
    if end - start > TITLE_MAX + 1:
        # a long clause: the part around the activity word
        start = max(start, min(m.start - 20, end - TITLE_MAX))
        end = min(end, start + TITLE_MAX + 1)
    return start, end


#: A leading "when" (今天上午, 11月15日下午三点, 上周五) that the record's date already holds.
_LEAD_WHEN_RE = re.compile(
    r"^(?:(?:今天|昨天|前天|明天|后天|今日|昨日|明日|当天|"
    r"(?:本|上|下|这)?(?:周|星期)[一二三四五六日天1-7]|"
    r"(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?|\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[./]\d{1,2})"
    r"(?:上午|下午|晚上|中午|早上|傍晚|晚)?"
    r"(?:[\d一二三四五六七八九十]{1,3}[点时:：](?:\d{1,2}分?|半)?)?"
    r"|(?:上午|下午|晚上|中午|早上))[，,、\s]*"
)
#: A trailing head count (，到场23人 / （参加21人）) that the record's participants already hold.
_TAIL_PEOPLE_RE = re.compile(
    r"(?:[，,；;]\s*|[（(])(?:共有?|全体党员|党员)?(?:参加|到场|出席|实到|到会|参会|参与|应到)"
    r"[^，,；;。（()）]*[)）]?$"
)


def _title(text: str, origin: list[int] | None, span: tuple[int, int]) -> str:
    start, end = span
    if end <= start:
        return ""
    raw = text[origin[start] : origin[end - 1] + 1] if origin is not None else text[start:end]
    title = raw.strip(_STRIP + "“”‘’\"'")
    title = _ENUM_RE.sub("", title, count=1).strip(_STRIP)
    title = title.lstrip(")）]】").rstrip("(（[【")
    trimmed = _TAIL_PEOPLE_RE.sub("", _LEAD_WHEN_RE.sub("", title, count=1)).strip(_STRIP)
    if len(trimmed) >= 4:
        title = trimmed
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return title
