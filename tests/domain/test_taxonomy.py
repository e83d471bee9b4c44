"""The taxonomy pack and operator overrides (shared/docs/taxonomy.md is the source)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.reader import read_message
from bot.domain.taxonomy import CATEGORIES, ActivityType, FrequencyRule, Taxonomy, load_taxonomy

# canonical name, category, unit: exactly as in shared/docs/taxonomy.md
EXPECTED_TYPES = [
    ("第一议题学习", "政治建设", "次"),
    ("党组会议", "政治建设", "次"),
    ("民主生活会", "政治建设", "次"),
    ("中心组学习", "思想建设", "次"),
    ("集中学习", "思想建设", "次"),
    ("党课", "思想建设", "次"),
    ("主题教育", "思想建设", "次"),
    ("宣讲活动", "思想建设", "场"),
    ("读书活动", "思想建设", "次"),
    ("支部党员大会", "组织建设", "次"),
    ("支委会", "组织建设", "次"),
    ("党小组会", "组织建设", "次"),
    ("主题党日", "组织建设", "次"),
    ("组织生活会", "组织建设", "次"),
    ("民主评议党员", "组织建设", "次"),
    ("发展党员", "组织建设", "名"),
    ("谈心谈话", "组织建设", "次"),
    ("党务培训", "组织建设", "次"),
    ("志愿服务", "组织建设", "次"),
    ("结对共建", "组织建设", "次"),
    ("调查研究", "作风建设", "次"),
    ("为民办实事", "作风建设", "件"),
    ("廉政谈话", "党风廉政建设", "次"),
    ("警示教育", "党风廉政建设", "次"),
    ("廉政党课", "党风廉政建设", "次"),
    ("廉政提醒", "党风廉政建设", "次"),
    ("廉政承诺", "党风廉政建设", "份"),
    ("家风助廉", "党风廉政建设", "次"),
    ("意识形态研判", "意识形态工作", "次"),
]

# types the taxonomy.md lacks and real messages show (issue 12); every canonical name of the doc
# is kept, in the doc's order, and these come after them within their categories
ADDED_TYPES = [
    ("红色教育", "思想建设", "次"),
    ("党费收缴", "组织建设", "次"),
    ("换届选举", "组织建设", "次"),
]

# the example words of taxonomy.md: every one must be an alias of its type
EXAMPLE_WORDS = {
    "第一议题学习": ["第一议题"],
    "党组会议": ["党组会", "党委会", "党建工作领导小组会议", "党风廉政建设工作会议"],
    "民主生活会": ["民主生活会", "专题民主生活会"],
    "中心组学习": ["理论学习中心组", "中心组学习", "中心组集中学习"],
    "集中学习": ["集中学习", "专题学习会", "学习讨论", "专题研讨", "三会一课专题学习"],
    "党课": ["党课", "微党课", "专题党课", "讲党课"],
    "主题教育": ["主题教育动员", "主题教育读书班"],
    "宣讲活动": ["宣讲", "微宣讲", "专题宣讲"],
    "读书活动": ["读书班", "读书分享", "月读一书", "共读"],
    "支部党员大会": ["支部党员大会", "党员大会"],
    "支委会": ["支委会", "支部委员会会议", "支部委员会"],
    "党小组会": ["党小组会", "党小组学习"],
    "主题党日": ["主题党日", "党员活动日", "七一主题党日"],
    "组织生活会": ["组织生活会"],
    "民主评议党员": ["民主评议党员", "民主评议"],
    "发展党员": ["发展党员", "新发展党员", "接收预备党员"],
    "谈心谈话": ["谈心谈话", "谈心"],
    "党务培训": ["党务培训", "党务干部培训", "支部书记培训", "业务知识培训"],
    "志愿服务": ["志愿服务", "双报到", "当一天网格员"],
    "结对共建": ["结对共建", "结对联建", "联建"],
    "调查研究": ["调研", "调查研究", "走访调研"],
    "为民办实事": ["为民办实事", "为群众办实事", "民生实事"],
    "廉政谈话": ["廉政谈话", "集体廉政谈话", "提醒谈话", "廉政提醒谈话", "任前廉政谈话"],
    "警示教育": ["警示教育", "警示教育片", "警示教育基地"],
    "廉政党课": ["廉政党课", "廉洁党课"],
    "廉政提醒": ["节前廉政提醒", "廉洁提醒", "廉政提醒"],
    "廉政承诺": ["责任书", "承诺书", "廉洁自律承诺"],
    "家风助廉": ["家风助廉", "家庭助廉", "家属廉政告知书"],
    "意识形态研判": ["意识形态专题会", "意识形态分析研判", "意识形态领域形势"],
}

BRANCH_RULES = "《中国共产党支部工作条例（试行）》"


def test_categories_in_report_order() -> None:
    expected = (
        "政治建设",
        "思想建设",
        "组织建设",
        "作风建设",
        "党风廉政建设",
        "意识形态工作",
        "其他",
    )
    assert expected == CATEGORIES
    assert load_taxonomy().categories == CATEGORIES


def test_every_type_of_the_doc_with_category_and_unit() -> None:
    tax = load_taxonomy()
    got = [(t.name, t.category, t.unit) for t in tax.types]
    assert [t for t in got if t in EXPECTED_TYPES] == EXPECTED_TYPES
    assert sorted(t for t in got if t not in EXPECTED_TYPES) == sorted(ADDED_TYPES)
    # types stay grouped by category in report order
    order = [CATEGORIES.index(c) for _, c, _ in got]
    assert order == sorted(order)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本月全体党员按时交纳了党费", "党费收缴"),
        ("今天收了一季度党费", "党费收缴"),
        ("昨天组织党员去革命纪念馆参观学习", "红色教育"),
        ("上午去烈士陵园搞了红色教育", "红色教育"),
        ("支部换届选举昨天完成", "换届选举"),
    ],
)
def test_added_types_are_read(text: str, expected: str) -> None:
    import datetime as dt

    records = read_message(text, dt.date(2026, 3, 20)).records
    assert [r.activity_type for r in records] == [expected]


@pytest.mark.parametrize(("name", "words"), sorted(EXAMPLE_WORDS.items()))
def test_doc_examples_are_aliases(name: str, words: list[str]) -> None:
    activity = load_taxonomy().get(name)
    for word in words:
        assert word in activity.aliases, word
    assert len(activity.aliases) >= len(words)


def test_more_words_than_the_examples() -> None:
    tax = load_taxonomy()
    total_examples = sum(len(w) for w in EXAMPLE_WORDS.values())
    assert sum(len(t.aliases) for t in tax.types) > 3 * total_examples


@pytest.mark.parametrize(
    ("name", "per", "article"),
    [
        ("支部党员大会", "quarter", "第十一条"),
        ("支委会", "month", "第十二条"),
        ("党小组会", "month", "第十三条"),
        ("主题党日", "month", "第十六条"),
        ("党课", "quarter", "第十六条"),
        ("组织生活会", "year", "第十七条"),
        ("民主评议党员", "year", "第十八条"),
        ("谈心谈话", "year", "第十九条"),
    ],
)
def test_frequencies_with_sources(name: str, per: str, article: str) -> None:
    rule = load_taxonomy().get(name).frequency
    assert rule is not None
    assert rule.per == per
    assert rule.times == 1
    assert BRANCH_RULES in rule.source
    assert article in rule.source
    assert rule.text


def test_types_without_a_rule() -> None:
    tax = load_taxonomy()
    with_rules = {t.name for t in tax.types if t.frequency is not None}
    assert with_rules == {
        "支部党员大会",
        "支委会",
        "党小组会",
        "主题党日",
        "党课",
        "组织生活会",
        "民主评议党员",
        "谈心谈话",
    }


def test_lookup_api() -> None:
    tax = load_taxonomy()
    assert "支委会" in tax
    assert "不存在的类型" not in tax
    assert 42 not in tax
    with pytest.raises(KeyError):
        tax.get("不存在的类型")
    assert [t.name for t in tax.in_category("意识形态工作")] == ["意识形态研判"]
    assert tax.in_category("其他") == ()
    assert tax.in_category("没有这个类别") == ()
    assert len(tax) == len(EXPECTED_TYPES) + len(ADDED_TYPES)


def test_default_pack_is_cached() -> None:
    assert load_taxonomy() is load_taxonomy()
    assert load_taxonomy(None) is load_taxonomy()


def test_dataclasses_are_frozen() -> None:
    activity = load_taxonomy().get("支委会")
    assert isinstance(activity, ActivityType)
    assert isinstance(activity.frequency, FrequencyRule)
    with pytest.raises(AttributeError):
        activity.name = "x"  # type: ignore[misc]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_extends_aliases_and_adds_types(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
categories = ["统战工作"]

[[types]]
name = "支委会"
aliases = ["支委碰头会"]

[[types]]
name = "统战联谊"
category = "统战工作"
unit = "场"
aliases = ["联谊会", "统战联谊活动"]
[types.frequency]
per = "year"
times = 2
text = "每年至少2场"
source = "本单位规定"
""",
    )
    base = load_taxonomy()
    tax = load_taxonomy(path)
    assert tax is not base
    assert tax.categories == ("政治建设", "思想建设", "组织建设", "作风建设", "党风廉政建设",
                              "意识形态工作", "统战工作", "其他")  # fmt: skip
    assert "支委碰头会" in tax.get("支委会").aliases
    assert "支委会" in tax.get("支委会").aliases  # extended, not replaced
    assert tax.get("支委会").frequency == base.get("支委会").frequency
    new = tax.get("统战联谊")
    assert (new.category, new.unit) == ("统战工作", "场")
    assert new.frequency == FrequencyRule("year", 2, "每年至少2场", "本单位规定")
    assert [t.name for t in tax.types][-1] == "统战联谊"
    # the default pack is untouched
    assert "支委碰头会" not in base.get("支委会").aliases
    assert "统战联谊" not in base


