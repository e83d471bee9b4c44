"""Numbers as staff write them: Arabic, full-width and Chinese numerals.

A deliberately small parser (measured against cn2an in ``bench/RESULTS.md``: same answers on the
forms staff use, about 10x faster per call and no import cost). It reads:

* Arabic digits ``"26"`` and full-width digits ``"２６"`` (normalise with :data:`FULLWIDTH` or
  :func:`to_halfwidth` first, or pass them as they are: :func:`parse_int` maps them itself);
* Chinese numerals with units: ``"十四"`` 14, ``"二十六"`` 26, ``"两百零五"`` 205,
  ``"三万五千"`` 35000, ``"十"`` 10; the financial forms ``"壹贰叁"`` and ``"拾佰仟"`` too;
* digit-by-digit Chinese numerals: ``"二〇二三"`` 2023 (years);
* a mixture of Arabic digits and a Chinese unit: ``"3万"`` 30000, ``"1千"`` 1000.

Nothing here raises for bad input: the parsers return ``None`` instead.
"""

from __future__ import annotations

#: Full-width ASCII (U+FF01..U+FF5E) to ASCII and the ideographic space to a space, 1:1 per
#: character so that offsets in the translated text equal offsets in the original.
FULLWIDTH: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULLWIDTH[0x3000] = 0x20

#: Chinese digit characters and their values (两 and 俩 are 2, 仨 is 3; 〇 and 零 are 0).
DIGITS: dict[str, int] = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "叁": 3,
    "仨": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}

#: Small units (multiply the digit before them) and their values.
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}

#: Large units (multiply the whole section before them) and their values.
LARGE_UNITS: dict[str, int] = {"万": 10_000, "亿": 100_000_000}

#: Every character that may appear in a Chinese numeral; handy for building regexes.
NUMERAL_CHARS: str = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(LARGE_UNITS)

_MAX_LEN = 24  # longer "numerals" are noise, not numbers a person wrote


def to_halfwidth(text: str) -> str:
    """Return ``text`` with full-width ASCII turned into ASCII (same length, 1:1 per char)."""
    return text.translate(FULLWIDTH)


def parse_chinese(text: str) -> int | None:
    """Parse a Chinese numeral such as ``"二十六"`` into an int, or ``None`` if it is not one.

    Accepts digits, 十/百/千 (also 拾/佰/仟) and 万/亿, and digit-by-digit forms (``"二〇二三"``
    is 2023). A leading 十 means 10 (``"十四"`` is 14). Returns ``None`` for an empty string,
    an unknown character, two units in a wrong order (``"十百"``) or a string longer than 24
    characters.
    """
    if not text or len(text) > _MAX_LEN:
        return None
    if any(ch not in DIGITS and ch not in SMALL_UNITS and ch not in LARGE_UNITS for ch in text):
        return None
    if len(text) > 1 and all(ch in DIGITS for ch in text):
        # digit by digit: 二〇二三 -> 2023
        value = 0
        for ch in text:
            value = value * 10 + DIGITS[ch]
        return value
    total = 0  # finished sections above the current large unit
    section = 0  # the current section below 万
    digit: int | None = None
    last_small = 10_000  # units must fall within a section: 千 > 百 > 十
    last_large = 10**12
    for ch in text:
        if ch in DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row outside the digit-by-digit form
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if unit >= last_small:
                return None
            section += (1 if digit is None else digit) * unit
            digit = None
            last_small = unit
        else:
            unit = LARGE_UNITS[ch]
            if unit >= last_large:
                return None
            section += digit or 0
            if section == 0 and total == 0:
                return None  # "万" alone is not a number
            total = (total + section) * unit
            section = 0
            digit = None
            last_small = 10_000
            last_large = unit
    return total + section + (digit or 0)


def parse_int(text: str) -> int | None:
    """Parse an Arabic, full-width or Chinese number (or a digit-and-unit mix like ``"3万"``).

    Returns the value as an int, or ``None`` when ``text`` is not a whole number this module
    reads (decimals, signs, empty strings and anything longer than 24 characters).
    """
    if not text or len(text) > _MAX_LEN:
        return None
    text = text.translate(FULLWIDTH)
    if text.isascii():
        return int(text) if text.isdigit() else None
    head, last = text[:-1], text[-1]
    if head.isascii() and head.isdigit():
        unit = LARGE_UNITS.get(last) or SMALL_UNITS.get(last)
        return int(head) * unit if unit else None
    return parse_chinese(text)
