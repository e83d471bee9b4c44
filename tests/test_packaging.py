"""The package list in pyproject.toml is explicit (templates/ is installed as bot.templates, which
discovery cannot express): every package of the source tree must be in it, or a wheel misses it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "handlers", "storage")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == {"bot.templates"}
    assert (ROOT / config["tool"]["setuptools"]["package-dir"]["bot.templates"]).is_dir()
