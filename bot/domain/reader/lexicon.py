"""Stage 3's word list: the taxonomy's aliases compiled once into a trie-shaped regex (the longest
alias wins at each position), plus the lookups the later stages need per type."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

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
    compiled = Lexicon(
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
