"""Stage 3's word list: the taxonomy's aliases compiled once into a trie-shaped regex (the longest
alias wins at each position), plus the lookups the later stages need per type, and (built on
first need, once per taxonomy) a sound index that reads typos from pinyin input.

The sound index (:class:`SoundIndex`) maps every CJK character to its syllable (pypinyin's
first reading, tone dropped, z/zh c/ch s/sh and in/ing en/eng merged as fuzzy pinyin input
does), with look-alike characters of ``data/reader.toml`` ``[confusables]`` mapped to the
syllable of the character meant (曰 -> 日). Aliases of three or more characters are indexed by
their syllables; a stretch of text with the syllables of an alias but one character different
(two for aliases of six or more) is that alias typed wrong: 支委汇, 警视教育, 主体教育读书班.
Also indexed: aliases of five or more characters with one inner character left out
(意识形态判 for 意识形态研判) and canonical names of four or more characters cut short at a
clause end (主题党 for 主题党日).
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import cast

from bot.domain.reader.normalise import DROP_RE, normalise
from bot.domain.taxonomy import Taxonomy


@dataclass(slots=True)
class Lexicon:
    pattern: re.Pattern[str]
    lookup: dict[str, tuple[str, ...]]  # normalised alias -> types ("" tuple: blocked phrase)
    rank: dict[str, int]
    unit: dict[str, str]
    category: dict[str, str]
    refine: dict[str, list[tuple[str, tuple[str, ...]]]]  # generic -> [(specific, markers)]
    canonical: frozenset[str] = frozenset()
    #: aliases that are the tail of a longer alias (读书班 of 主题教育读书班): a typo in the
    #: characters before them would hide the longer word, so the sound index is tried
    extendable: frozenset[str] = frozenset()
    taxonomy: Taxonomy | None = None
    sound: SoundIndex | None = None


_COMPILED: weakref.WeakKeyDictionary[Taxonomy, Lexicon] = weakref.WeakKeyDictionary()


def compile_lexicon(taxonomy: Taxonomy) -> Lexicon:
    cached = _COMPILED.get(taxonomy)
    if cached is not None:
        return cached
    lookup: dict[str, list[str]] = {}

    def add(word: str, names: Iterable[str]) -> None:
        key = DROP_RE.sub("", normalise(word))
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
    blocked = {DROP_RE.sub("", normalise(p)) for p in taxonomy.not_activities}
    final: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in lookup.items()}
    for phrase in blocked:
        if len(phrase) >= 2:
            final[phrase] = ()
    refine: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for activity in taxonomy.types:
        if activity.refines and activity.markers:
            markers = tuple(normalise(m) for m in activity.markers)
            refine.setdefault(activity.refines, []).append((activity.name, markers))
    aliases = [k for k, v in final.items() if v]
    alias_set = set(aliases)
    extendable = {
        word[i:] for word in aliases if len(word) >= 4 for i in range(1, len(word) - 1)
    } & alias_set
    compiled = Lexicon(
        pattern=re.compile("(?=(" + _trie_pattern(final) + "))") if final else re.compile("(?!)"),
        lookup=final,
        rank={t.name: t.rank for t in taxonomy.types},
        unit={t.name: t.unit for t in taxonomy.types},
        category={t.name: t.category for t in taxonomy.types},
        refine=refine,
        canonical=frozenset(normalise(t.name) for t in taxonomy.types),
        extendable=frozenset(extendable),
        taxonomy=taxonomy,
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


# ----------------------------------------------------------------------------- sound index

_PUA = 0xE000  # syllables are written as private-use characters, one per syllable
_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"))


@dataclass(slots=True)
class SoundEntry:
    """One way a stretch of text can stand for an alias: ``chars`` as they would be typed
    (the alias, or the alias with a character left out or cut short), ``kind`` ``"sound"``
    (same syllables, a character or two different), ``"drop"`` (one inner character left out)
    or ``"cut"`` (the end left off, only before a clause end)."""

    chars: str
    types: tuple[str, ...]
    kind: str


@dataclass(slots=True)
class SoundIndex:
    """Syllable lookups for typo reading (module doc). ``table`` translates text to syllable
    characters; ``pattern`` finds indexed syllable sequences in such a text (longest first);
    ``entries`` gives the aliases behind each sequence."""

    table: dict[int, str]
    pattern: re.Pattern[str]
    entries: dict[str, list[SoundEntry]] = field(default_factory=dict)


def _toneless(reading: str) -> str:
    plain = "".join(
        c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c)
    )
    plain = plain.replace("ü", "v").lower()
    for a, b in _FUZZY:
        if plain.startswith(a):
            plain = b + plain[2:]
            break
    if plain.endswith(("ing", "eng")):
        plain = plain[:-1]
    return plain


@functools.cache
def _char_syllables() -> dict[int, str]:
    """Every CJK character's syllable (fuzzy, toneless), confusables mapped to the one meant."""
    from pypinyin.pinyin_dict import pinyin_dict  # imported on first need: ~0.3 s

    syllables: dict[int, str] = {}
    for cp, readings in pinyin_dict.items():
        if 0x3400 <= cp <= 0x9FFF:
            syllables[cp] = _toneless(readings.split(",", 1)[0])
    confusables = cast(dict[str, str], reader_data().get("confusables", {}))
    for typed, meant in confusables.items():
        if len(typed) == 1 and len(meant) == 1 and ord(meant) in syllables:
            syllables[ord(typed)] = syllables[ord(meant)]
    return syllables


