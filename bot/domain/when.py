"""A date with its precision: :class:`When` (a day, 旬, month, quarter, half year or year)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

#: How precisely a date is known: a day, a 旬 (上旬 1-10, 中旬 11-20, 下旬 21-end), a month,
#: a quarter, a half year or a year.
Precision = Literal["day", "xun", "month", "quarter", "half", "year"]

_XUN = ("上旬", "中旬", "下旬")
_QUARTERS = "一二三四"


@dataclass(frozen=True, slots=True)
class When:
    """When an activity happened (or is planned), as precisely as the message says.

    ``start``..``end`` is the closed span of days the wording covers: one day for ``"day"``,
    days 1-10 / 11-20 / 21-end of the month for ``"xun"``, the whole month, quarter, half year
    or year otherwise. Nothing is invented: "6月" is the month of June, not June 30.
    """

    precision: Precision
    start: dt.date
    end: dt.date

    @property
    def day(self) -> dt.date | None:
        """The day, for day precision; ``None`` otherwise."""
        return self.start if self.precision == "day" else None

    @property
    def label(self) -> str:
        """The Chinese form a card, report or ledger shows: ``2026年6月15日``, ``2026年8月中旬``,
        ``2026年6月``, ``2026年第二季度``, ``2026年上半年``, ``2026年``."""
        s = self.start
        match self.precision:
            case "day":
                return f"{s.year}年{s.month}月{s.day}日"
            case "xun":
                return f"{s.year}年{s.month}月{_XUN[min(2, (s.day - 1) // 10)]}"
            case "month":
                return f"{s.year}年{s.month}月"
            case "quarter":
                return f"{s.year}年第{_QUARTERS[(s.month - 1) // 3]}季度"
            case "half":
                return f"{s.year}年{'上' if s.month <= 6 else '下'}半年"
            case _:
                return f"{s.year}年"

    def to_dict(self) -> dict[str, object]:
        """``{"precision", "start", "end" (ISO days), "label"}``."""
        return {
            "precision": self.precision,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
        }
