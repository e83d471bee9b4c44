"""What the import-linter contracts in pyproject.toml cannot say: the domain never reads the
wall clock (``today``/``now`` are passed in, so tests and ``--today`` can fix them)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "bot" / "domain"
#: Calls that read the clock: ``datetime.now()``, ``date.today()``, ``time.time()``...
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "localtime"}
CLOCK_OWNERS = {"datetime", "date", "time"}


def clock_calls(source: str) -> list[int]:
    """Line numbers of clock-reading calls in ``source`` (``datetime.now()``,
    ``dt.date.today()``, ``time.time()``...)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if node.func.attr in CLOCK_CALLS and name in CLOCK_OWNERS:
            lines.append(node.lineno)
    return lines


def test_the_domain_never_reads_the_clock() -> None:
    found = [
        f"{path.relative_to(DOMAIN)}:{line}"
        for path in sorted(DOMAIN.rglob("*.py"))
        for line in clock_calls(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_sees_every_way_of_reading_the_clock() -> None:
    source = (
        "import datetime as dt, time\nfrom datetime import date, datetime\n"
        "a = dt.date.today()\nb = datetime.now(tz)\nc = date.today()\nd = time.time()\n"
        "e = day.replace(year=2026)\n"
    )
    assert clock_calls(source) == [3, 4, 5, 6]
