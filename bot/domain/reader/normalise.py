"""Stage 1, normalising: full-width ASCII to ASCII and common traditional characters to simplified,
one code point for one; the characters dropped before matching (spaces, quotes, book-title
marks, emoji variation selectors).

Chat separates clauses with spaces and emoji rather than commas ("支委会 已开 今天",
"圆满结束🎉🎉 参加党员32人"): :func:`mark_clauses` turns an emoji, and a run of spaces between
two non-ASCII characters, into a clause comma (one code point for one, so offsets still map
back to the original text)."""

from __future__ import annotations

import re

from bot.domain.numerals import FULLWIDTH

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
_DROP_CHARS = (
    " \t\r\u00a0\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f"
    "“”‘’\"'「」『』《》〈〉`"
)
DROP = frozenset(_DROP_CHARS)
DROP_RE = re.compile("[" + re.escape(_DROP_CHARS) + "]")


def normalise(text: str) -> str:
    return text.translate(_NORMALISE)


#: Emoji and pictographs (incl. ✅ ❤ ☀ and flags): clause separators in chat.
_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3297\u3299\U0001f1e6-\U0001f1ff]"
)
_GAP_RE = re.compile(r"(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f])")
_HAS_MARK_RE = re.compile(
    "[ \U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3297\u3299]"
)


def mark_clauses(norm: str) -> str:
    """Emoji, and spaces between two non-ASCII characters, become clause commas (same length:
    the first space of a run becomes "，", the rest stay spaces and are dropped later)."""
    if not _HAS_MARK_RE.search(norm):
        return norm
    marked = _EMOJI_RE.sub("，", norm)
    return _GAP_RE.sub(lambda m: "，" + m.group()[1:], marked)
