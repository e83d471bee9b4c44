"""The message reader: eval sets scored per field, and the rules one by one."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from support import REPO

from bot.domain.dates import find_dates, monday_of
from bot.domain.numerals import parse_chinese, parse_int, to_halfwidth
from bot.domain.reader import ParsedRecord, Reading, read_message
from bot.domain.taxonomy import load_taxonomy

DEV_SET = REPO / "tests" / "data" / "eval" / "messages-dev.jsonl"  # copied from shared/eval
EXTRA_SET = REPO / "tests" / "data" / "messages-extra.jsonl"
FIELDS = ("activity_type", "count", "participants", "occurred_on", "status")
THRESHOLD = 0.95

TODAY = dt.date(2024, 5, 16)  # a Thursday


# ----------------------------------------------------------------------------- scoring


def score(path: Path) -> tuple[float, dict[str, float], list[str]]:
    """Type F1 over the set, accuracy of each field and a description of each miss.

    An expected record is matched to an unmatched read record of the same type (the one that
    agrees on most fields); only fields given in ``expect`` are checked, and ``status`` is
    "done" when not given. Unmatched expected records count as wrong in every field.
    """
    tp = fp = fn = 0
    right = dict.fromkeys(FIELDS, 0)
    total = dict.fromkeys(FIELDS, 0)
    misses: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        reading = read_message(case["text"], dt.date.fromisoformat(case["today"]))
        got = [r.to_dict() for r in reading.records]
        used: set[int] = set()
        ok = True
        for exp in case["expect"]:
            best, best_score = None, -1
            for i, rec in enumerate(got):
                if i in used or rec["activity_type"] != exp["activity_type"]:
                    continue
                agree = sum(1 for f in FIELDS if f in exp and rec[f] == exp[f])
                if agree > best_score:
                    best, best_score = i, agree
            if best is None:
                fn += 1
            else:
                used.add(best)
                tp += 1
            for field in FIELDS:
                if field not in exp and field != "status":
                    continue
                want = exp.get(field, "done")
                total[field] += 1
                if best is not None and got[best][field] == want:
                    right[field] += 1
                else:
                    ok = False
        fp += len(got) - len(used)
        if not ok or len(got) != len(used):
            misses.append(f"{case['text']} ({case['today']}): expected {case['expect']}, got {got}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = {f: right[f] / total[f] for f in FIELDS if total[f]}
    return f1, accuracy, misses


def _check_set(path: Path) -> None:
    f1, accuracy, misses = score(path)
    report = f"type F1 {f1:.3f}; " + ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items())
    print(f"{path.name}: {report}")
    assert f1 >= THRESHOLD, report + "\n" + "\n".join(misses)
    for field, value in accuracy.items():
        assert value >= THRESHOLD, f"{field}: {report}\n" + "\n".join(misses)


def test_dev_set_scores() -> None:
    if not DEV_SET.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the dev eval set is missing: {DEV_SET}")
        pytest.skip(f"the dev eval set is not here ({DEV_SET}); it lives in the shared folder")
    _check_set(DEV_SET)


def test_extra_set_scores() -> None:
    _check_set(EXTRA_SET)


def test_extra_set_is_varied() -> None:
    cases = [json.loads(x) for x in EXTRA_SET.read_text(encoding="utf-8").splitlines() if x]
    assert len(cases) >= 60
    assert sum(1 for c in cases if not c["expect"]) >= 8
    assert sum(1 for c in cases if len(c["expect"]) >= 2) >= 8
    assert sum(1 for c in cases if any(e.get("status") == "planned" for e in c["expect"])) >= 8


# ----------------------------------------------------------------------------- helpers


def one(text: str, today: dt.date = TODAY) -> ParsedRecord:
    reading = read_message(text, today)
    assert len(reading.records) == 1, reading
    return reading.records[0]


def types(text: str, today: dt.date = TODAY) -> list[str]:
    return [r.activity_type for r in read_message(text, today).records]


# ----------------------------------------------------------------------------- numerals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("三", 3),
        ("十", 10),
        ("十四", 14),
        ("二十六", 26),
        ("两", 2),
        ("一百零五", 105),
        ("两千零二十", 2020),
        ("三万五千", 35000),
        ("二〇二三", 2023),
        ("26", 26),
        ("２６", 26),
        ("3万", 30000),
        ("叁拾", 30),
    ],
)
def test_numerals(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "万", "十十", "abc", "1.5", "-3", "一" * 30, "三余"])
def test_not_numerals(text: str) -> None:
    assert parse_int(text) is None


def test_halfwidth_keeps_length() -> None:
    assert to_halfwidth("２３人，ＡＢ") == "23人,AB"
    assert parse_chinese("十四") == 14


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年3月15日召开支委会", dt.date(2026, 3, 15)),
        ("3月15日召开支委会", dt.date(2024, 3, 15)),
        ("2026-03-15召开支委会", dt.date(2026, 3, 15)),
        ("3.15召开支委会", dt.date(2024, 3, 15)),
        ("3/15召开支委会", dt.date(2024, 3, 15)),
        ("今天召开支委会", dt.date(2024, 5, 16)),
        ("昨天召开支委会", dt.date(2024, 5, 15)),
        ("前天召开支委会", dt.date(2024, 5, 14)),
        ("本周三召开支委会", dt.date(2024, 5, 15)),
        ("本周一召开支委会", dt.date(2024, 5, 13)),
        ("上周五召开支委会", dt.date(2024, 5, 10)),
        ("上周一召开支委会", dt.date(2024, 5, 6)),
        ("三月十五日召开支委会", dt.date(2024, 3, 15)),
        ("去年12月1日召开支委会", dt.date(2023, 12, 1)),
        ("上个月25号召开支委会", dt.date(2024, 4, 25)),
        ("10日召开支委会", dt.date(2024, 5, 10)),
        ("6月1日召开支委会", dt.date(2023, 6, 1)),  # later than today: last year
        ("5月16日召开支委会", dt.date(2024, 5, 16)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert one(text).occurred_on == expected


def test_no_date_means_none() -> None:
    assert one("召开支委会，研究发展党员工作").occurred_on is None
    assert one("今年以来召开支委会12次").occurred_on is None


def test_weeks_start_on_monday() -> None:
    sunday = dt.date(2024, 5, 19)
    assert monday_of(sunday) == dt.date(2024, 5, 13)
    assert one("本周一召开支委会", sunday).occurred_on == dt.date(2024, 5, 13)
    assert one("上周日召开支委会", sunday).occurred_on == dt.date(2024, 5, 12)


def test_date_like_numbers_are_not_dates() -> None:
    assert find_dates("占比1/3") == []
    assert find_dates("经费12.5万元") == []
    assert find_dates("在3号会议室") == []
    assert find_dates("每周一次") == []
    assert find_dates("2月30日") == [] or find_dates("2月30日")[0].resolve(TODAY) is None


def test_a_deadline_is_not_the_day_of_an_activity() -> None:
    assert read_message("请各支部于5月31日前报送主题党日活动开展情况", TODAY).records == ()


# ----------------------------------------------------------------------------- types


def test_several_types_in_one_message() -> None:
    assert types("累计开展中心组学习14次，开展集中学习30余次") == ["中心组学习", "集中学习"]
    assert types("召开支委会、党员大会各2次") == ["支委会", "支部党员大会"]


def test_held_beats_topic() -> None:
    assert types("召开支委会，研究发展党员工作") == ["支委会"]
    assert types("召开支部委员会研究发展党员工作") == ["支委会"]
    assert types("组织干部召开学习贯彻主题教育专题学习会") == ["集中学习"]
    assert types("召开会议研究部署主题党日活动") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开展中心组集中学习", "中心组学习"),
        ("党委中心组开展专题学习", "中心组学习"),
        ("讲授廉政党课", "廉政党课"),
        ("讲授党风廉政建设专题党课", "廉政党课"),
        ("开展集体廉政谈话", "廉政谈话"),
        ("开展节前廉政提醒谈话", "廉政谈话"),
        ("开展廉政谈心谈话", "廉政谈话"),
        ("开展节前廉政提醒", "廉政提醒"),
        ("党小组开展集中学习", "党小组会"),
    ],
)
def test_specific_beats_generic(text: str, expected: str) -> None:
    assert types(text) == [expected]


def test_not_activities() -> None:
    assert types("系统各级领导干部调研50次，形成调研报告20篇") == ["调查研究"]
    assert types("形成调研报告20篇") == []
    assert read_message("严格落实“三会一课”制度", TODAY).records == ()
    assert read_message("通过“三会一课”、主题党日等载体加强教育", TODAY).records == ()
    assert read_message("机关党支部每月开展主题党日活动", TODAY).records == ()


def test_alternatives_when_equally_likely() -> None:
    record = one("开展谈话3次")
    assert record.activity_type == "谈心谈话"
    assert record.alternatives == ("廉政谈话",)
    assert record.to_dict()["alternatives"] == ["廉政谈话"]
    settled = read_message("组织开展廉政教育，观看警示片", TODAY).records
    assert [(r.activity_type, r.alternatives) for r in settled] == [("警示教育", ())]


def test_traditional_and_fullwidth() -> None:
    record = one("昨天召開支委會，實到７人")
    assert (record.activity_type, record.participants) == ("支委会", 7)
    assert types("開展主題黨日活動") == ["主题党日"]
    assert one("今天开展主题党日，参加２３人").participants == 23


# ----------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("text", "count", "approximate"),
    [
        ("召开党委会28次", 28, False),
        ("开展集中学习30余次", 30, True),
        ("开展谈心谈话二十多次", 20, True),
        ("开展谈心谈话十四次", 14, False),
        ("讲党课两次", 2, False),
        ("开展6次集体廉政谈话", 6, False),
        ("讲授专题党课13场次", 13, False),
        ("开展廉政谈话20余人/次", 20, True),
        ("举办专题培训2期", 2, False),
        ("观看警示教育片6场（次）", 6, False),
        ("开展宣讲１０场", 10, False),
        ("开展主题党日", 1, False),
        ("新发展党员3名", 3, False),
        ("制定为民办实事清单16件", 16, False),
    ],
)
def test_counts(text: str, count: int, approximate: bool) -> None:
    record = one(text)
    assert (record.count, record.approximate) == (count, approximate)


def test_counts_of_unrelated_nouns_are_not_taken() -> None:
    records = read_message("年内开展家风助廉活动13次，制发家属廉政告知书56份", TODAY).records
    assert [(r.activity_type, r.count) for r in records] == [("家风助廉", 13)]
    assert one("开展主题党日活动，发放宣传资料200份").count == 1
    assert one("开展集中学习研讨3次，撰写心得体会30余篇").count == 3


def test_rates_are_not_counts() -> None:
    records = read_message("每季度分析研判一次意识形态领域工作，召开意识形态专题会4次", TODAY)
    assert [(r.activity_type, r.count) for r in records.records] == [("意识形态研判", 4)]


# ----------------------------------------------------------------------------- participants


@pytest.mark.parametrize(
    ("text", "participants"),
    [
        ("今天开展主题党日，参加21人", 21),
        ("今天开展主题党日，到场23人", 23),
        ("今天召开党员大会，出席党员30名", 30),
        ("今天召开党员大会，实到党员31名", 31),
        ("今天召开党小组会，到会9人", 9),
        ("今天召开党员大会，应到32人实到30人", 30),
        ("今天召开党员大会，应到32人，实到30人", 30),
        ("今天开展主题党日，参加二十六人", 26),
        ("今天开展主题党日，23名党员参加", 23),
        ("今天开展主题党日，参加人数：18", 18),
        ("今天开展主题党日", None),
    ],
)
def test_participants(text: str, participants: int | None) -> None:
    assert one(text).participants == participants


def test_participants_are_not_counts() -> None:
    record = one("今天开展主题党日，参加21人")
    assert (record.count, record.participants) == (1, 21)


# ----------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("text", "occurred_on"),
    [
        ("明天上午召开支委会", dt.date(2024, 5, 17)),
        ("将于5月20日召开支委会", dt.date(2024, 5, 20)),
        ("计划于下周一开展主题党日", dt.date(2024, 5, 20)),
        ("拟于6月1日召开党员大会", dt.date(2024, 6, 1)),
        ("下周三开展志愿服务活动", dt.date(2024, 5, 22)),
        ("本周五下午召开支委会", dt.date(2024, 5, 17)),
        ("今天下午三点召开支委会，请全体委员准时参加", dt.date(2024, 5, 16)),
        ("下个月开展廉政党课", None),
    ],
)
def test_planned(text: str, occurred_on: dt.date | None) -> None:
    record = one(text)
    assert record.status == "planned"
    assert record.occurred_on == occurred_on


def test_done_and_planned_in_one_message() -> None:
    records = read_message("昨天开展了主题党日。明天召开支委会。", TODAY).records
    assert [(r.activity_type, r.status) for r in records] == [
        ("主题党日", "done"),
        ("支委会", "planned"),
    ]
    records = read_message("明天召开支委会。今天开展了主题党日，参加20人。", TODAY).records
    assert [(r.activity_type, r.status) for r in records] == [
        ("支委会", "planned"),
        ("主题党日", "done"),
    ]


def test_a_plan_noun_is_not_a_plan() -> None:
    assert one("各支部共制定民生实事计划21件").status == "done"


def test_several_dates_give_several_records() -> None:
    records = read_message("3月15日和3月28日分别召开了支委会", TODAY).records
    assert [(r.activity_type, r.count, r.occurred_on) for r in records] == [
        ("支委会", 1, dt.date(2024, 3, 15)),
        ("支委会", 1, dt.date(2024, 3, 28)),
    ]


# ----------------------------------------------------------------------------- intents


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "greeting"),
        ("您好！", "greeting"),
        ("在吗", "greeting"),
        ("早上好", "greeting"),
        ("谢谢", "thanks"),
        ("谢谢，收到", "thanks"),
        ("辛苦了", "thanks"),
        ("好的", "acknowledgement"),
        ("收到", "acknowledgement"),
        ("好的👍", "acknowledgement"),
        ("收到，马上安排", "acknowledgement"),
        ("怎么导出报告？", "question"),
        ("主题党日怎么登记？", "question"),
        ("明天要开支委会吗", "question"),
        ("", "empty"),
        ("   \n ", "empty"),
        ("。。。", "empty"),
        ("😀😀", "empty"),
        ("今天天气不错", "unknown"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.records == ()
    assert reading.intent == intent


def test_records_intent() -> None:
    assert read_message("今天开展主题党日", TODAY).intent == "records"


# ----------------------------------------------------------------------------- shapes


def test_to_dict_is_json_ready() -> None:
    reading = read_message("昨天下午组织党员开展主题党日活动，参加21人", TODAY)
    data = reading.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["intent"] == "records"
    records = data["records"]
    assert isinstance(records, list)
    record = records[0]
    assert record == {
        "activity_type": "主题党日",
        "category": "组织建设",
        "occurred_on": "2024-05-15",
        "count": 1,
        "unit": "次",
        "participants": 21,
        "title": "组织党员开展主题党日活动",
        "status": "done",
        "approximate": False,
        "alternatives": [],
        "when": {
            "precision": "day",
            "start": "2024-05-15",
            "end": "2024-05-15",
            "label": "2024年5月15日",
        },
        "participants_approximate": False,
        "participants_range": None,
        "needs": [],
        "event": None,
        "reschedule": False,
        "moved_from": None,
        "confidence": 0.85,
    }
    assert Reading((), "empty").to_dict() == {"records": [], "intent": "empty"}


def test_titles_are_short_clauses_of_the_original_text() -> None:
    records = read_message("今年以来共开展“微理论微宣讲”活动10场，开展季度“主题党日”25次。", TODAY)
    assert [r.title for r in records.records] == [
        "今年以来共开展“微理论微宣讲”活动10场",
        "开展季度“主题党日”25次",
    ]
    long = "组织党员" + "认真" * 60 + "开展主题党日活动"
    title = one(long).title
    assert 0 < len(title) <= 60
    # the date and the head count are fields of their own, so the title drops them
    assert one("4.12 召开支委会").title == "召开支委会"


def test_explicit_taxonomy_and_category() -> None:
    record = read_message("上廉政党课3次", TODAY, load_taxonomy()).records[0]
    assert (record.category, record.unit) == ("党风廉政建设", "次")