def test_override_replaces_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[types]]
name = "党课"
aliases = ["上课"]
replace_aliases = true
[types.frequency]
per = "month"
times = 1
text = "每月1次"
source = "本地规定"

[[types]]
name = "谈心谈话"
frequency = false
unit = "人次"
""",
    )
    tax = load_taxonomy(path)
    assert tax.get("党课").aliases == ("上课",)
    rule = tax.get("党课").frequency
    assert rule is not None
    assert rule.per == "month"
    assert tax.get("谈心谈话").frequency is None
    assert tax.get("谈心谈话").unit == "人次"


def test_override_is_used_by_the_reader(tmp_path: Path) -> None:
    import datetime as dt

    path = _write(tmp_path, '[[types]]\nname = "支委会"\naliases = ["支委碰头会"]\n')
    tax = load_taxonomy(path)
    today = dt.date(2024, 5, 10)
    reading = read_message("昨天召开支委碰头会，实到5人", today, tax)
    assert [r.activity_type for r in reading.records] == ["支委会"]
    assert reading.records[0].participants == 5
    assert read_message("昨天召开支委碰头会", today).records == ()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[[types]\nname = 1", "不是有效的 TOML"),
        ('[[types]]\ncategory = "其他"\nunit = "次"\n', "缺少 name"),
        ('[[types]]\nname = "新类型"\n', "必须给出 category 和 unit"),
        ('[[types]]\nname = "新类型"\ncategory = "没有的类别"\nunit = "次"\n', "类别"),
        ('[[types]]\nname = "支委会"\naliases = "支委碰头会"\n', "aliases"),
        ('[[types]]\nname = "支委会"\n[types.frequency]\nper = "week"\n', "per"),
        ('[[types]]\nname = "支委会"\n[types.frequency]\nper = "month"\ntimes = 0\n', "times"),
        ('[[types]]\nname = "支委会"\ncolour = "red"\n', "未知的字段"),
        ('[[ambiguous]]\nwords = ["会"]\ntypes = ["支委会", "不存在"]\n', "不存在"),
        ("unknown_key = 1\n", "未知的字段"),
        ('types = "x"\n', "types"),
    ],
)
def test_malformed_override_raises_value_error_in_chinese(
    tmp_path: Path, content: str, needle: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(ValueError, match=needle) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)


def test_missing_or_binary_override(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="找不到"):
        load_taxonomy(tmp_path / "nope.toml")
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ValueError, match="UTF-8"):
        load_taxonomy(path)


def test_taxonomy_constructor_validates() -> None:
    activity = ActivityType("甲", "其他", "次", ("甲活动",), None)
    with pytest.raises(ValueError, match="重复"):
        Taxonomy(CATEGORIES, [activity, activity])
    with pytest.raises(ValueError, match="类别"):
        Taxonomy(("政治建设",), [activity])
    tax = Taxonomy(CATEGORIES, [activity])
    assert tax.get("甲") is activity
