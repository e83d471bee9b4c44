"""The cue words the stages look for, as precompiled regular expressions: counts and units,
head counts, planned/done cues, routine and topic verbs, questions, greetings, negations."""

from __future__ import annotations

import re

from bot.domain.numerals import NUMERAL_CHARS

_NUM = rf"[0-9]{{1,7}}|[{NUMERAL_CHARS}]{{1,10}}"
QTY_RE = re.compile(
    rf"(?<![0-9.])(?P<num>{_NUM})(?P<approx>余|多|来|几)?"
    r"(?P<unit>场次|人次|人/次|批次|班次|期次|轮次|次|场|期|轮|批|堂|节课|节|回|件|项|份|名|位|人|个|篇|"
    r"条|本|户|家|起|天|元)"
)
BARE_PAIR_RE = re.compile(r"(?<![0-9一二三四五六七八九十百千])[俩仨](?![人个名位号])")
OCCURRENCE_UNITS = frozenset(
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
UNIT_FAMILY: dict[str, frozenset[str]] = {
    "件": frozenset(("件", "项", "个")),
    "名": frozenset(("名", "人", "位")),
    "人": frozenset(("名", "人", "位")),
    "份": frozenset(("份",)),
}
APPROX_BEFORE = ("近", "约", "超过", "逾", "达到近", "大约", "将近")

_PARTICIPANT_TRIGGERS = (
    "实到|参加|参与|到场|出席|到会|参会|与会|列席|参学|参训|参赛|参评|在场|培训|覆盖"
)
PART_FWD_RE = re.compile(
    rf"(?P<trig>{_PARTICIPANT_TRIGGERS})(?:了)?(?:会议|活动|学习|培训|本次活动)?(?:的)?"
    r"(?:全体)?(?:人员|人数|党员|同志|干部|职工|群众|委员|学员|志愿者|人){0,2}(?:共计|共|约|达|有|为|[:：])?"
    rf"(?P<num>{_NUM})(?P<approx>余|多)?(?P<unit>人|名|位)?"
)
PART_BWD_RE = re.compile(
    rf"(?P<num>{_NUM})(?P<approx>余|多)?(?P<unit>人|名|位)"
    r"(?:党员|同志|干部|职工|群众|人员|党员干部|委员|支委|预备党员|入党积极分子|志愿者|家属|居民|"
    r"青年党员|青年|代表|学员|老党员)?"
    rf"(?:共同|一起|全部|均|都)?(?P<trig>{_PARTICIPANT_TRIGGERS})"
)
EXPECTED_RE = re.compile(r"应到|应参加|应出席|应参会")

PLANNED_RE = re.compile(
    r"明天|明日|明早|明晚|后天|大后天|下周|下星期|下个?礼拜|下个?月|明年|下一步|下阶段|即将|届时|"
    r"将于|将在|将要|将(?=召开|开展|组织|举办|举行|进行|召集|邀请|集中)|"
    r"拟于|拟在|拟定于|拟(?=召开|开展|组织|举办|举行|进行)|"
    r"计划于|计划在|计划(?=召开|开展|组织|举办|举行|进行|下周|明天|本周|月底|近期)|"
    r"准备(?!好|工作|材料|了)|定于|定在|预计|预定|安排在|待定|打算|想着|"
    r"要(?=开|搞|召开|组织|举办|举行|去|办|进行|上|讲|集中)|"
    r"(?<![邀申])请.{0,16}?(?:准时|按时|参加|参会|出席)|(?:准时|按时)(?:参加|参会|出席)|"
    r"[0-9一二三四五六七八九十]{1,3}(?:点|时|:[0-9]{2})(?:[0-9]{1,2}分|半)?(?:开始|召开|举行|集合|出发)"
)
DONE_RE = re.compile(
    r"已经|已(?=召开|开展|组织|举办|举行|完成|于|经|顺利|开|搞|办|收|交)|顺利|圆满|结束|开完|办完|完成了|"
    r"搞完|弄完|讲完|学完|看完|上完|(?<![没未])完了|开过|搞过|done|"
    r"(?:召开|开展|组织|举办|举行|进行|参加|观看|讲|开|学习|重温)了"
)
ROUTINE_RE = re.compile(
    r"每(?:个)?(?:月|季度|季|年|周|星期|半年|天|日|次)|定期|常态化|经常性|长效|制度化"
)
RATE_BEFORE_RE = re.compile(r"每(?:个)?(?:月|季度|季|年|周|星期|半年|天|日)[^,，。]{0,6}$")
RESET_RE = re.compile(
    r"今年以来|年初以来|以来|年内|截至|截止|累计|全年|上半年|下半年|本季度|[一二三四1-4]季度|"
    r"本月|上月|上周|本周|这周|今年|去年|近期|近日|日前|前期|近年|[0-9一二三四五六七八九十]{1,2}月份"
)
TOPIC_RE = re.compile(
    r"研究|部署|讨论|审议|表决|审批|传达|学习贯彻|贯彻落实|贯彻|通报|听取|谋划|安排|围绕|关于|筹备|商议|"
    r"酝酿|确定|推荐|动员|总结|落实|督促|指导|检查|推进|加强|规范|健全|完善|选举|产生|成立|换届|"
    r"增补|调整|改选|报送|上报|提交|汇总|统计|填报|上传|整理"
)
HELD_BEFORE_RE = re.compile(
    r"开展|召开|组织|举办|举行|参加|参与|讲授|讲了|讲(?![师稿究话座解述评坛台])|上了|上|观看|收看|进行|参观|赴|到|走访|签订|"
    r"签署|签(?=了|下)|做了|去了|看了|开(?![发拓放始创启通设具辟门局工户支])|搞|办|(?<![通经不度超])过|集中|接受|发展|接收|吸收|制发|发放|学习|重温|聆听|深入|完成|带领|带头|"
    r"邀请|前往|来到|走进|共|累计|先后"
)
HELD_AFTER_RE = re.compile(
    r"^[^,，;；。]{0,10}?(?:召开|举行|开展|进行|结束|举办|开完|顺利|圆满|完成|开了|上了|讲了)(?!情况)"
)
GAP_BREAK_RE = re.compile(
    r"形成|发放|制发|印发|撰写|收集|征集|解决|惠及|覆盖|服务|发现|整改|提出|帮助|慰问|涉及|查摆|"
    r"梳理|评选|表彰|培养|确定|选树|推荐|编印|报送|上报|建立|制定了|累计服务|受教育(?:党员|干部|群众|人)|"
    r"参加|参与"
)
FILLER_RE = re.compile(
    r"^(?:共|共计|累计|合计|总计|先后|全年|今年|年内|已|达|开展|组织|召开|举办|举行|进行|了|计|有|"
    r"约|近|各|分别|以来|总共|一共|次数|为)*$"
)
CONJ_RE = re.compile(r"和|及|与|、|并|以及|暨|或")
QUESTION_START_RE = re.compile(
    r"^(?:请问|问一下|问下|怎么|怎样|如何|为什么|为啥|能否|能不能|可不可以|是否|哪|什么|啥|"
    r"谁|有没有|要不要|需不需要|咋)"
)
QUESTION_ANY_RE = re.compile(
    r"怎么|怎样|如何|为什么|为啥|能否|能不能|可不可以|什么时候|啥时候|哪里|哪儿|哪个|哪些|咋办|"
    r"有没有|要不要|需不需要|是不是|对不对|行不行|好不好"
)
QUESTION_END_RE = re.compile(r"(?:吗|么|呢|嘛|没有|不|没|在哪|哪里|几点|多少)[啊呀吖哈]?$")
GREETING_RE = re.compile(
    r"^(?:@\S+)?(?:你好|您好|大家好|早上好|上午好|中午好|下午好|晚上好|早安|晚安|早|嗨|哈喽|哈啰|"
    r"hi|hello|hey|在吗|在不在|在么|有人吗|老师好|书记好|领导好)+(?:呀|啊|哈|!|！|~|。|\?|？)*$",
    re.IGNORECASE,
)
GREETING_ANY_RE = re.compile(r"你好|您好|大家好|早上好|下午好|晚上好|hello|hi\b", re.IGNORECASE)
THANKS_RE = re.compile(
    r"谢谢|感谢|多谢|谢啦|谢了|辛苦了|辛苦|thanks|thank you|thx|3q", re.IGNORECASE
)
ACK_RE = re.compile(
    r"^(?:收到|好的|好滴|好嘞|好吧|好|收到|嗯嗯|嗯|哦|噢|ok|okay|行|可以|没问题|知道了|明白|明白了|了解|"
    r"是的|对|对的|没错|👌|👍|🙏|✅|\+1|OK了|好了|mark|1)+$",
    re.IGNORECASE,
)
NEGATED_RE = re.compile(
    r"(?:没有|没|未|尚未|还未|暂未|不再|不)(?:有|能|曾)?(?:开展|召开|开|组织|举办|举行|参加|进行|上|讲|搞)"
)
#: After an activity word: it did not happen ("还没开", "取消了", "没开成", "不搞了").
NEGATED_AFTER_RE = re.compile(
    r"(?:还|都|也|暂|尚)?(?:没有|没|未|尚未|不)(?:有)?(?:能)?(?:开|搞|办|召开|开展|组织|举行|举办|进行|上|讲|去)"
    r"(?:成|了|呢|起来)?|"
    r"取消|不开了|不搞了|不办了|不上了|不讲了|泡汤|黄了|作罢|暂停|停办|停开|搁置|开不成|搞不成"
)
#: A postponement: the activity is planned for the date after this ("改到下周一").
POSTPONE_RE = re.compile(
    r"(?:改到|改在|改为|改成|改期到|改期至|推迟到|推迟至|推迟|延期到|延期至|延期|延后到|延后|挪到|调整到|"
    r"调整为|顺延到|顺延至|顺延|推到|换到|放到)"
)
#: Between two activity words of one event: "组织生活会暨民主评议党员", "主题党日活动同时开展
#: 志愿服务", "召开党员大会进行支部换届选举".
EVENT_GAP_RE = re.compile(
    r"^(?:活动|会议|会|工作)?(?:暨|同时|并同步|同步|一并|并|并且|同时还|顺带|结合)"
    r"(?:开展|召开|进行|举行|组织|举办|开|搞)?了?(?:专题|主题)?$"
    r"|^(?:会议|会)?(?:上|中)?(?:进行|开展|举行)了?$"
)
#: After a later word: "民主评议党员也一起搞了", "和民主评议党员一起开的".
EVENT_AFTER_RE = re.compile(r"^(?:也|都|均)?(?:一起|一并|同时|同步|合并|顺带)")
#: Before an earlier word: "结合主题党日开展警示教育".
EVENT_BEFORE_RE = re.compile(r"(?:结合|依托|借助|利用)$")
EVENT_JOIN_RE = re.compile(r"^(?:活动|会议)?(?:[,，])?(?:开展|召开|进行|组织|举办)了?$")
#: Agenda words that keep a list of topics going ("研究学雷锋志愿服务和党课安排").
TOPIC_JOIN_RE = re.compile(r"^(?:和|及|与|、|以及|还有|同|跟|/|或)$")
CONTENT_RE = re.compile(r"(?:活动|学习|会议|党课)?(?:内容|主题|题目|议题|形式)(?:为|是|包括|:|：)")
QTY_AFTER_RE = re.compile(rf"(?:活动|工作)?(?:{_NUM})")
MEETING_NOUN_RE = re.compile(r"会议|会|活动")
NOT_HELD_AFTER_RE = re.compile(
    r"(?:活动|会议|工作)?(?:精神|制度|要求|情况|方案|台账|记录|通知|材料|成果|经验|流程|规定|安排|事项|"
    r"事宜|筹备|准备工作|模板|课件|PPT|ppt|笔记|心得|签到表|会议纪要|纪要)|"
    r"讲师|讲稿|载体|品牌|阵地|队伍|教材|课件|资源|平台|计划|清单|名单"
)
DATE_JOIN_RE = re.compile(r"[和、及与,，]|以及")
EXAMPLES_RE = re.compile(r"(?:活动|会议|学习|教育|制度)?等(?!待|候)")
ACK_HEAD_RE = re.compile(r"收到|好的|好嘞|明白|了解|没问题|知道了|ok", re.IGNORECASE)
SENTENCE_END = frozenset("。！!？?；;\n…")
#: Run-on speech: a new clause starts at these words.
CONNECTOR_RE = re.compile(
    r"然后|还有就是|还有|另外|接着|随后|紧接着|完了以后|回来以后|回来后|之后又|顺便|顺带|"
    r"(?<![天日号0-9月周一二三四五六七八九十今昨前明])(?:上午|下午|晚上|中午|傍晚)"
)
BOUNDARY_RE = re.compile(r"[。！!？?；;\n…，,：:]|(?P<conn>" + CONNECTOR_RE.pattern + ")")
ADJACENT_GAPS = frozenset(("", "的", "之", "专题", "主题"))
BARE_RE = re.compile(r"[\s,，。.!！~～、…]+")
PART_UNITLESS_RE = re.compile(r"人数|人员|[:：]")
STRIP = "，,。、；;：:！!？?…—-~～·• \t\r\n"
ENUM_RE = re.compile(
    r"^(?:[0-9]{1,2}[.、)](?![0-9])|[一二三四五六七八九十]{1,3}(?:是|、)|\(?[一二三四五六七八九十]{1,3}\)|"
    r"[①②③④⑤⑥⑦⑧⑨⑩]|第[一二三四五六七八九十]{1,3}[,，、]?)"
)
PUNCT_ONLY_RE = re.compile(r"^[\W_]*$")

#: Verb-object words written apart: "谈了次心", "谈谈心", "谈了一次心" (谈心谈话).
SPLIT_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"谈(?:了|过|谈)(?:[一两几0-9]?(?:次|回|个))?心(?![得理态愿意])|谈了?[一两几0-9](?:次|回)心"), "谈心谈话"),
)
#: A word that discusses what came before it: "专题研讨了意识形态工作".
DISCUSS_END_RE = re.compile(r"(?:研讨|讨论|研究|学习|交流|部署|审议)$")
