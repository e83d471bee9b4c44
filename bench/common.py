"""What the benchmarks share: the repository root on ``sys.path`` (with ``tests/`` for the fake
servers), the machine's description for the results, and the environment of a ``djbot``
process run against a given database.

Each benchmark starts with ``import common`` (the script's own directory is on ``sys.path``)."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

#: ``djbot`` as a new process: ``python -m bot.cli``.
DJBOT = [sys.executable, "-m", "bot.cli"]


def machine_facts() -> dict[str, str]:
    """CPU model, core count, memory and Python of this machine, for the recorded results."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": f"{platform.python_version()} ({sys.executable})",
    }


def machine() -> str:
    """:func:`machine_facts` as one line."""
    facts = machine_facts()
    return (
        f"nproc {facts['nproc']}, CPU {facts['cpu']}, {facts['memory']}, Python {facts['python']}"
    )


def djbot_env(url: str, **extra: str) -> dict[str, str]:
    """This process's environment without ``DJBOT_*`` settings, with the database ``url``, the
    repository on ``PYTHONPATH`` and ``extra`` (``DJBOT_LOG_LEVEL="WARNING"``...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")}
    return env | {"DJBOT_DATABASE_URL": url, "PYTHONPATH": str(ROOT)} | extra
