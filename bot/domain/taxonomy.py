"""The activity taxonomy: canonical type names, report categories, units, words and frequencies.

The taxonomy is data, not code: the default pack ships as ``bot/domain/data/taxonomy.toml`` (source:
``shared/docs/taxonomy.md``) and an operator may extend or override it with a TOML file of the
same format (settings field ``taxonomy_file``). See the comments at the top of the TOML file for
every field.

Typical use::

    tax = load_taxonomy(settings.taxonomy_file)
    tax.get("支委会").frequency      # FrequencyRule(per="month", times=1, ...)
    [t.name for t in tax.in_category("组织建设")]
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Literal, cast

#: Report categories in report order (the default pack's; a loaded taxonomy may add more).
CATEGORIES: tuple[str, ...] = (
    "政治建设",
    "思想建设",
    "组织建设",
    "作风建设",
    "党风廉政建设",
    "意识形态工作",
    "其他",
)

Period = Literal["month", "quarter", "year"]
_PERIODS: tuple[Period, ...] = ("month", "quarter", "year")
_DEFAULT_WHERE = "bot/domain/data/taxonomy.toml"


@dataclass(frozen=True, slots=True)
class FrequencyRule:
    """A required frequency: at least ``times`` per ``per`` (month, quarter or year).

    ``text`` is the rule as the regulation words it (``"一般每月召开1次"``) and ``source`` the
    regulation and article (``"《中国共产党支部工作条例（试行）》第十二条"``).
    """

    per: Period
    times: int
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class ActivityType:
    """One activity type.

    ``name`` is canonical (reports, tests and imports use it), ``category`` one of the taxonomy's
    categories, ``unit`` the counting unit (次, 场, 名, 件, 份 ...), ``aliases`` the words staff
    write for it (the canonical name need not be among them), ``frequency`` the required
    frequency or ``None``.

    Reader hints (optional): ``rank`` says how likely a mention is the activity actually held
    when several types share a clause (3 meetings, 2 activities, 1 topics usually discussed
    rather than held); ``refines`` names a more generic type of which this is a specific form,
    recognised when one of ``markers`` stands just before a mention of the generic type
    ("廉政专题党课": 廉政 + 党课 -> 廉政党课).
    """

    name: str
    category: str
    unit: str
    aliases: tuple[str, ...]
    frequency: FrequencyRule | None
    rank: int = 2
    refines: str | None = None
    markers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Words that name several types equally well (``"谈话"``: 谈心谈话 or 廉政谈话).

    The reader records ``types[0]`` and offers the rest as alternatives.
    """

    words: tuple[str, ...]
    types: tuple[str, ...]


class Taxonomy:
    """A loaded taxonomy: categories in report order and types in taxonomy order.

    ``ambiguous`` lists words naming several types; ``not_activities`` lists phrases that
    contain an alias but never name an activity held (``"调研报告"``).

    Raises:
        ValueError: (constructor) for duplicate type names, a type whose category is not among
            ``categories``, or an ambiguity naming an unknown type.
    """

    __slots__ = ("__weakref__", "_by_name", "ambiguous", "categories", "not_activities", "types")

    def __init__(
        self,
        categories: Iterable[str],
        types: Iterable[ActivityType],
        ambiguous: Iterable[Ambiguity] = (),
        not_activities: Iterable[str] = (),
    ) -> None:
        self.categories: tuple[str, ...] = tuple(categories)
        self.types: tuple[ActivityType, ...] = tuple(types)
        self.ambiguous: tuple[Ambiguity, ...] = tuple(ambiguous)
        self.not_activities: tuple[str, ...] = tuple(not_activities)
        self._by_name: dict[str, ActivityType] = {}
        for activity in self.types:
            if activity.name in self._by_name:
                raise ValueError(f"活动类型重复：{activity.name}")
            if activity.category not in self.categories:
                raise ValueError(f"活动类型“{activity.name}”的类别“{activity.category}”不存在")
            self._by_name[activity.name] = activity
        for amb in self.ambiguous:
            for name in amb.types:
                if name not in self._by_name:
                    raise ValueError(f"多义词 {'、'.join(amb.words)} 指向不存在的活动类型：{name}")

    def get(self, name: str) -> ActivityType:
        """Return the type with canonical ``name``.

        Raises:
            KeyError: for an unknown name.
        """
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.types)

    def __repr__(self) -> str:
        return f"Taxonomy({len(self.types)} types, {len(self.categories)} categories)"

    def in_category(self, category: str) -> tuple[ActivityType, ...]:
        """Types of ``category`` in taxonomy order (empty for an unknown category)."""
        return tuple(t for t in self.types if t.category == category)


