"""How numbers and dates are written in a 公文 draft: Chinese ordinals for 一是/（二）, Arabic
numerals in dates (GB/T 9704-2012 7.3.5.3)."""

from __future__ import annotations

from datetime import date

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十一, 二十三), for 一是/（二）; others as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{'' if tens == 1 else _DIGITS[tens]}十{_DIGITS[ones] if ones else ''}"


def chinese_date(day: date) -> str:
    """``2026年12月31日`` (dates in 公文 use Arabic numerals, GB/T 9704-2012 7.3.5.3)."""
    return f"{day.year}年{day.month}月{day.day}日"
