"""The reader on chat as people type it (issue 12): head counts, typos, noise, agendas and
cancellations, events, date precision, lists, unclear activities, requests, explanations."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.domain.reader import ParsedRecord, Reading, read_message
from bot.domain.when import When

TODAY = dt.date(2026, 3, 20)  # a Friday


def one(text: str, today: dt.date = TODAY) -> ParsedRecord:
    reading = read_message(text, today)
    assert len(reading.records) == 1, reading
    return reading.records[0]


# ----------------------------------------------------------------------------- head counts


@pytest.mark.parametrize(
    ("text", "people", "approximate"),
    [
        ("今天党小组会开完了，来了9个人", 9, False),
        ("昨天主题党日，去了14个党员", 14, False),
        ("上午支委会到了5位委员", 5, False),
        ("今天的党课到场27名同志", 27, False),
        ("昨晚线上微党课，在线38人", 38, False),
        ("今天请老书记讲党课，听课的有45人", 45, False),
        ("党员大会今天开的 21个人都到齐了", 21, False),
        ("今天组织生活会，全体18名党员参加", 18, False),
        ("我们支部12个党员 昨天主题党日 12个全到了", 12, False),
        ("上午支委会 就仨人到了", 3, False),
        ("上午党小组学习 来了俩人", 2, False),
        ("主题党日今天搞完了 大概三十个人", 30, True),
        ("昨天集中学习 差不多有四十人", 40, True),
        ("今天的宣讲将近两百人听", 200, True),
        ("党课今天上的，30人左右", 30, True),
        ("今天警示教育，来了五十来个", 50, True),
        ("昨天党员大会 三十多个人参加", 30, True),
        ("今天党员大会开完了 四十几个人参加", 40, True),
        ("今天宣讲会场坐满了 一百多人", 100, True),
        ("上午的党务培训 各支部来了近百人", 100, True),
        ("今天组织15名党员到社区志愿服务", 15, False),
        ("书记今天和8名党员逐一谈心", 8, False),
        ("昨天主题党日 participants 25", 25, False),
        ("今天党课 attended by 30 people", 30, False),
        ("昨天党员大会 应到32 实到29", 29, False),
    ],
)
def test_head_counts_in_every_wording(text: str, people: int, approximate: bool) -> None:
    record = one(text)
    assert record.participants == people
    assert record.participants_approximate is approximate
    assert record.count == 1


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("今天党日活动 来了十五六个", 15, 16),
        ("今儿上午搞了次主题党日 差不多二十五六个人吧", 25, 26),
        ("昨天的学习会二三十人参加", 20, 30),
        ("今天开了党员大会 到了七八十人", 70, 80),
    ],
)
def test_a_range_of_people_is_asked_about(text: str, low: int, high: int) -> None:
    record = one(text)
    assert record.participants is None
    assert record.participants_range == (low, high)
    assert record.needs == ("participants",)
    assert record.to_dict()["needs"] == ["participants"]


@pytest.mark.parametrize(
    "text",
    [
        "支部共有党员35名 今天召开党员大会",
        "全支部40名党员，昨天开了主题党日",
        "支部党员共48人 今天组织生活会 请假6人",
        "今天志愿服务发了300份传单 走访了8户",
        "今天结对共建 捐了2000元 送了50本书",
        "今天主题党日义诊 服务群众120人次",
        "昨天党课讲的第2讲 讲了一个半小时",
        "今天调研跑了3个村",
        "今天党员大会表决了两个预备党员转正",
    ],
)
def test_membership_and_things_are_not_head_counts(text: str) -> None:
    assert one(text).participants is None


def test_membership_beside_attendance() -> None:
    assert one("支部共有党员35名 今天党员大会实到31人").participants == 31
    assert one("全支部23名党员 今天党课来了19个").participants == 19
    assert read_message("我们支部共有党员35名", TODAY).records == ()


def test_one_head_count_for_two_activities() -> None:
    records = read_message(
        "昨天看了警示教育片 今天又讲了廉政党课 两次都是28个人参加", TODAY
    ).records
    assert [(r.activity_type, r.count, r.participants) for r in records] == [
        ("警示教育", 1, 28),
        ("廉政党课", 1, 28),
    ]


# ----------------------------------------------------------------------------- typos


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("今天组织大家去了警视教育基地", "警示教育"),
        ("昨天下午开了主题党曰活动", "主题党日"),
        ("刚开完支委汇 累死", "支委会"),
        ("上周五开了组织生活汇", "组织生活会"),
        ("今天党小祖会 学习了党章", "党小组会"),
        ("今天社区自愿服务", "志愿服务"),
        ("前天搞了主体教育读书班", "主题教育"),
        ("昨天开展了连政谈话", "廉政谈话"),
        ("今天上午开了党组扩大汇", "党组会议"),
        ("今天开了主题党 去了烈士陵园", "主题党日"),
        ("昨天开了民主生火会", "民主生活会"),
    ],
)
def test_typos_from_pinyin_input_read_as_meant(text: str, meant: str) -> None:
    record = one(text)
    assert record.activity_type == meant
    source = record.to_dict(explain=True)["explain"]
    assert isinstance(source, dict)
    assert source["activity_type"]["via"] == "pinyin"
    assert source["activity_type"]["confidence"] < 1
    assert record.confidence < 1


def test_words_written_right_are_not_typos() -> None:
    record = one("今天开展主题党日活动")
    explain = record.to_dict(explain=True)["explain"]
    assert isinstance(explain, dict)
    assert explain["activity_type"]["via"] == "text"
    assert read_message("当日天气很好，大家攻读学位", TODAY).records == ()


# ----------------------------------------------------------------------------- noise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🎉🎉今天主题党日🎉 到场22人🎊", [("主题党日", 22, TODAY)]),
        ("✅支委会 已开 今天", [("支委会", None, TODAY)]),
        ("today 开了 党小组会 👍", [("党小组会", None, TODAY)]),
        ("yesterday的支委会 ok了", [("支委会", None, TODAY - dt.timedelta(days=1))]),
        ("昨天主題黨日活動圓滿結束 參加30人", [("主题党日", 30, TODAY - dt.timedelta(days=1))]),
        (
            "今天上午开党小组会然后下午去社区搞志愿服务去了12个人",
            [("党小组会", None, TODAY), ("志愿服务", 12, TODAY)],
        ),
    ],
)
def test_noise(text: str, expected: list[tuple[str, int | None, dt.date]]) -> None:
    records = read_message(text, TODAY).records
    assert [(r.activity_type, r.participants, r.occurred_on) for r in records] == expected


def test_time_of_day_alone_is_today_or_the_day_named_before() -> None:
    assert one("下午开了个党员大会").occurred_on == TODAY
    assert one("刚开完支委会").occurred_on == TODAY
    records = read_message("10月8日上午开展主题党日，参加23人；下午召开支委会", TODAY).records
    assert [r.occurred_on for r in records] == [dt.date(2025, 10, 8)] * 2


# ----------------------------------------------------------------------------- held or not


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("今天支委会研究了学雷锋志愿服务和党课安排", ["支委会"]),
        ("昨天开支委会 讨论了主题党日和组织生活会的方案", ["支委会"]),
        ("今天党组会部署了警示教育和廉政谈话工作", ["党组会议"]),
        ("支委会今天审议了发展党员和民主评议党员事项", ["支委会"]),
        ("今天开支委会讨论下个月党课安排", ["支委会"]),
        ("这周的支委会还没开", []),
        ("主题党日还没搞呢", []),
        ("明天的党课取消了", []),
        ("上周的党小组会没开成", []),
        ("本月党员大会不开了", []),
        ("昨天原本要开支委会 结果书记临时有事没开成", []),
        ("今年的组织生活会还没有召开", []),
    ],
)
def test_agendas_negations_and_cancellations(text: str, held: list[str]) -> None:
    records = read_message(text, TODAY).records
    assert [r.activity_type for r in records] == held
    assert all(r.status == "done" for r in records)


def test_a_postponement_is_a_planned_record_for_the_new_date() -> None:
    record = one("周四的支委会改到下周二")
    assert (record.status, record.occurred_on, record.reschedule) == (
        "planned",
        dt.date(2026, 3, 24),
        True,
    )
    assert record.moved_from is not None and record.moved_from.precision == "day"
    record = one("原定明天的党课改在3月25日", dt.date(2026, 3, 10))
    assert (record.occurred_on, record.moved_from) == (
        dt.date(2026, 3, 25),
        When("day", dt.date(2026, 3, 11), dt.date(2026, 3, 11)),
    )
    record = one("党员大会延期到下个月")
    assert record.status == "planned" and record.reschedule
    assert record.when == When("month", dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert not one("今天开展主题党日").reschedule


# ----------------------------------------------------------------------------- events


@pytest.mark.parametrize(
    ("text", "types", "people"),
    [
        ("组织生活会暨民主评议党员，应到28人实到26人", ["组织生活会", "民主评议党员"], 26),
        ("今天开展主题党日活动同时开展志愿服务 来了16个人", ["主题党日", "志愿服务"], 16),
        ("昨天结合主题党日开展警示教育，到场20人", ["主题党日", "警示教育"], 20),
        (
            "12月份开了组织生活会 民主评议党员也一起搞了 19人参加",
            ["组织生活会", "民主评议党员"],
            19,
        ),
    ],
)
def test_one_event_several_types(text: str, types: list[str], people: int) -> None:
    records = read_message(text, TODAY).records
    assert [r.activity_type for r in records] == types
    assert {r.event for r in records} == {1}
    assert all(r.participants == people and r.count == 1 for r in records)


def test_separate_activities_are_separate_events() -> None:
    records = read_message("上午开支委会 下午开党员大会", TODAY).records
    assert [r.event for r in records] == [None, None]


# ----------------------------------------------------------------------------- precision


@pytest.mark.parametrize(
    ("text", "today", "precision", "start", "label"),
    [
        ("6月为群众办实事3件", dt.date(2026, 7, 10), "month", dt.date(2026, 6, 1), "2026年6月"),
        (
            "8月中旬组织党员开展了红色教育",
            dt.date(2026, 9, 5),
            "xun",
            dt.date(2026, 8, 11),
            "2026年8月中旬",
        ),
        (
            "计划于2027年1月中旬召开组织生活会",
            dt.date(2026, 12, 20),
            "xun",
            dt.date(2027, 1, 11),
            "2027年1月中旬",
        ),
        (
            "上半年开展警示教育4次",
            dt.date(2026, 7, 10),
            "half",
            dt.date(2026, 1, 1),
            "2026年上半年",
        ),
        (
            "二季度召开党员大会1次",
            dt.date(2026, 7, 10),
            "quarter",
            dt.date(2026, 4, 1),
            "2026年第二季度",
        ),
        ("今年开展结对共建2次", dt.date(2026, 7, 10), "year", dt.date(2026, 1, 1), "2026年"),
        ("本月组织生活会已开，全体党员参加", TODAY, "month", dt.date(2026, 3, 1), "2026年3月"),
    ],
)
def test_dates_keep_their_precision(
    text: str, today: dt.date, precision: str, start: dt.date, label: str
) -> None:
    record = one(text, today)
    assert record.when is not None
    assert (record.when.precision, record.when.start, record.when.label) == (
        precision,
        start,
        label,
    )
    assert record.occurred_on is None
    data = record.to_dict()
    assert data["occurred_on"] is None
    assert data["when"] == record.when.to_dict()


def test_a_planned_month_stays_in_the_future() -> None:
    record = one("计划于2027年1月中旬召开组织生活会", dt.date(2026, 12, 20))
    assert record.status == "planned"
    assert record.when == When("xun", dt.date(2027, 1, 11), dt.date(2027, 1, 20))


def test_a_day_said_beside_a_period_wins() -> None:
    assert one("今天开了本年度第3次支委会", TODAY).occurred_on == TODAY
    assert one("二季度的党课今天讲了", TODAY).occurred_on == TODAY


# ----------------------------------------------------------------------------- lists


def test_dates_of_a_list_give_one_record_each_with_clean_titles() -> None:
    records = read_message("10月15日和11月12日分别召开党小组会", dt.date(2026, 12, 20)).records
    assert [(r.occurred_on, r.title) for r in records] == [
        (dt.date(2026, 10, 15), "召开党小组会"),
        (dt.date(2026, 11, 12), "召开党小组会"),
    ]


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("支委会开了俩，党小组会开了仨", [("支委会", 2), ("党小组会", 3)]),
        ("这个月搞了俩微党课 仨党小组会", [("党课", 2), ("党小组会", 3)]),
        ("这周谈心谈话搞了五个", [("谈心谈话", 5)]),
        ("这个月开了两次党小组会一次支委会", [("党小组会", 2), ("支委会", 1)]),
        ("今天签了32份廉洁自律承诺书", [("廉政承诺", 32)]),
        ("下午给群众办了2件实事", [("为民办实事", 2)]),
    ],
)
def test_counts_in_chat(text: str, counts: list[tuple[str, int]]) -> None:
    records = read_message(text, TODAY).records
    assert [(r.activity_type, r.count) for r in records] == counts


# ----------------------------------------------------------------------------- never a dead end


@pytest.mark.parametrize(
    ("text", "first", "people"),
    [
        ("昨天下午支部开会", "支委会", None),
        ("今天组织党员学习，到场一百二十人", "集中学习", 120),
        ("今天开了个会 大家都来了", "支委会", None),
    ],
)
def test_an_activity_of_unclear_type_offers_types(
    text: str, first: str, people: int | None
) -> None:
    reading = read_message(text, TODAY)
    assert reading.records == ()
    assert reading.intent == "unclear"
    assert reading.unclear is not None
    assert reading.unclear.candidates[0] == first
    assert len(reading.unclear.candidates) >= 2
    assert reading.unclear.participants == people
    data = reading.to_dict()
    assert data["unclear"]["candidates"][0] == first  # type: ignore[index]


def test_chat_that_is_no_activity_stays_chat() -> None:
    for text in (
        "书记在开会 晚点回复",
        "请各党小组组长周五前把学习笔记交上来",
        "你好",
        "今天天气真冷",
    ):
        reading = read_message(text, TODAY)
        assert reading.unclear is None and reading.request is None, text


@pytest.mark.parametrize(
    ("text", "kind", "period", "mine"),
    [
        ("帮我出一份今年的总结", "report", "2026", True),
        ("生成一下上半年的党建工作总结", "report", "2026H1", False),
        ("把这个季度的总结发我", "report", "2026Q1", True),
        ("导出台账", "ledger", None, False),
        ("把去年的台账导出来", "ledger", "2025", False),
        ("我这个季度登记了哪些", "list", "2026Q1", True),
        ("看看我上个月报了啥", "list", "2026-02", True),
    ],
)
def test_requests(text: str, kind: str, period: str | None, mine: bool) -> None:
    reading = read_message(text, TODAY)
    assert reading.records == ()
    assert reading.intent == "request"
    request = reading.request
    assert request is not None
    assert request.kind == kind
    assert (request.period.key if request.period else None) == period
    assert request.mine is mine


def test_a_list_request_names_the_type_asked_about() -> None:
    reading = read_message("这个季度我们开了几次支委会？帮我查下", TODAY)
    assert reading.request is not None
    assert (reading.request.kind, reading.request.activity_type) == ("list", "支委会")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("怎么导出台账？", "ledger"),
        ("怎么生成总结报告", "report"),
        ("报错了的记录怎么删除", "delete"),
        ("记录填错了怎么改？", "edit"),
        ("怎么邀请其他党员加入", "invite"),
        ("怎么设置提醒", "remind"),
        ("总结什么时候截止报送？", "deadlines"),
        ("主题党日怎么登记？", "record"),
    ],
)
def test_how_to_questions_have_a_topic(text: str, topic: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.intent == "question"  # as before: existing callers answer questions
    assert reading.request is not None
    assert (reading.request.kind, reading.request.topic) == ("howto", topic)
    assert (
        json.loads(json.dumps(reading.to_dict(), ensure_ascii=False))["request"]["topic"] == topic
    )


# ----------------------------------------------------------------------------- explain


def test_explain_gives_spans_in_the_original_text() -> None:
    text = "🎉 昨天下午 组织党员开展“主題黨日”活动，到场 23 人"
    reading = read_message(text, TODAY)
    data = reading.to_dict(explain=True)
    record = data["records"][0]  # type: ignore[index]
    explain = record["explain"]
    for name, want in (
        ("activity_type", "主題黨日”活动"),  # the word 主题党日活动, across the dropped quote
        ("occurred_on", "昨天下午"),
        ("participants", "23 人"),
    ):
        start, end = explain[name]["span"]
        assert text[start:end] == want == explain[name]["text"]
        assert 0 < explain[name]["confidence"] <= 1
    assert explain["count"]["via"] == "default"
    assert "explain" not in reading.to_dict()["records"][0]  # type: ignore[index]


def test_confidence_is_lower_for_guesses() -> None:
    sure = one("昨天召开支委会，实到7人")
    guess = one("刚开完支委汇")
    assert 0 < guess.confidence < sure.confidence <= 1


def test_reading_defaults_keep_old_callers_working() -> None:
    assert Reading((), "empty").to_dict() == {"records": [], "intent": "empty"}
    record = one("今天开展主题党日，参加21人")
    assert record.when == When("day", TODAY, TODAY)
    assert record.when.day == record.occurred_on