def load_taxonomy(override: Path | None = None) -> Taxonomy:
    """Load the default pack, extended or overridden by the TOML file ``override`` if given.

    The default pack is parsed once and cached; an override file is read on every call. In the
    override, a type whose ``name`` exists replaces the given fields of that type (aliases are
    added unless ``replace_aliases = true``; ``frequency = false`` removes the rule); a new name
    adds a type (``category`` and ``unit`` then required). New ``categories`` are inserted
    before "其他". ``[[ambiguous]]`` and ``not_activities`` are added to the default ones.

    Raises:
        ValueError: with a Chinese message when the override file is missing, unreadable, not
            valid TOML, or has a wrong field (type, value, unknown category or type name).
    """
    base = _default_taxonomy()
    if override is None:
        return base
    where = str(override)
    try:
        raw = Path(override).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"找不到活动类型文件：{where}") from None
    except OSError as exc:
        raise ValueError(f"无法读取活动类型文件 {where}：{exc}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"活动类型文件 {where} 不是 UTF-8 编码") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"活动类型文件 {where} 不是有效的 TOML：{exc}") from None
    return _merge(base, doc, where)


@functools.cache
def _default_taxonomy() -> Taxonomy:
    text = resources.files("bot.domain").joinpath("data/taxonomy.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    empty = Taxonomy(categories=(), types=())
    return _merge(empty, doc, _DEFAULT_WHERE, base_categories=False)


# ------------------------------------------------------------------ parsing and merging


def _merge(
    base: Taxonomy, doc: Mapping[str, object], where: str, *, base_categories: bool = True
) -> Taxonomy:
    known_keys = {"categories", "types", "ambiguous", "not_activities"}
    for key in doc:
        if key not in known_keys:
            raise ValueError(f"活动类型文件 {where}：未知的字段“{key}”")

    categories = list(base.categories)
    new_categories = _str_list(doc.get("categories", []), f"{where}：categories")
    for cat in new_categories:
        if cat in categories:
            continue
        if base_categories and "其他" in categories:
            categories.insert(categories.index("其他"), cat)
        else:
            categories.append(cat)

    types: dict[str, ActivityType] = {t.name: t for t in base.types}
    raw_types = doc.get("types", [])
    if not isinstance(raw_types, list):
        raise ValueError(f"活动类型文件 {where}：types 应为 [[types]] 表数组")
    for index, entry in enumerate(raw_types, start=1):
        ctx = f"{where}：第 {index} 个 [[types]]"
        if not isinstance(entry, dict):
            raise ValueError(f"{ctx} 应为表")
        parsed = _parse_type(entry, types, ctx)
        types[parsed.name] = parsed

    ambiguous = list(base.ambiguous)
    raw_amb = doc.get("ambiguous", [])
    if not isinstance(raw_amb, list):
        raise ValueError(f"活动类型文件 {where}：ambiguous 应为 [[ambiguous]] 表数组")
    for index, entry in enumerate(raw_amb, start=1):
        ctx = f"{where}：第 {index} 个 [[ambiguous]]"
        if not isinstance(entry, dict):
            raise ValueError(f"{ctx} 应为表")
        for key in entry:
            if key not in ("words", "types"):
                raise ValueError(f"{ctx}：未知的字段“{key}”")
        words = _str_list(entry.get("words"), f"{ctx} 的 words", required=True)
        names = _str_list(entry.get("types"), f"{ctx} 的 types", required=True)
        if len(names) < 2:
            raise ValueError(f"{ctx} 的 types 至少应有两个活动类型")
        for name in names:
            if name not in types:
                raise ValueError(f"{ctx} 指向不存在的活动类型：{name}")
        ambiguous.append(Ambiguity(words=tuple(words), types=tuple(names)))

    not_activities = list(base.not_activities)
    for phrase in _str_list(doc.get("not_activities", []), f"{where}：not_activities"):
        if phrase not in not_activities:
            not_activities.append(phrase)

    for activity in types.values():
        if activity.category not in categories:
            raise ValueError(
                f"活动类型文件 {where}：活动类型“{activity.name}”的类别“{activity.category}”"
                f"不在类别列表中（{'、'.join(categories)}）"
            )
        if activity.refines is not None and activity.refines not in types:
            raise ValueError(
                f"活动类型文件 {where}：活动类型“{activity.name}”的 refines"
                f"指向不存在的活动类型：{activity.refines}"
            )
    return Taxonomy(categories, types.values(), ambiguous, not_activities)


_TYPE_KEYS = frozenset(
    {
        "name",
        "category",
        "unit",
        "aliases",
        "replace_aliases",
        "frequency",
        "rank",
        "refines",
        "markers",
    }
)


def _parse_type(
    entry: Mapping[str, object], existing: Mapping[str, ActivityType], ctx: str
) -> ActivityType:
    for key in entry:
        if key not in _TYPE_KEYS:
            raise ValueError(f"{ctx}：未知的字段“{key}”")
    name = _str(entry.get("name"), f"{ctx} 的 name")
    if name is None:
        raise ValueError(f"{ctx} 缺少 name（活动类型名称）")
    ctx = f"{ctx}（{name}）"
    old = existing.get(name)
    category = _str(entry.get("category"), f"{ctx} 的 category")
    unit = _str(entry.get("unit"), f"{ctx} 的 unit")
    if old is None and (category is None or unit is None):
        raise ValueError(f"{ctx} 是新的活动类型，必须给出 category 和 unit")
    aliases = _str_list(entry.get("aliases", []), f"{ctx} 的 aliases")
    replace_aliases = entry.get("replace_aliases", False)
    if not isinstance(replace_aliases, bool):
        raise ValueError(f"{ctx} 的 replace_aliases 应为 true 或 false")
    rank = entry.get("rank")
    if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 0):
        raise ValueError(f"{ctx} 的 rank 应为非负整数")
    refines = _str(entry.get("refines"), f"{ctx} 的 refines")
    if refines == name:
        raise ValueError(f"{ctx} 的 refines 不能指向自身")
    markers = _str_list(entry.get("markers", []), f"{ctx} 的 markers")

    frequency: FrequencyRule | None
    raw_freq = entry.get("frequency")
    if raw_freq is None:
        frequency = old.frequency if old is not None else None
    elif raw_freq is False:
        frequency = None
    elif isinstance(raw_freq, dict):
        frequency = _parse_frequency(raw_freq, f"{ctx} 的 frequency")
    else:
        raise ValueError(f"{ctx} 的 frequency 应为表（per、times、text、source）或 false")

    if old is None:
        assert category is not None and unit is not None
        return ActivityType(
            name=name,
            category=category,
            unit=unit,
            aliases=_dedupe(aliases),
            frequency=frequency,
            rank=2 if rank is None else rank,
            refines=refines,
            markers=tuple(markers),
        )
    merged_aliases = aliases if replace_aliases else [*old.aliases, *aliases]
    return replace(
        old,
        category=old.category if category is None else category,
        unit=old.unit if unit is None else unit,
        aliases=_dedupe(merged_aliases),
        frequency=frequency,
        rank=old.rank if rank is None else rank,
        refines=old.refines if refines is None else refines,
        markers=tuple(markers) if "markers" in entry else old.markers,
    )


def _parse_frequency(raw: Mapping[str, object], ctx: str) -> FrequencyRule:
    for key in raw:
        if key not in ("per", "times", "text", "source"):
            raise ValueError(f"{ctx}：未知的字段“{key}”")
    per = raw.get("per")
    if per not in _PERIODS:
        raise ValueError(f"{ctx} 的 per 应为 month、quarter 或 year（月、季度、年）")
    times = raw.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError(f"{ctx} 的 times 应为正整数")
    text = _str(raw.get("text"), f"{ctx} 的 text") or ""
    source = _str(raw.get("source"), f"{ctx} 的 source") or ""
    return FrequencyRule(per=per, times=times, text=text, source=source)


def _str(value: object, ctx: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{ctx} 应为非空字符串")
    return value.strip()


def _str_list(value: object, ctx: str, *, required: bool = False) -> list[str]:
    if value is None:
        if required:
            raise ValueError(f"{ctx} 不能为空")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{ctx} 应为非空字符串的列表")
    out = [cast(str, v).strip() for v in value]
    if required and not out:
        raise ValueError(f"{ctx} 不能为空")
    return out


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