@functools.cache
def _syllable_ids() -> dict[str, str]:
    names = sorted(set(_char_syllables().values()))
    return {name: chr(_PUA + i) for i, name in enumerate(names)}


@functools.cache
def _sound_table() -> dict[int, str]:
    ids = _syllable_ids()
    return {cp: ids[name] for cp, name in _char_syllables().items()}


def _phrase_keys(word: str) -> set[str]:
    """The syllable strings of ``word``: by each character's first reading, and as pypinyin
    reads the phrase (会 in 会议 is hui, 调 in 调研 is diao)."""
    from pypinyin import Style, lazy_pinyin

    ids = _syllable_ids()
    table = _sound_table()
    keys = {word.translate(table)}
    readings = lazy_pinyin(word, style=Style.TONE, errors="default")
    if len(readings) == len(word):
        phrase = [ids.get(_toneless(r)) for r in readings]
        if all(phrase):
            keys.add("".join(p for p in phrase if p))
    return {k for k in keys if all(_PUA <= ord(c) < _PUA + 2048 for c in k)}


def sound_index(comp: Lexicon) -> SoundIndex:
    """The lexicon's sound index, built on the first call (then kept with the lexicon)."""
    if comp.sound is not None:
        return comp.sound
    entries: dict[str, list[SoundEntry]] = {}

    def add(chars: str, types: tuple[str, ...], kind: str) -> None:
        for key in _phrase_keys(chars):
            bucket = entries.setdefault(key, [])
            if not any(e.chars == chars and e.kind == kind for e in bucket):
                bucket.append(SoundEntry(chars, types, kind))

    for word, types in comp.lookup.items():
        if not types or len(word) < 3 or not all("\u3400" <= c <= "\u9fff" for c in word):
            continue
        add(word, types, "sound")
        if len(word) >= 5:
            for i in range(1, len(word) - 1):
                short = word[:i] + word[i + 1 :]
                if short not in comp.lookup:
                    add(short, types, "drop")
        if word in comp.canonical and len(word) >= 4 and word[:-1] not in comp.lookup:
            add(word[:-1], types, "cut")
    pattern = re.compile("(?=(" + _trie_pattern(entries) + "))") if entries else re.compile("(?!)")
    comp.sound = SoundIndex(_sound_table(), pattern, entries)
    return comp.sound


@functools.cache
def reader_data() -> dict[str, object]:
    """``bot/domain/data/reader.toml``: the reader's phrase data (confusables, unclear-activity
    cues, request words, how-to topics), parsed once."""
    text = resources.files("bot.domain").joinpath("data/reader.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
