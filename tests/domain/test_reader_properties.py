"""Property tests: any text is read without an exception, quickly, into well-formed records."""

from __future__ import annotations

import datetime as dt
import json
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.reader import Reading, read_message
from bot.domain.reader.pipeline import read as _read
from bot.domain.reader.titles import TITLE_MAX
from bot.domain.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
LIMIT_SECONDS = 0.05

# pieces of real messages: activity words, numbers, units, dates, cue words, punctuation,
# traditional and full-width forms, emoji, so that random texts reach the deep paths
FRAGMENTS = [
    *[a for t in TAXONOMY.types for a in t.aliases[:4]],
    "开展", "召开", "组织", "研究", "学习贯彻", "参加", "实到", "应到", "到会", "共", "累计",
    "今年以来", "每月", "明天", "昨天", "前天", "今天", "上周五", "本周三", "下周一", "将于",
    "拟于", "计划", "请准时参加", "各", "等", "和", "、", "，", "。", "；", "？", "\n", " ",
    "“", "”", "《", "》", "（", "）", "(", ")", ".", "/", "-", ":", "：",
    "1", "2", "12", "30", "２３", "十四", "二十六", "两", "三十", "一百零五", "〇",
    "次", "场", "场次", "人次", "人/次", "人", "名", "件", "份", "期", "余", "多", "篇",
    "3月15日", "2026年3月15日", "2026-03-15", "3.15", "3/15", "15号", "十月十日",
    "主題黨日", "支委會", "黨課", "參加", "實到", "😀", "👍", "🎉", "\u200b", "\u3000",
    "你好", "谢谢", "收到", "好的", "怎么", "吗",
]  # fmt: skip

fragments_text = st.lists(st.sampled_from(FRAGMENTS), max_size=400).map("".join)
any_text = st.text(max_size=10_000)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


def _check(reading: Reading) -> None:
    assert isinstance(reading, Reading)
    assert (reading.intent == "records") == bool(reading.records)
    for record in reading.records:
        assert record.activity_type in TAXONOMY
        activity = TAXONOMY.get(record.activity_type)
        assert record.category == activity.category
        assert record.unit == activity.unit
        assert record.count >= 1
        assert record.participants is None or record.participants > 0
        assert record.status in ("done", "planned")
        assert len(record.title) <= TITLE_MAX
        assert all(alt in TAXONOMY and alt != record.activity_type for alt in record.alternatives)
    json.dumps(reading.to_dict(), ensure_ascii=False)


def _timed(text: str, today: dt.date) -> tuple[Reading, float]:
    best = float("inf")
    reading = None
    for _ in range(3):  # best of three: a loaded CI machine must not make this flaky
        start = time.perf_counter()
        reading = _read(text, today, TAXONOMY)
        best = min(best, time.perf_counter() - start)
        if best < LIMIT_SECONDS:
            break
    assert reading is not None
    return reading, best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text, today=dates)
@example(text="", today=dt.date(2024, 1, 1))
@example(text="一" * 10_000, today=dt.date(2024, 1, 1))
@example(text="开展主题党日2次" * 1250, today=dt.date(2024, 1, 1))
@example(text="支委会2次、" * 1666, today=dt.date(2024, 1, 1))
@example(text="开展主题党日活动，参加21人。" * 666, today=dt.date(2024, 1, 1))
@example(text="3月5日和" * 2000, today=dt.date(2024, 2, 29))
@example(text="2月29日召开支委会", today=dt.date(2023, 3, 1))
@example(text="１２３４５６７８９０" * 1000, today=dt.date(2024, 1, 1))
def test_any_unicode_never_raises_and_is_fast(text: str, today: dt.date) -> None:
    reading, elapsed = _timed(text, today)
    _check(reading)
    assert elapsed < LIMIT_SECONDS, f"{elapsed * 1000:.1f} ms for {len(text)} characters"


@settings(max_examples=300, deadline=None)
@given(text=fragments_text, today=dates)
def test_message_like_text_never_raises_and_is_fast(text: str, today: dt.date) -> None:
    reading, elapsed = _timed(text, today)
    _check(reading)
    assert elapsed < LIMIT_SECONDS


@settings(max_examples=100, deadline=None)
@given(prefix=st.text(max_size=20), suffix=st.text(max_size=20), today=dates)
def test_public_function_agrees_with_the_internal_one(
    prefix: str, suffix: str, today: dt.date
) -> None:
    text = f"{prefix}今天开展主题党日，到场23人{suffix}"
    assert read_message(text, today) == _read(text, today)


@settings(max_examples=100, deadline=None)
@given(
    noise=st.sampled_from(["", "😀", "！！", "~~", " ", "…", "👍👍", "\u3000", "，，"]),
    digits=st.sampled_from(["23", "２３", "二十三"]),
    word=st.sampled_from(["主题党日", "主題黨日"]),
)
def test_noise_does_not_change_the_reading(noise: str, digits: str, word: str) -> None:
    today = dt.date(2024, 5, 16)
    text = f"{noise}今天上午组织全体党员开展{word}活动{noise}，到场{digits}人{noise}"
    records = read_message(text, today).records
    assert [(r.activity_type, r.participants, r.occurred_on) for r in records] == [
        ("主题党日", 23, today)
    ]
