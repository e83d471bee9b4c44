"""Files judged by content: images cleaned of metadata, an allow-list of documents, limits."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from support import has_gps, minimal_pdf, photo

from bot.evidence.checks import Limits, Refused, inspect


def test_a_phone_photo_loses_its_gps_position_and_camera() -> None:
    original = photo(gps=True)
    assert has_gps(original) and b"TestPhone" in original
    kept = inspect(original, "IMG_0001.jpg", Limits())
    assert kept.kind == "photo" and kept.mime_type == "image/jpeg" and kept.extension == ".jpg"
    assert not has_gps(kept.data) and b"TestPhone" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (64, 48) == (kept.width, kept.height)


def test_the_operator_may_keep_metadata() -> None:
    original = photo(gps=True)
    kept = inspect(original, "", Limits(keep_metadata=True))
    assert kept.data == original and has_gps(kept.data)


def test_a_rotated_photo_stays_upright_without_its_orientation_tag() -> None:
    # orientation 6: the camera was turned; the pixels are stored sideways
    kept = inspect(photo(size=(60, 30), orientation=6), "", Limits())
    assert (kept.width, kept.height) == (30, 60)
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.getexif().get(0x0112) is None


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_lose_their_exif(fmt: str) -> None:
    kept = inspect(photo(fmt=fmt), "", Limits())
    assert kept.kind == "photo" and kept.mime_type == f"image/{fmt.lower()}"
    assert not has_gps(kept.data)


def test_the_same_photo_gives_the_same_hash() -> None:
    a = inspect(photo("blue"), "a.jpg", Limits())
    b = inspect(photo("blue"), "b.jpg", Limits())
    c = inspect(photo("green"), "c.jpg", Limits())
    assert a.sha256 == b.sha256 != c.sha256


def _ooxml(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (minimal_pdf(), "会议记录.pdf", "application/pdf"),
        (_ooxml("word/document.xml"), "x.bin", "application/vnd.openxmlformats-officedocument"),
        (_ooxml("xl/workbook.xml"), "签到表.xlsx", "application/vnd.openxmlformats-officedocument"),
        (_ooxml("OFD.xml"), "通知.ofd", "application/ofd"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "旧文件.doc", "application/msword"),
    ],
)
def test_documents_are_known_by_their_first_bytes(data: bytes, name: str, mime: str) -> None:
    kept = inspect(data, name, Limits())
    assert kept.kind == "file" and kept.mime_type.startswith(mime) and kept.data == data


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"#!/bin/sh\nrm -rf /\n", "photo.jpg", "不支持这种文件"),
        (_ooxml("payload/evil.exe"), "文件.docx", "不支持这种文件"),
        (b"MZ\x90\x00" + b"\0" * 100, "报告.pdf", "不支持这种文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "setup.msi", "不支持这种文件"),
        (b"\x00\x00\x00\x18ftypheic" + b"\0" * 100, "IMG.HEIC", "HEIC"),
        (photo()[:200], "cut.jpg", "损坏"),
        (b"", "empty.jpg", "空的"),
    ],
)
def test_what_is_refused_says_why(data: bytes, name: str, message: str) -> None:
    with pytest.raises(Refused, match=message):
        inspect(data, name, Limits())


def test_limits_on_size_and_pixels() -> None:
    big = photo(size=(400, 400))
    with pytest.raises(Refused, match="超过"):
        inspect(big, "", Limits(max_file_bytes=len(big) - 1))
    with pytest.raises(Refused, match="像素过大"):
        inspect(photo(size=(400, 400)), "", Limits(max_pixels=100_000))
