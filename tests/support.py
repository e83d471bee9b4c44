"""Helpers the tests share: the repository root, running ``djbot`` as a user does, and settings
for the fake servers. (Fixtures live in ``conftest.py``; fake servers in ``fakes/``.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings

#: The repository's root (where ``pyproject.toml`` is).
REPO = Path(__file__).resolve().parents[1]
#: The command as a user types it: ``djbot`` is ``python -m bot.cli``.
DJBOT = [sys.executable, "-m", "bot.cli"]


def djbot(
    tmp_path: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``djbot ARGS`` in ``tmp_path`` with a fresh data directory there (SQLite), none of
    this process's ``DJBOT_*`` settings and ``env`` added; returns the finished process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")} | {
        "DJBOT_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(REPO),
    }
    environment.update(env or {})
    return subprocess.run(
        [*DJBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )


def wecom_settings(api: Any, **overrides: Any) -> Settings:
    """Settings of a WeCom app served by the fake WeCom server ``api`` (``fakes.wecom_api``),
    with the test callback Token and EncodingAESKey; no ``.env`` file is read."""
    from fakes.wecom_api import TEST_AES_KEY, TEST_TOKEN

    values: dict[str, Any] = {
        "wecom_corp_id": api.corp_id,
        "wecom_agent_id": api.agent_id,
        "wecom_secret": api.secret,
        "wecom_token": TEST_TOKEN,
        "wecom_aes_key": TEST_AES_KEY,
        "wecom_api_base_url": api.base_url,
    }
    return Settings(**(values | overrides), _env_file=None)


def photo(
    color: str = "red",
    *,
    size: tuple[int, int] = (64, 48),
    gps: bool = True,
    orientation: int = 1,
    fmt: str = "JPEG",
) -> bytes:
    """A small photo as a phone takes it: with EXIF (the maker, and the GPS position of
    天安门 unless ``gps`` is false) and the given EXIF ``orientation``. Different ``color`` or
    ``size`` give different bytes."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether an image's EXIF holds a GPS position."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(0x8825))


def minimal_pdf() -> bytes:
    """A one-page PDF (valid enough for any reader: header, catalog, page, trailer)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
